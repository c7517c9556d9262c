import RingArithmetic

/// Errors thrown by the BFV layer. Each case says what the caller must change.
public enum BFVError: Error, Sendable, Equatable {
    /// The parameters are invalid or weaker than 128-bit security allows; the text says why.
    case invalidParameters(String)
    /// The ring layer rejected a value.
    case ring(RingError)
    /// Two objects come from different parameter sets.
    case parameterMismatch
    /// A value is out of range for the encoder or plaintext modulus; the text says which.
    case invalidValue(String)
    /// Serialized bytes are malformed; the text names the field.
    case malformed(String)
    /// Serialized bytes were made for other parameters (fingerprint mismatch).
    case fingerprintMismatch(expected: UInt64, found: UInt64)
    /// The serialization format version is not supported.
    case unsupportedVersion(UInt8)
    /// The operation needs a key or form the object does not have; the text says which.
    case unsupportedOperation(String)
}

extension BFVError {
    /// Runs a ring-layer call, converting its error.
    @inlinable
    static func wrap<T>(_ body: () throws(RingError) -> T) throws(BFVError) -> T {
        do { return try body() } catch { throw BFVError.ring(error) }
    }
}

extension BFVError: CustomStringConvertible {
    /// One line a user can act on.
    public var description: String {
        switch self {
        case .invalidParameters(let s): return "invalid BFV parameters: \(s)"
        case .ring(let e): return "\(e)"
        case .parameterMismatch: return "objects from different BFV parameter sets were combined"
        case .invalidValue(let s): return "value out of range: \(s)"
        case .malformed(let s): return "malformed serialized data: \(s)"
        case .fingerprintMismatch(let e, let f):
            return "serialized data made for other parameters (fingerprint \(String(f, radix: 16)), expected \(String(e, radix: 16)))"
        case .unsupportedVersion(let v): return "unsupported serialization version \(v)"
        case .unsupportedOperation(let s): return "unsupported operation: \(s)"
        }
    }
}
