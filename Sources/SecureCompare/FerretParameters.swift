/// An LPN parameter set of Ferret (Yang, Weng, Lan, Zhang, Wang, CCS 2020) for 128-bit
/// security with regular noise: `n = t 2^h` outputs from a `k`-vector and `t` noise positions,
/// one per bin of `2^h`. Only the two sets the reference implementation (emp-ot) uses exist.
public struct FerretParameters: Sendable, Equatable, CustomStringConvertible {
    /// Outputs of one iteration.
    public let n: Int
    /// Length of the LPN secret (base COTs for the linear code).
    public let k: Int
    /// Noise weight: trees (bins).
    public let t: Int
    /// Tree depth: bins of `2^h`.
    public let h: Int

    /// The main set: 10,608,640 outputs, `k` = 589,824, 1,295 trees of depth 13.
    public static let main = FerretParameters(n: 10_608_640, k: 589_824, t: 1_295, h: 13)
    /// The small set, for sessions that need few OTs: 649,728 outputs, `k` = 36,288, 1,269 trees
    /// of depth 9.
    public static let small = FerretParameters(n: 649_728, k: 36_288, t: 1_269, h: 9)

    init(n: Int, k: Int, t: Int, h: Int) {
        precondition(n == t << h && n % 64 == 0)
        self.n = n
        self.k = k
        self.t = t
        self.h = h
    }

    /// COTs an iteration consumes: `k` for the LPN secret and `t h` for the level OTs.
    public var baseCount: Int { k + t * h }

    /// Bytes the iteration sends (sender to receiver, one frame with its 5-byte header).
    public var bytes: Int { RegularNoiseMPCOT.messageBytes(trees: t, depth: h) + frameHeaderSize }

    public var description: String { "Ferret(n: \(n), k: \(k), t: \(t), h: \(h))" }
}

/// Which iterations a COT supply runs: `adaptive` starts with small iterations and switches to
/// main ones once the session has used (or asks for) more than four small iterations' worth;
/// `small` and `main` fix the set (the first iteration is always small: it bootstraps from IKNP).
public enum FerretSchedule: Sendable, Equatable {
    case adaptive, small, main

    /// COTs a session may draw straight from IKNP before the first iteration: below this, IKNP
    /// (16 bytes per COT) costs less than the bootstrap and one small iteration (1.15 MB).
    public static let directLimit = 65_536

    /// The set of the next iteration after `served` COTs with `demand` more requested (the
    /// same on both sides: both see the same counts).
    func next(served: UInt64, demand: Int) -> FerretParameters {
        switch self {
        case .small: return .small
        case .main: return .main
        case .adaptive: return served + UInt64(max(0, demand)) > UInt64(4 * FerretParameters.small.n) ? .main : .small
        }
    }
}
