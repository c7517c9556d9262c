/// Encodes signed integers as plaintext coefficients: a value `v` in the centered range
/// `(-t/2, t/2]` becomes the coefficient `v mod t`. Works for every `t >= 2`, including powers of
/// two. Decoding returns centered values in the same range, so `decode(encode(v)) == v` for every
/// value `encode` accepts (for `t = 2^17`: -65,535 ... 65,536).
public struct CoefficientEncoder: Sendable {
    /// The parameters.
    public let context: BFVContext

    /// An encoder for `context`.
    public init(context: BFVContext) { self.context = context }

    /// Encodes up to `N` signed values (missing ones are zero).
    /// - Throws: `BFVError.invalidValue` for too many values or one outside `range`.
    public func encode(_ values: [Int64]) throws(BFVError) -> Plaintext {
        let t = context.plaintextModulus
        guard values.count <= context.degree else {
            throw BFVError.invalidValue("\(values.count) values exceed N = \(context.degree)")
        }
        var coefficients = [UInt64](repeating: 0, count: context.degree)
        let accepted = range
        for (j, v) in values.enumerated() {
            guard accepted.contains(v) else {
                throw BFVError.invalidValue("\(v) is outside \(accepted.lowerBound) ... \(accepted.upperBound), the values t = \(t) represents")
            }
            coefficients[j] = v < 0 ? UInt64(Int64(t) + v) : UInt64(v)
        }
        return Plaintext(unchecked: context, coefficients)
    }

    /// The values `encode` accepts and `decode` returns: `-floor((t-1)/2) ... floor(t/2)`.
    public var range: ClosedRange<Int64> {
        let t = Int64(context.plaintextModulus)
        return -((t - 1) / 2) ... t / 2
    }

    /// Decodes every coefficient to its centered value in `(-t/2, t/2]`.
    public func decode(_ plaintext: Plaintext) -> [Int64] {
        plaintext.centered
    }
}
