import Synchronization

/// Where a protocol session draws its randomness. A session takes one `RandomSource` and asks it
/// for a generator once; every such request returns a generator never returned before, so two
/// sessions started from the same source (even the same object) never share masks, flooding,
/// keys or OT seeds.
///
/// The hazard this type removes: `ChaChaDRBG` is a value, so handing one generator *value* to
/// two sessions copies its state and both draw identical bytes (identical base-OT frames, masks
/// and flooding: a verifier subtracting two answers would learn inner products). A
/// `RandomSource` is a reference whose state advances under a lock with every generator it
/// hands out; copying the reference shares that state instead of duplicating it.
///
/// - `system` (the default everywhere): each generator is seeded afresh from the system's
///   cryptographic generator.
/// - `init(deterministicSeed:)`: generator `k` is seeded from the `k`-th seed drawn from the
///   seed's DRBG. For reproducible tests, and for handing a sub-protocol a source seeded from a
///   session's own fresh generator. Two *separate* objects made from the same seed repeat each
///   other by design: never build one from a fixed seed in deployment.
public final class RandomSource: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let state: Mutex<ChaChaDRBG?>

    private init(_ g: ChaChaDRBG?) { state = Mutex(g) }

    /// Fresh system randomness for every generator.
    public static var system: RandomSource { RandomSource(nil) }

    /// A reproducible source for tests: the generators it hands out are a function of `seed`
    /// and of how many it has handed out before.
    public convenience init(deterministicSeed seed: Seed) {
        self.init(ChaChaDRBG(seed: seed, stream: 0x5253_5243))
    }

    /// A generator no other call returns (for one session or sub-protocol).
    public func generator() -> ChaChaDRBG {
        state.withLock { g -> ChaChaDRBG in
            guard g != nil else { return .fresh() }
            return g!.split()
        }
    }

    public var description: String { "RandomSource(<redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .class) }
}
