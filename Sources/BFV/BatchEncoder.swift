import RingArithmetic

/// The SIMD batch encoder: `N` slots modulo a prime `t = 1 mod 2N`, with slot-wise addition and
/// multiplication under encryption. Slot `i` is the evaluation of the plaintext polynomial at
/// the `i`-th odd power of a `2N`-th root of unity mod `t` (bit-reversed order); no rotations are
/// offered, so the order only has to be consistent. Cost: one NTT modulo `t` per call.
public struct BatchEncoder: Sendable {
    /// The parameters.
    public let context: BFVContext
    let tables: NTTTables

    /// A batch encoder.
    /// - Throws: `BFVError.unsupportedOperation` unless `t` is prime and `t = 1 mod 2N`.
    public init(context: BFVContext) throws(BFVError) {
        guard let tables = context.plainNTT else {
            throw BFVError.unsupportedOperation("batching needs a prime t = 1 mod 2N")
        }
        self.context = context
        self.tables = tables
    }

    /// Encodes up to `N` slot values, each below `t` (missing slots are zero).
    /// - Throws: `BFVError.invalidValue` for too many values or a value not below `t`.
    public func encode(_ values: [UInt64]) throws(BFVError) -> Plaintext {
        guard values.count <= context.degree else {
            throw BFVError.invalidValue("\(values.count) values exceed N = \(context.degree)")
        }
        guard values.allSatisfy({ $0 < context.plaintextModulus }) else {
            throw BFVError.invalidValue("a slot value is not below t = \(context.plaintextModulus)")
        }
        var slots = values + [UInt64](repeating: 0, count: context.degree - values.count)
        tables.inverse(&slots)
        return Plaintext(unchecked: context, slots)
    }

    /// Decodes a plaintext to its `N` slot values.
    public func decode(_ plaintext: Plaintext) -> [UInt64] {
        var c = plaintext.coefficients
        tables.forward(&c)
        return c
    }
}
