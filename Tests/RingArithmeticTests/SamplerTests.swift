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

    @Test("uniform expansion: consecutive bitWidth(p)-bit fields of each limb's fresh words, values >= p rejected")
    func uniformExpansionFormat() throws {
        // Pins the seeded expansion both parties must agree on, and that no extra word is drawn.
        let moduli = [97] + (try Primes.nttFriendly(bits: 50, count: 1, degree: 16)) + (try Primes.nttFriendly(bits: 61, count: 1, degree: 16))
        let ctx = try PolyContext(degree: 16, moduli: moduli)
        for stream in 0..<20 as Range<UInt64> {
            var rng = testRNG(40 + stream)
            var reference = testRNG(40 + stream)
            let poly = Sampler.uniform(ctx, form: .evaluation, rng: &rng)
            var expected: [UInt64] = []
            for p in moduli {
                let b = 64 - p.leadingZeroBitCount
                var bits: [UInt8] = []  // this limb's bit stream, least significant first
                var values: [UInt64] = []
                var used = 0
                while values.count < 16 {
                    while bits.count - used < b {
                        let w = reference.next()
                        bits += (0..<64).map { UInt8(truncatingIfNeeded: w >> UInt64($0)) & 1 }
                    }
                    let x = (0..<b).reduce(UInt64(0)) { $0 | UInt64(bits[used + $1]) << UInt64($1) }
                    used += b
                    if x < p { values.append(x) }
                }
                expected += values
            }
            #expect(poly.residues == expected)
            #expect(rng.next() == reference.next(), "the sampler drew exactly the words it used")
        }
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
        // Each sample is popcount of 21 bits minus popcount of the next 21, three per two words.
        var g = testRNG(33)
        let mask: UInt64 = (1 << 21) - 1
        func cbd(_ r: UInt64) -> Int64 { Int64((r & mask).nonzeroBitCount) - Int64((r >> 21 & mask).nonzeroBitCount) }
        for i in stride(from: 0, to: 3000, by: 3) {
            let w0 = g.next(), w1 = g.next()
            #expect([cbd(w0), cbd(w0 >> 42 | w1 << 22), cbd(w1 >> 20)] == Array(e[i ..< i + 3]))
        }
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
