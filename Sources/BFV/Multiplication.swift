import RingArithmetic

extension Evaluator {
    /// `a * b` for two size-2 ciphertexts: the size-3 tensor `(a0 b0, a0 b1 + a1 b0, a1 b1)`
    /// scaled by `t/q` with rounding. The operands are lifted to centered integers in the
    /// extended base `q * P` (large enough to hold every tensor coefficient exactly), multiplied
    /// there with NTTs, then rescaled in RNS (Halevi-Polyakov-Shoup style, off by at most one per
    /// coefficient). Result in coefficient form; relinearize it before further products.
    /// Cost: `4 (L+K)` forward and `3 (L+K)` inverse NTTs plus `O(L K N)` word operations.
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

    /// The centered lift of a coefficient-form polynomial mod `q` into the extended base (RNS).
    func lift(_ p: RNSPoly, level lv: BFVContext.Level) -> RNSPoly {
        let n = context.degree
        let limbs = lv.ring.limbCount
        let src = p.residues
        let extra = RNSConversion.convertCentered(src, from: lv.ring, to: lv.extra.moduli, degree: n)
        // Residues modulo q's primes carry over; P's come from the conversion.
        return (try? RNSPoly(context: lv.extended, residues: Array(src.prefix(limbs * n)) + extra, form: .coefficient))!
    }

    /// `round(t * x / q) mod q` per coefficient (RNS, see `RNSConversion.scaleDown`).
    func scaleDown(_ p: RNSPoly, level lv: BFVContext.Level) -> RNSPoly {
        let residues = RNSConversion.scaleDown(p.residues, level: lv, t: context.plaintextModulus, degree: context.degree)
        return (try? RNSPoly(context: lv.ring, residues: residues, form: .coefficient))!
    }
}
