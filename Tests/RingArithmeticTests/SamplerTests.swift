import Testing
import RingArithmetic

@Suite("Samplers")
struct SamplerTests {
    @Test("uniform residues pass a chi-square test")
    func uniform() throws {
        // Small prime so every value gets many samples: p = 97 (N = 16: 96 = 3 * 32).
        let ctx = try PolyContext(degree: 16, moduli: [97])
        var rng = testRNG(31)
        var counts = [Int](repeating: 0, count: 97)
        let rounds = 6000
        for _ in 0..<rounds {
            for v in Sampler.uniform(ctx, form: .coefficient, rng: &rng).residues { counts[Int(v)] += 1 }
        }
        let expected = Double(rounds * 16) / 97
        let chi2 = counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        // 96 degrees of freedom: the 99.9% quantile is about 145.
        #expect(chi2 < 145, "chi2 = \(chi2)")
        // Large modulus: top-bit frequency matches p's shape (values stay below p).
        var g = testRNG(32)
        let p: UInt64 = (1 << 62) - 57
        var below = 0
        for _ in 0..<20000 {
            let x = Sampler.uniformBelow(p, rng: &g)
            #expect(x < p)
            if x < p / 2 { below += 1 }
        }
        #expect(abs(below - 10000) < 400)
    }

    @Test("centered binomial errors have mean 0 and variance 10.5")
    func errors() {
        var rng = testRNG(33)
        let e = Sampler.centeredBinomial(count: 200_000, rng: &rng)
        let mean = Double(e.reduce(0, +)) / Double(e.count)
        let variance = e.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(e.count)
        #expect(abs(mean) < 0.03, "mean \(mean)")
        #expect(abs(variance - 10.5) < 0.2, "variance \(variance)")
        #expect(e.allSatisfy { abs($0) <= 21 })
    }

    @Test("ternary coefficients are each one third")
    func ternary() {
        var rng = testRNG(34)
        let t = Sampler.ternary(count: 300_000, rng: &rng)
        for v: Int64 in [-1, 0, 1] {
            let share = Double(t.filter { $0 == v }.count) / Double(t.count)
            #expect(abs(share - 1.0 / 3) < 0.005, "share of \(v): \(share)")
        }
        #expect(t.allSatisfy { $0 >= -1 && $0 <= 1 })
    }
}

@Suite("Statistics")
struct StatisticsTests {
    @Test("KS and chi-square statistics on known inputs")
    func known() {
        #expect(Statistics.kolmogorovSmirnov([1, 2, 3], [1, 2, 3]) == 0)
        #expect(Statistics.kolmogorovSmirnov([1, 2, 3], [4, 5, 6]) == 1)
        #expect(abs(Statistics.kolmogorovSmirnov([1, 2, 3, 4], [3, 4, 5, 6]) - 0.5) < 1e-12)
        #expect(Statistics.chiSquareUniform([10, 10, 10]) == 0)
        #expect(Statistics.chiSquareUniform([20, 0]) == 20)
        #expect(abs(Statistics.kolmogorovSmirnovCritical(100, 100) - 1.949 * 0.1414213562) < 1e-6)
    }
}
