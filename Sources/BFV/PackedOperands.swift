import RingArithmetic

/// Two-polynomial ciphertexts packed coefficient-major (`PackedTerms`) for the multiply-
/// accumulate of `Evaluator.multiplyAccumulate(_:_:)` with `PackedPlaintexts`: the form a
/// server keeps once per query when it multiplies the same ciphertexts with many plaintext sets.
/// Memory: as the ciphertexts, `16 T L N` bytes.
public struct PackedCiphertexts: Sendable {
    /// The parameters.
    public let context: BFVContext
    /// The modulus level of every ciphertext.
    public let level: Int
    let terms: PackedTerms

    /// Packs `cts` (at least one; all of size 2, one level, `context`'s parameters; any form).
    /// - Throws: `BFVError.invalidValue` for none or a size other than 2,
    ///   `.parameterMismatch` / `.unsupportedOperation` for mixed parameters or levels.
    public init(_ cts: [Ciphertext], context: BFVContext) throws(BFVError) {
        guard let first = cts.first else { throw BFVError.invalidValue("need at least one ciphertext") }
        var rows: [[RNSPoly]] = [[], []]
        for c in cts {
            guard c.context === context else { throw BFVError.parameterMismatch }
            guard c.level == first.level else { throw BFVError.unsupportedOperation("operands are at different levels") }
            guard c.size == 2 else { throw BFVError.invalidValue("packed ciphertexts have two polynomials") }
            var e = c
            e.toEvaluationForm()
            rows[0].append(e.polys[0])
            rows[1].append(e.polys[1])
        }
        self.context = context
        self.level = first.level
        terms = PackedTerms(rows: rows)
    }

    /// The number of ciphertexts.
    public var count: Int { terms.terms }
}

/// Plaintexts in evaluation form packed coefficient-major (`PackedTerms`), for
/// `Evaluator.multiplyAccumulate(_:_:)`: a server's cached database plaintexts. Memory: as
/// the plaintexts, `8 T L N` bytes.
public struct PackedPlaintexts: Sendable {
    /// The modulus level.
    public let level: Int
    let terms: PackedTerms

    /// Packs `plains` (at least one, one level).
    /// - Throws: `BFVError.invalidValue` for none, `.parameterMismatch` for mixed levels or rings.
    public init(_ plains: [EvaluationPlaintext]) throws(BFVError) {
        guard let first = plains.first else { throw BFVError.invalidValue("need at least one plaintext") }
        for p in plains where p.level != first.level || p.poly.context != first.poly.context { throw BFVError.parameterMismatch }
        level = first.level
        terms = PackedTerms(rows: [plains.map(\.poly)])
    }

    /// The number of plaintexts.
    public var count: Int { terms.terms }
    /// Bytes held.
    public var byteCount: Int { terms.byteCount }
}

extension Evaluator {
    /// `sum_i cts[i] * plains[i]` in evaluation form: the same ciphertext as
    /// `multiplyAccumulate(_: [Ciphertext], _: [EvaluationPlaintext])` on the unpacked
    /// operands. Cost: `2 T L N` products of 64 x 64 bits read in three sequential streams,
    /// sums reduced once per coefficient.
    /// - Throws: `BFVError.parameterMismatch` for other parameters, another level or count.
    public func multiplyAccumulate(_ cts: PackedCiphertexts, _ plains: PackedPlaintexts) throws(BFVError) -> Ciphertext {
        guard cts.context === context, cts.level == plains.level, cts.count == plains.count,
              cts.terms.context == plains.terms.context else { throw BFVError.parameterMismatch }
        return Ciphertext(context: context, polys: RNSPoly.dotProducts(cts.terms, plains.terms))
    }
}
