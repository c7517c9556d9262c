import RingArithmetic

/// A BFV plaintext: a polynomial of `R_t` given by its `N` coefficients in `[0, t)`.
/// Make one with `CoefficientEncoder` or `BatchEncoder`. Memory: `8N` bytes.
public struct Plaintext: Sendable, Equatable {
    /// The parameters it belongs to.
    public let context: BFVContext
    /// The coefficients, each in `[0, t)`.
    public let coefficients: [UInt64]

    /// A plaintext from coefficients modulo `t`.
    /// - Throws: `BFVError.invalidValue` unless there are at most `N` coefficients, each below `t`
    ///   (missing coefficients are zero).
    public init(context: BFVContext, coefficients: [UInt64]) throws(BFVError) {
        guard coefficients.count <= context.degree else {
            throw BFVError.invalidValue("\(coefficients.count) coefficients exceed N = \(context.degree)")
        }
        guard coefficients.allSatisfy({ $0 < context.plaintextModulus }) else {
            throw BFVError.invalidValue("a coefficient is not below t = \(context.plaintextModulus)")
        }
        self.context = context
        self.coefficients = coefficients + [UInt64](repeating: 0, count: context.degree - coefficients.count)
    }

    init(unchecked context: BFVContext, _ coefficients: [UInt64]) {
        self.context = context
        self.coefficients = coefficients
    }

    public static func == (lhs: Plaintext, rhs: Plaintext) -> Bool {
        lhs.context === rhs.context && lhs.coefficients == rhs.coefficients
    }

    /// The coefficients lifted to centered integers in `(-t/2, t/2]` (smallest noise growth).
    var centered: [Int64] {
        let t = context.plaintextModulus
        return coefficients.map { $0 > t / 2 ? Int64($0) - Int64(t) : Int64($0) }
    }
}

/// A plaintext prepared for multiplication: its centered lift into the ciphertext ring of one
/// level, in evaluation form. Costs `L` NTTs once; every later multiply is coefficient-wise.
/// Memory: `8 L N` bytes.
public struct EvaluationPlaintext: Sendable {
    /// The lifted plaintext in evaluation form.
    public let poly: RNSPoly
    /// The level it was prepared for.
    public let level: Int

    /// Prepares `plaintext` for multiplication with ciphertexts at `level` (0 = full modulus).
    /// - Throws: `BFVError.invalidValue` for a level that does not exist.
    public init(_ plaintext: Plaintext, level: Int = 0) throws(BFVError) {
        let ctx = plaintext.context
        guard level >= 0, level < ctx.levels.count else { throw BFVError.invalidValue("no level \(level)") }
        var p = try BFVError.wrap { () throws(RingError) in
            try RNSPoly(context: ctx.levels[level].ring, signedCoefficients: plaintext.centered)
        }
        p.forwardNTT()
        self.poly = p
        self.level = level
    }

    /// Wraps a polynomial already in evaluation form (used by streaming database encoders).
    /// - Throws: `BFVError.invalidValue` if it is not in evaluation form.
    public init(evaluationForm poly: RNSPoly, context: BFVContext) throws(BFVError) {
        guard poly.form == .evaluation else { throw BFVError.invalidValue("polynomial is not in evaluation form") }
        self.level = try context.level(of: poly.context)
        self.poly = poly
    }
}
