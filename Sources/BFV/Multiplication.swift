import RingArithmetic

extension Evaluator {
    /// `a * b` for two size-2 ciphertexts: the size-3 tensor `(a0 b0, a0 b1 + a1 b0, a1 b1)`
    /// scaled by `t/q` with exact rounding. The operands are lifted to centered integers in the
    /// extended base `q * P` (large enough to hold every tensor coefficient exactly), multiplied
    /// there with NTTs, then each coefficient is scaled with exact multi-word arithmetic. Result
    /// in coefficient form; relinearize it before further products.
    /// Cost: `4 (L+K)` forward and `3 (L+K)` inverse NTTs plus `3N` multi-word roundings.
    /// - Throws: `BFVError.unsupportedOperation` unless both have size 2.
    public func multiply(_ a: Ciphertext, _ b: Ciphertext) throws(BFVError) -> Ciphertext {
        try check(a, b)
        guard a.size == 2, b.size == 2 else { throw BFVError.unsupportedOperation("multiply size-2 ciphertexts; relinearize first") }
        let lv = context.levels[a.level]
        let lifted = [a.polys[0], a.polys[1], b.polys[0], b.polys[1]].map { p -> RNSPoly in
            var e = lift(p.inCoefficientForm(), level: lv)
            e.forwardNTT()
            return e
        }
        var e0 = lifted[0] * lifted[2]
        var e1 = lifted[0] * lifted[3]
        e1.add(lifted[1] * lifted[2])
        var e2 = lifted[1] * lifted[3]
        e0.inverseNTT(); e1.inverseNTT(); e2.inverseNTT()
        let polys = [e0, e1, e2].map { scaleDown($0, level: lv) }
        return Ciphertext(context: context, polys: polys)
    }

    /// Relinearizes a size-3 ciphertext at level 0 to size 2 with `key`. The third polynomial is
    /// decomposed by RNS limb (digit `i` is `c2 mod p_i`, below `p_i`), so the added noise is
    /// about `L * N * p_max * 3.2`. Result in evaluation form.
    /// - Throws: `BFVError.unsupportedOperation` unless size 3 at level 0.
    public func relinearize(_ ct: Ciphertext, key: RelinearizationKey) throws(BFVError) -> Ciphertext {
        try check(ct)
        guard key.context === context else { throw BFVError.parameterMismatch }
        guard ct.size == 3, ct.level == 0 else { throw BFVError.unsupportedOperation("relinearize a size-3 ciphertext at level 0") }
        var c = ct
        c.toCoefficientForm()
        let ring = context.ring
        let n = context.degree
        let c2 = c.polys[2].residues
        var digits: [RNSPoly] = []
        for i in 0..<ring.limbCount {
            var d = RNSPoly(zeroIn: ring)
            for (j, m) in ring.moduli.enumerated() {
                d.withLimb(j) { limb in for x in 0..<n { limb[x] = m.reduce(c2[i * n + x]) } }
            }
            d.forwardNTT()
            digits.append(d)
        }
        var c0 = c.polys[0].inEvaluationForm()
        var c1 = c.polys[1].inEvaluationForm()
        c0.add(RNSPoly.dotProducts([digits], key.k0)[0])
        c1.add(RNSPoly.dotProducts([digits], key.k1)[0])
        return Ciphertext(context: context, polys: [c0, c1])
    }

    /// `relinearize(multiply(a, b), key)`.
    public func multiply(_ a: Ciphertext, _ b: Ciphertext, relinearizationKey key: RelinearizationKey) throws(BFVError) -> Ciphertext {
        try relinearize(try multiply(a, b), key: key)
    }

    /// The centered lift of a coefficient-form polynomial mod `q` into the extended base.
    func lift(_ p: RNSPoly, level lv: BFVContext.Level) -> RNSPoly {
        let n = context.degree
        let ext = lv.extended
        let limbs = lv.ring.limbCount
        var out = RNSPoly(zeroIn: ext)
        let src = p.residues
        // The first limbs are the same primes: residues carry over unchanged.
        out.withLimb(0) { dst in for i in 0..<(limbs * n) { dst[i] = src[i] } }
        var r = [UInt64](repeating: 0, count: limbs)
        var lifted = [[UInt64]](repeating: [UInt64](repeating: 0, count: n), count: ext.limbCount - limbs)
        for j in 0..<n {
            for i in 0..<limbs { r[i] = src[i * n + j] }
            let x = lv.ring.crt.compose(r)
            let negative = BigWord.compare(BigWord.add(x, x), lv.q) > 0
            let magnitude = negative ? BigWord.subtract(lv.q, x) : x
            for k in limbs..<ext.limbCount {
                let m = ext.moduli[k]
                let v = BigWord.remainder(magnitude, m)
                lifted[k - limbs][j] = negative ? m.negate(v) : v
            }
        }
        for k in limbs..<ext.limbCount {
            out.withLimb(k) { dst in for j in 0..<n { dst[j] = lifted[k - limbs][j] } }
        }
        return out
    }

    /// `round(t * x / q) mod q` per coefficient for `x` held exactly (centered) in the extended base.
    func scaleDown(_ p: RNSPoly, level lv: BFVContext.Level) -> RNSPoly {
        let n = context.degree
        let ext = lv.extended
        let big = ext.modulusProduct
        let t = context.plaintextModulus
        var out = RNSPoly(zeroIn: lv.ring)
        let src = p.residues
        var r = [UInt64](repeating: 0, count: ext.limbCount)
        var results = [[UInt64]](repeating: [UInt64](repeating: 0, count: n), count: lv.ring.limbCount)
        for j in 0..<n {
            for i in 0..<ext.limbCount { r[i] = src[i * n + j] }
            let x = ext.crt.compose(r)
            let negative = BigWord.compare(BigWord.add(x, x), big) > 0
            let magnitude = negative ? BigWord.subtract(big, x) : x
            let scaled = BigWord.divideRounded(BigWord.multiply(magnitude, t), by: lv.q)
            for (i, m) in lv.ring.moduli.enumerated() {
                let v = BigWord.remainder(scaled, m)
                results[i][j] = negative ? m.negate(v) : v
            }
        }
        for i in 0..<lv.ring.limbCount {
            out.withLimb(i) { dst in for j in 0..<n { dst[j] = results[i][j] } }
        }
        return out
    }
}
