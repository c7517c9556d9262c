import RingArithmetic

/// A BFV ciphertext `(c0, c1[, c2])` over the ring of one modulus level.
///
/// Decryption computes `c0 + c1*s (+ c2*s^2)`. All polynomials share one form. A fresh symmetric
/// encryption remembers the seed that expands `c1`, so it serializes as `c0` plus 32 bytes; any
/// operation that changes `c1` forgets the seed. Memory: `8 * size * L * N` bytes.
public struct Ciphertext: Sendable {
    /// The parameters.
    public let context: BFVContext
    /// The polynomials `c0, c1, ...` (two after relinearization, three after a product).
    public internal(set) var polys: [RNSPoly]
    /// The seed of `c1` when `c1` is still its uniform expansion.
    var seed: Seed?

    init(context: BFVContext, polys: [RNSPoly], seed: Seed? = nil) {
        self.context = context
        self.polys = polys
        self.seed = seed
    }

    /// The number of polynomials (2 or 3).
    public var size: Int { polys.count }
    /// The modulus level (0 = full modulus; each dropped prime adds one).
    public var level: Int { context.levels.count - polys[0].limbCount }
    /// Coefficient or evaluation form.
    public var form: PolyForm { polys[0].form }
    /// Whether `c1` is still the expansion of a seed (compact serialization).
    public var isSeeded: Bool { seed != nil }

    /// Converts every polynomial to evaluation form in place.
    public mutating func toEvaluationForm() {
        for i in polys.indices { polys[i].forwardNTT() }
    }

    /// Converts every polynomial to coefficient form in place.
    public mutating func toCoefficientForm() {
        for i in polys.indices { polys[i].inverseNTT() }
    }
}

/// A ciphertext switched to a power-of-two modulus `2^bits` for transmission: coefficients of
/// `c0` and `c1` as integers in `[0, 2^bits)`. Only decryption applies to it.
public struct PowerOfTwoCiphertext: Sendable, Equatable {
    /// `log2` of the modulus, 1 ... 64.
    public let bits: Int
    /// `c0` (length `N`, or fewer when only chosen coefficients were kept, see `c0Indices`).
    public internal(set) var c0: [UInt64]
    /// The coefficient indices `c0` holds; `nil` means all `N` in order.
    public internal(set) var c0Indices: [Int]?
    /// `c1`, all `N` coefficients.
    public let c1: [UInt64]

    /// Keeps only the coefficients of `c0` at `indices` (ascending, distinct, below `N`); the
    /// receiver can decrypt exactly those coefficients and learns nothing of the others' `c0`.
    /// - Throws: `BFVError.invalidValue` for bad indices.
    public func keepingCoefficients(_ indices: [Int]) throws(BFVError) -> PowerOfTwoCiphertext {
        guard c0Indices == nil else { throw BFVError.unsupportedOperation("already restricted") }
        var previous = -1
        for i in indices {
            guard i > previous, i < c1.count else { throw BFVError.invalidValue("indices must ascend below N") }
            previous = i
        }
        var out = self
        out.c0 = indices.map { c0[$0] }
        out.c0Indices = indices
        return out
    }

    /// A power-of-two ciphertext from its parts (e.g. after decoding from the wire).
    /// - Throws: `BFVError.invalidValue` if a coefficient is not below `2^bits` or lengths disagree.
    public init(bits: Int, c0: [UInt64], c0Indices: [Int]?, c1: [UInt64]) throws(BFVError) {
        guard bits >= 1, bits <= 64 else { throw BFVError.invalidValue("bits must be 1 ... 64") }
        let bound: UInt64 = bits == 64 ? .max : (1 << UInt64(bits)) - 1
        guard c0.allSatisfy({ $0 <= bound }), c1.allSatisfy({ $0 <= bound }) else {
            throw BFVError.invalidValue("a coefficient is not below 2^\(bits)")
        }
        if let idx = c0Indices {
            guard idx.count == c0.count else { throw BFVError.invalidValue("one index per c0 coefficient") }
            var previous = -1
            for i in idx {
                guard i > previous, i < c1.count else { throw BFVError.invalidValue("indices must ascend below N") }
                previous = i
            }
        } else {
            guard c0.count == c1.count else { throw BFVError.invalidValue("c0 and c1 lengths differ") }
        }
        self.bits = bits
        self.c0 = c0
        self.c0Indices = c0Indices
        self.c1 = c1
    }
}
