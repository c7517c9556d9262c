/// Embeddings: validation, L2 normalization and int8 quantization (docs/DESIGN.md section 3).
///
/// `q_j = clamp(round(sigma * x_j / |x|), -127, 127)` with `sigma = 128` by default, so one unit
/// of cosine is `sigma^2 = 16384` score units and the quantization error of a cosine has a
/// standard deviation of about 0.003.
public enum Embedding {
    /// Validates `values` (finite, nonzero, of `dimension` entries when given) and returns the
    /// unit vector in double precision.
    /// - Throws: `FaceMatchError.invalidEmbedding` naming the problem.
    public static func normalized(_ values: [Double], dimension: Int? = nil) throws(FaceMatchError) -> [Double] {
        if let d = dimension, values.count != d {
            throw FaceMatchError.invalidEmbedding("dimension \(values.count), expected \(d)")
        }
        guard !values.isEmpty else { throw FaceMatchError.invalidEmbedding("empty vector") }
        if let i = values.firstIndex(where: { $0.isNaN }) { throw FaceMatchError.invalidEmbedding("NaN at index \(i)") }
        if let i = values.firstIndex(where: { $0.isInfinite }) { throw FaceMatchError.invalidEmbedding("infinity at index \(i)") }
        // Scale before squaring so huge finite values cannot overflow.
        let largest = values.map { abs($0) }.max()!
        guard largest > 0 else { throw FaceMatchError.invalidEmbedding("zero vector") }
        let scaled = values.map { $0 / largest }
        let norm = scaled.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return scaled.map { $0 / norm }
    }

    /// The int8 template of an embedding: normalized, scaled by `sigma`, rounded, clamped to
    /// `[-127, 127]`.
    /// - Throws: `FaceMatchError.invalidEmbedding` as `normalized`.
    public static func quantized(_ values: [Double], dimension: Int? = nil, sigma: Double = 128) throws(FaceMatchError) -> [Int8] {
        try normalized(values, dimension: dimension).map { Int8(max(-127, min(127, ($0 * sigma).rounded()))) }
    }

    /// Cosine similarity in double precision (the plaintext reference).
    public static func cosine(_ a: [Double], _ b: [Double]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for i in 0..<min(a.count, b.count) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i] }
        return dot / (na.squareRoot() * nb.squareRoot())
    }
}
