/// The norm bound every enrolled template must meet: `|y|_2 <= sigma + sqrt(d)/2` with
/// `sigma = 128`. Quantizing a unit vector (`round(sigma * x_j)`, error at most 1/2 per
/// coordinate) never exceeds it; `MatchParameters` derives the score range (`|v| < t/2`) and
/// `Layout.noiseBound` the flooding from it, so a template above it could wrap a score mod t
/// (a wrong answer) and leave the flooding too small.
public enum TemplateNorm {
    /// `(sigma + sqrt(d)/2)^2`, the largest squared L2 norm allowed at dimension `d`.
    public static func squaredBound(dimension d: Int, sigma: Double = 128) -> Double {
        let r = sigma + Double(d).squareRoot() / 2
        return r * r
    }

    /// Throws unless `template`'s squared L2 norm is at most `squaredBound`.
    /// - Throws: `FaceMatchError.invalidEmbedding` naming the norm and the bound.
    public static func check(_ template: [Int8]) throws(FaceMatchError) {
        // Exact in integers (at most 4096 * 127^2 < 2^27), compared once in Double.
        let squared = template.reduce(0) { $0 + Int($1) * Int($1) }
        let bound = squaredBound(dimension: template.count)
        guard Double(squared) <= bound else {
            let norm = (Double(squared).squareRoot() * 10).rounded() / 10
            let limit = (bound.squareRoot() * 10).rounded() / 10
            throw FaceMatchError.invalidEmbedding("template norm \(norm) exceeds \(limit) (sigma + sqrt(d)/2), more than quantizing a unit vector gives")
        }
    }
}
