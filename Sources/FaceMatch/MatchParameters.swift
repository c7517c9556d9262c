import BFV

/// The public parameters of a matching session: template dimension, quantization scale,
/// threshold, truncation width and the BFV preset.
///
/// Bounds (derived in docs/DESIGN.md section 3 and checked by `init`): with unit embeddings the
/// quantized norm is at most `sigma + sqrt(d)/2`, so every `v = <x, y> - tau_hat` satisfies
/// `|v| <= (sigma + sqrt(d)/2)^2 + sigma^2 < t/2 = 2^16` for `d <= 4096` and `sigma = 128`.
/// Truncation to `l` bits changes a decision only within `2^(17 - l + 1)` score units of the
/// threshold (0.0078 cosine for `l = 11`); quantization adds about 0.003 (std-dev), so decisions
/// agree with float64 cosine whenever `|max cosine - tau| >= 0.02`.
public struct MatchParameters: Sendable, Equatable {
    /// Template dimension `d`.
    public let dimension: Int
    /// Quantization scale `sigma`.
    public let sigma: Double
    /// Cosine threshold `tau`: a probe matches a template when their cosine is at least `tau`.
    public let threshold: Double
    /// Truncated share width `l` (bits).
    public let shareBits: Int
    /// Bits of the power-of-two download modulus (`l + 10`).
    public var downloadBits: Int { shareBits + 10 }
    /// `log2 t` of the BFV presets (t = 2^17).
    public static let plaintextBits = 17

    /// Validates the parameters.
    /// - Throws: `FaceMatchError.invalidParameter` for a dimension outside 1 ... 4096, a
    ///   threshold outside [0.05, 0.99] (smaller thresholds fall inside the truncation band and
    ///   would let zero padding rows match), or share bits outside 8 ... 14.
    public init(dimension: Int, threshold: Double, sigma: Double = 128, shareBits: Int = 11) throws(FaceMatchError) {
        guard dimension >= 1, dimension <= 4096 else { throw FaceMatchError.invalidParameter("dimension \(dimension) must be 1 ... 4096") }
        guard threshold >= 0.05, threshold <= 0.99 else { throw FaceMatchError.invalidParameter("threshold \(threshold) must be in 0.05 ... 0.99") }
        guard sigma == 128 else { throw FaceMatchError.invalidParameter("sigma must be 128 (the t = 2^17 bound assumes it)") }
        guard shareBits >= 8, shareBits <= 14 else { throw FaceMatchError.invalidParameter("share bits \(shareBits) must be 8 ... 14") }
        self.dimension = dimension
        self.threshold = threshold
        self.sigma = sigma
        self.shareBits = shareBits
    }

    /// `tau_hat = round(tau * sigma^2)`.
    public var scaledThreshold: Int64 { Int64((threshold * sigma * sigma).rounded()) }

    /// The largest `|<x_hat, y_hat>|` for legal templates: `(sigma + sqrt(d)/2)^2`.
    public var maxScore: Double { TemplateNorm.squaredBound(dimension: dimension, sigma: sigma) }

    /// Half-width of the band around the threshold (cosine units) where a decision may differ
    /// from float64 cosine: truncation `2^(17 - l + 1) / sigma^2` plus six standard deviations of
    /// the quantization error.
    public var decisionBand: Double {
        Double(1 << (MatchParameters.plaintextBits - shareBits + 1)) / (sigma * sigma) + 6 * 0.003
    }
}

/// The BFV profiles of FaceMatch and the targets each key may serve (docs/DESIGN.md section 3).
public enum MatchProfile: UInt8, Sendable, CaseIterable {
    /// N = 4096, two 50-bit primes: up to 2^20 targets per key.
    case small = 1
    /// N = 8192, two 59-bit primes: up to 2^28 targets per key.
    case large = 2

    /// The BFV parameters.
    public var parameters: Parameters { self == .small ? .faceMatch4096 : .faceMatch8192 }
    /// Largest number of targets one client key may decrypt (union bound of the smudging).
    public var targetBudget: Int { self == .small ? 1 << 20 : 1 << 28 }
}
