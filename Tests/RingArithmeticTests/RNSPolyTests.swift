import Testing
import RingArithmetic

@Suite("RNS polynomials")
struct RNSPolyTests {
    func context(_ n: Int, bits: Int = 50, limbs: Int = 2) throws -> PolyContext {
        try PolyContext(degree: n, moduli: try Primes.nttFriendly(bits: bits, count: limbs, degree: n))
    }

    @Test("evaluation-form products equal schoolbook products in every limb")
    func multiply() throws {
        let ctx = try context(128, bits: 62, limbs: 3)
        var rng = testRNG(21)
        let a = Sampler.uniform(ctx, form: .coefficient, rng: &rng)
        let b = Sampler.uniform(ctx, form: .coefficient, rng: &rng)
        let c = (a.inEvaluationForm() * b.inEvaluationForm()).inCoefficientForm()
        for i in 0..<ctx.limbCount {
            let p = ctx.moduli[i].value
            #expect(Array(c.limb(i)) == schoolbookNegacyclic(Array(a.limb(i)), Array(b.limb(i)), p))
        }
    }

    @Test("add, subtract, negate, scalar and monomial multiply agree with integer arithmetic mod q")
    func elementwise() throws {
        let ctx = try context(64)
        let q = ctx.crt.product
        let Q = UInt128(q[0]) | UInt128(q[1]) << 64
        var rng = testRNG(22)
        let a = Sampler.uniform(ctx, form: .coefficient, rng: &rng)
        let b = Sampler.uniform(ctx, form: .coefficient, rng: &rng)
        let A = a.composedCoefficients128(), B = b.composedCoefficients128()
        #expect((a + b).composedCoefficients128() == zip(A, B).map { ($0 % Q + $1) % Q })
        #expect((a - b).composedCoefficients128() == zip(A, B).map { ($0 + Q - $1) % Q })
        #expect((-a).composedCoefficients128() == A.map { (Q - $0) % Q })
        var s = a
        s.multiply(scalar: 12345)
        #expect(s.composedCoefficients128() == A.map { mulmod128($0, 12345, Q) })
        for k in [0, 1, 5, 63, 64, 65, 127, -1, 200] {
            var m = a
            m.multiply(byMonomial: k)
            // Reference: X^k * a via the schoolbook product with the monomial polynomial.
            var mono = [Int64](repeating: 0, count: 64)
            let kk = ((k % 128) + 128) % 128
            mono[kk % 64] = kk >= 64 ? -1 : 1
            let monoPoly = try RNSPoly(context: ctx, signedCoefficients: mono)
            let expected = (a.inEvaluationForm() * monoPoly.inEvaluationForm()).inCoefficientForm()
            #expect(m == expected, "k=\(k)")
        }
        // Sum of (0,...,p-1) edge values: p-1 + 1 = 0.
        let minusOne = try RNSPoly(context: ctx, signedCoefficients: [Int64](repeating: -1, count: 64))
        let one = try RNSPoly(context: ctx, signedCoefficients: [Int64](repeating: 1, count: 64))
        #expect(minusOne + one == RNSPoly(zeroIn: ctx))
    }

    @Test("CRT compose and decompose round-trip against UInt128 arithmetic")
    func crt() throws {
        let ctx = try context(16, bits: 62, limbs: 2)
        var rng = testRNG(23)
        let q = ctx.crt.product
        let Q = UInt128(q[0]) | UInt128(q[1]) << 64
        for _ in 0..<500 {
            let x = (UInt128(rng.next()) << 64 | UInt128(rng.next())) % Q
            let residues = ctx.moduli.map { UInt64(x % UInt128($0.value)) }
            #expect(ctx.crt.compose128(residues) == x)
            #expect(ctx.crt.compose2(residues[0], residues[1]) == x)
            #expect(ctx.crt.decompose([UInt64(truncatingIfNeeded: x), UInt64(truncatingIfNeeded: x >> 64)]) == residues)
        }
        // Three limbs: compose then decompose is the identity.
        let ctx3 = try context(16, bits: 60, limbs: 3)
        for _ in 0..<100 {
            let residues = ctx3.moduli.map { rng.next() % $0.value }
            #expect(ctx3.crt.decompose(ctx3.crt.compose(residues)) == residues)
        }
    }

    @Test("multiply-accumulate equals the sum of reduced products, across folds")
    func mulAcc() throws {
        // 62-bit primes force a fold every 16 terms.
        let ctx = try context(32, bits: 62, limbs: 2)
        var rng = testRNG(24)
        var acc = MultiplyAccumulator(context: ctx)
        var expected = RNSPoly(zeroIn: ctx, form: .evaluation)
        for _ in 0..<40 {
            let a = Sampler.uniform(ctx, form: .evaluation, rng: &rng)
            let b = Sampler.uniform(ctx, form: .evaluation, rng: &rng)
            acc.add(a, times: b)
            expected.add(a * b)
        }
        #expect(acc.result() == expected)
    }

    @Test("dot products equal sums of reduced products for every kernel, across reductions",
          arguments: [(30, 40), (50, 1100), (52, 1100), (53, 40), (58, 40), (59, 40), (62, 40)])
    func dotProducts(bits: Int, terms: Int) throws {
        // 52 and 58 bits are the largest primes of the two split widths, 59 and 62 take full
        // products; the term counts exceed each kernel's budget between reductions.
        let ctx = try context(16, bits: bits, limbs: 2)
        var rng = testRNG(25)
        let largest = try RNSPoly(context: ctx, residues: ctx.moduli.flatMap { [UInt64](repeating: $0.value - 1, count: 16) },
                                  form: .evaluation)
        for (rows, extreme) in [(1, false), (2, false), (3, false), (2, true)] {
            let right = (0..<terms).map { _ in extreme ? largest : Sampler.uniform(ctx, form: .evaluation, rng: &rng) }
            let left = (0..<rows).map { _ in
                (0..<terms).map { _ in extreme ? largest : Sampler.uniform(ctx, form: .evaluation, rng: &rng) }
            }
            let got = RNSPoly.dotProducts(left, right)
            for r in 0..<rows {
                var expected = RNSPoly(zeroIn: ctx, form: .evaluation)
                for k in 0..<terms { expected.add(left[r][k] * right[k]) }
                #expect(got[r] == expected, "bits \(bits) rows \(rows) extreme \(extreme)")
            }
        }
    }

    @Test("packed dot products equal sums of reduced products, across reductions and coefficient blocks",
          arguments: [(50, 3, 16), (59, 1100, 16), (62, 40, 16), (59, 5, 1024)])
    func packedDotProducts(bits: Int, terms: Int, degree: Int) throws {
        // 1100 terms of 59-bit (or larger) products pass the 128-bit sums' budget of 1023 terms.
        let ctx = try context(degree, bits: bits, limbs: 2)
        var rng = testRNG(27)
        let largest = try RNSPoly(context: ctx, residues: ctx.moduli.flatMap { [UInt64](repeating: $0.value - 1, count: degree) },
                                  form: .evaluation)
        for (rows, extreme) in [(1, false), (2, false), (2, true)] {
            let right = (0..<terms).map { _ in extreme ? largest : Sampler.uniform(ctx, form: .evaluation, rng: &rng) }
            let left = (0..<rows).map { _ in
                (0..<terms).map { _ in extreme ? largest : Sampler.uniform(ctx, form: .evaluation, rng: &rng) }
            }
            let packedLeft = PackedTerms(rows: left), packedRight = PackedTerms(rows: [right])
            #expect(packedLeft.terms == terms && packedLeft.rows == rows && packedLeft.byteCount == 8 * rows * terms * 2 * degree)
            let got = RNSPoly.dotProducts(packedLeft, packedRight)
            #expect(got.count == rows)
            for r in 0..<rows {
                var expected = RNSPoly(zeroIn: ctx, form: .evaluation)
                for k in 0..<terms { expected.add(left[r][k] * right[k]) }
                #expect(got[r] == expected, "bits \(bits) rows \(rows) extreme \(extreme)")
            }
        }
    }

    @Test("dot products across several coefficient tiles")
    func dotProductTiles() throws {
        let ctx = try context(1024, bits: 50, limbs: 2)
        var rng = testRNG(26)
        let right = (0..<5).map { _ in Sampler.uniform(ctx, form: .evaluation, rng: &rng) }
        let left = (0..<2).map { _ in (0..<5).map { _ in Sampler.uniform(ctx, form: .evaluation, rng: &rng) } }
        let got = RNSPoly.dotProducts(left, right)
        for r in 0..<2 {
            var expected = RNSPoly(zeroIn: ctx, form: .evaluation)
            for k in 0..<5 { expected.add(left[r][k] * right[k]) }
            #expect(got[r] == expected)
        }
    }

    @Test("constructors validate lengths and ranges")
    func validation() throws {
        let ctx = try context(16)
        #expect(throws: RingError.self) { try RNSPoly(context: ctx, residues: [1, 2, 3], form: .coefficient) }
        #expect(throws: RingError.self) {
            try RNSPoly(context: ctx, residues: [UInt64](repeating: ctx.moduli[0].value, count: 32), form: .coefficient)
        }
        #expect(throws: RingError.self) { try RNSPoly(context: ctx, signedCoefficients: [Int64](repeating: 0, count: 17)) }
        #expect(throws: RingError.self) { try PolyContext(degree: 16, moduli: [97, 97]) }
    }

    func mulmod128(_ a: UInt128, _ b: UInt128, _ q: UInt128) -> UInt128 {
        let (hi, lo) = a.multipliedFullWidth(by: b)
        return q.dividingFullWidth((hi, lo)).remainder
    }
}
