import RingArithmetic
import BFV

/// The rotation-free encoding (docs/DESIGN.md section 3): `d` coordinates split into `B` blocks of
/// `d_b = ceil(d / B)`; one result ciphertext covers `K = N / d_b` templates; the score of
/// template `k` of a result sits at coefficient `k * d_b + d_b - 1`.
///
/// `B` trades upload (`B` query ciphertexts) against download (`ceil(n / K)` results):
/// `bytes(B) = B * (N * ceil(log2 q) / 8 + 50) + ceil(n * d_b / N) * ((N + K) * (l + 10) / 8 + 9)`.
/// `optimal` picks the power of two `B <= d` minimizing it among the layouts whose flooding
/// bound fits the modulus.
public struct Layout: Sendable, Equatable, CustomStringConvertible {
    /// Blocks `B` (a power of two).
    public let blocks: Int
    /// Coordinates per block `d_b`.
    public let blockLength: Int
    /// Ring degree `N`.
    public let degree: Int

    /// A layout with `blocks` blocks for dimension `d` at degree `N`.
    /// - Throws: `FaceMatchError.invalidParameter` unless `blocks` is a power of two with
    ///   `1 <= blocks` and `ceil(d / blocks) <= N`, and `blocks <= d` (rounded up to a power of two).
    public init(blocks: Int, dimension: Int, degree: Int) throws(FaceMatchError) {
        guard blocks >= 1, blocks.nonzeroBitCount == 1, blocks <= max(1, dimension.nextPowerOfTwo) else {
            throw FaceMatchError.invalidParameter("blocks \(blocks) must be a power of two up to the dimension")
        }
        let length = (dimension + blocks - 1) / blocks
        guard length <= degree else { throw FaceMatchError.invalidParameter("block length \(length) exceeds N = \(degree)") }
        self.blocks = blocks
        self.blockLength = length
        self.degree = degree
    }

    /// Templates per result ciphertext `K = floor(N / d_b)`.
    public var vectorsPerResult: Int { degree / blockLength }

    /// Result ciphertexts for `n` templates (the last one padded with zero rows, which never match).
    public func resultCount(_ n: Int) -> Int { (n + vectorsPerResult - 1) / vectorsPerResult }

    /// The coefficient holding the score of template `k` of a result.
    public func targetCoefficient(_ k: Int) -> Int { k * blockLength + blockLength - 1 }

    /// The coefficients holding scores, ascending.
    public var targetCoefficients: [Int] { (0..<vectorsPerResult).map(targetCoefficient) }

    public var description: String { "B=\(blocks) d_b=\(blockLength) K=\(vectorsPerResult)" }

    /// Bytes of one query and its results for `n` templates (HE part only; see the formula above).
    public func heBytes(n: Int, profile: MatchProfile, shareBits: Int) -> Int {
        let params = profile.parameters
        let logQ = Int(params.logModulus.rounded(.up))
        let upload = blocks * (ResultCodec.frameOverhead + 18 + (degree * logQ + 7) / 8 + 32)
        let bits = shareBits + 10
        let perResult = (degree + vectorsPerResult) * bits / 8 + 1 + ResultCodec.resultOverhead
        return upload + resultCount(n) * perResult
    }

    /// Worst-case noise `E` that flooding must hide in one result, for any legal templates
    /// (`|y|_2 <= sigma + sqrt(d)/2`, enforced by `FaceDatabase.append`) and an honest query:
    ///
    /// `E = 21.5 * K * sqrt(d) * (sigma + sqrt(d)/2) + 1 + 42 * N`.
    ///
    /// Derivation, for the phase `c0 + c1*s` the verifier computes at any coefficient:
    /// - each query ciphertext decrypts to `(q/t) * Q_b + e_b + eps_b` (fresh error `|e_b| <= 21`,
    ///   scaling rounding `|eps_b| <= 1/2`); the product with `P_{r,b}` carries `(e_b + eps_b) * P_{r,b}`,
    ///   and summed over the blocks each coefficient is at most `21.5` times the L1 norm of the `K`
    ///   templates of the result, `K * sqrt(d) * (sigma + sqrt(d)/2)` by Cauchy-Schwarz;
    /// - rounding `(q/t) * m` to the message's scaled encoding after the products and after
    ///   adding `Delta * M` (itself rounded) adds at most `1/2 + 1/2 = 1` (the `+ 1`);
    /// - the re-randomization adds `-e_pk * u + e2 * s` besides its flood (see
    ///   `Flooding.rerandomizationNoise`): at most `42 N`, and correlated with the `c1` the
    ///   verifier receives, so it is part of what the flood hides.
    ///
    /// The switch to `2^(l+10)` afterwards adds rounding that is a function of the flooded
    /// ciphertext and `s` only, which the verifier can simulate, so `E` need not cover it.
    public func noiseBound(_ parameters: MatchParameters) -> UInt128 {
        let d = Double(parameters.dimension)
        let l1 = d.squareRoot() * (parameters.sigma + d.squareRoot() / 2)
        return UInt128((21.5 * Double(vectorsPerResult) * l1).rounded(.up)) + 1 + Flooding.rerandomizationNoise(degree: degree)
    }

    /// The flooding bound `F = 2^40 * E * targets` for a key that serves `profile.targetBudget`
    /// targets, or `nil` when it would not leave decryption correct (`F > q / 2^(l+2)`).
    public func floodingBound(_ parameters: MatchParameters, profile: MatchProfile) -> UInt128? {
        let e = noiseBound(parameters)
        guard let f = try? Flooding.bound(noiseBound: e, count: UInt128(profile.targetBudget)) else { return nil }
        let logF = binaryLogarithm(Double(f))
        return logF + Double(parameters.shareBits + 2) <= profile.parameters.logModulus ? f : nil
    }

    /// The layout with the fewest bytes for `n` templates whose flooding bound fits.
    /// - Throws: `FaceMatchError.invalidParameter` if none fits (dimension too large).
    public static func optimal(n: Int, parameters: MatchParameters, profile: MatchProfile) throws(FaceMatchError) -> Layout {
        var best: Layout?
        var bestBytes = Int.max
        var b = 1
        let degree = profile.parameters.degree
        while b <= max(1, parameters.dimension.nextPowerOfTwo) {
            if let layout = try? Layout(blocks: b, dimension: parameters.dimension, degree: degree),
               layout.floodingBound(parameters, profile: profile) != nil {
                let bytes = layout.heBytes(n: n, profile: profile, shareBits: parameters.shareBits)
                if bytes < bestBytes { best = layout; bestBytes = bytes }
            }
            b *= 2
        }
        guard let best else { throw FaceMatchError.invalidParameter("no layout fits dimension \(parameters.dimension)") }
        return best
    }
}

extension Int {
    /// The smallest power of two at least `self` (1 for values below 1).
    var nextPowerOfTwo: Int { self <= 1 ? 1 : 1 << (Int.bitWidth - (self - 1).leadingZeroBitCount) }
}

