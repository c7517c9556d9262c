/// Statistical checks for samplers and privacy tests: the two-sample Kolmogorov-Smirnov
/// statistic and its critical value, and Pearson's chi-square statistic. Public values only.
public enum Statistics {
    /// `max |F_a(x) - F_b(x)|` over the empirical distribution functions of `a` and `b`.
    /// Cost: sorting both samples.
    public static func kolmogorovSmirnov(_ a: [Double], _ b: [Double]) -> Double {
        let x = a.sorted(), y = b.sorted()
        var i = 0, j = 0, d = 0.0
        while i < x.count && j < y.count {
            let v = min(x[i], y[j])
            while i < x.count && x[i] <= v { i += 1 }
            while j < y.count && y[j] <= v { j += 1 }
            d = max(d, abs(Double(i) / Double(x.count) - Double(j) / Double(y.count)))
        }
        return d
    }

    /// The two-sample KS critical value at significance 0.001 for sample sizes `n` and `m`.
    public static func kolmogorovSmirnovCritical(_ n: Int, _ m: Int) -> Double {
        1.949 * (Double(n + m) / Double(n * m)).squareRoot()
    }

    /// Pearson's chi-square statistic of observed counts against equal expected counts.
    public static func chiSquareUniform(_ counts: [Int]) -> Double {
        let total = counts.reduce(0, +)
        let expected = Double(total) / Double(counts.count)
        return counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
    }
}
