/// Encodes signed integers as plaintext coefficients: a value `v` with `|v| < t` becomes the
/// coefficient `v mod t`. Works for every `t >= 2`, including powers of two.
/// Decoding returns centered values in `(-t/2, t/2]`.
public struct CoefficientEncoder: Sendable {
    /// The parameters.
    public let context: BFVContext

    /// An encoder for `context`.
    public init(context: BFVContext) { self.context = context }

    /// Encodes up to `N` signed values (missing ones are zero).
    /// - Throws: `BFVError.invalidValue` for too many values or one with `|v| >= t`.
    public func encode(_ values: [Int64]) throws(BFVError) -> Plaintext {
        let t = context.plaintextModulus
        guard values.count <= context.degree else {
            throw BFVError.invalidValue("\(values.count) values exceed N = \(context.degree)")
        }
        var coefficients = [UInt64](repeating: 0, count: context.degree)
        for (j, v) in values.enumerated() {
            guard v > -Int64(t), v < Int64(t) else {
                throw BFVError.invalidValue("\(v) is outside the range of t = \(t)")
            }
            coefficients[j] = v < 0 ? UInt64(Int64(t) + v) : UInt64(v)
        }
        return Plaintext(unchecked: context, coefficients)
    }

    /// Decodes every coefficient to its centered value in `(-t/2, t/2]`.
    public func decode(_ plaintext: Plaintext) -> [Int64] {
        plaintext.centered
    }
}
