/// Errors thrown by the ring layer. Each case names what the caller must change.
public enum RingError: Error, Sendable, Equatable {
    /// The modulus is outside `2 ..< 2^62`.
    case modulusOutOfRange(UInt64)
    /// The ring degree is not a power of two in the supported range.
    case unsupportedDegree(Int)
    /// The modulus is not prime or not congruent to 1 modulo `2N`, so no negacyclic NTT exists.
    case notNTTFriendly(modulus: UInt64, degree: Int)
    /// Not enough primes of the requested size exist.
    case notEnoughPrimes(bits: Int, requested: Int, found: Int)
    /// A requested bit size is outside the supported range.
    case unsupportedBitSize(Int)
    /// The value has no inverse modulo the modulus.
    case notInvertible(value: UInt64, modulus: UInt64)
    /// Two operands do not share the same ring (degree and moduli).
    case contextMismatch
    /// A buffer had the wrong number of elements.
    case lengthMismatch(expected: Int, actual: Int)
}

extension RingError: CustomStringConvertible {
    /// One line a user can act on.
    public var description: String {
        switch self {
        case .modulusOutOfRange(let q): return "modulus \(q) is outside 2 ..< 2^62"
        case .unsupportedDegree(let n): return "ring degree \(n) is not a supported power of two"
        case .notNTTFriendly(let q, let n): return "modulus \(q) is not a prime congruent to 1 mod \(2 * n)"
        case .notEnoughPrimes(let b, let r, let f): return "only \(f) of \(r) requested \(b)-bit NTT primes exist"
        case .unsupportedBitSize(let b): return "bit size \(b) is not supported"
        case .notInvertible(let v, let q): return "\(v) has no inverse modulo \(q)"
        case .contextMismatch: return "operands from different rings were combined"
        case .lengthMismatch(let e, let a): return "buffer of \(a) elements, expected \(e)"
        }
    }
}
