import RingArithmetic

extension Evaluator {
    /// Drops the last RNS prime `p_L`: `c' = p_L^-1 * (c - [c]_{p_L}) mod p_j` with the centered
    /// remainder, for every polynomial. Decryption stays correct (the scale becomes `q'/t`); the
    /// noise shrinks by `p_L` and gains a rounding term of about `(1 + |s|_1)/2`.
    /// Result in coefficient form at `level + 1`.
    /// - Throws: `BFVError.unsupportedOperation` when only one prime is left.
    public func dropLastModulus(_ ct: Ciphertext) throws(BFVError) -> Ciphertext {
        try check(ct)
        guard ct.level + 1 < context.levels.count else {
            throw BFVError.unsupportedOperation("only one prime left; cannot drop another")
        }
        let from = context.levels[ct.level].ring
        let to = context.levels[ct.level + 1].ring
        let n = context.degree
        let last = from.moduli[from.limbCount - 1]
        var polys: [RNSPoly] = []
        for p in ct.polys {
            let c = p.inCoefficientForm()
            let src = c.residues
            var out = c.restricted(to: to)
            let base = (from.limbCount - 1) * n
            for (i, m) in to.moduli.enumerated() {
                // p_L^-1 mod p_i exists: distinct primes.
                let inv = (try? m.inverse(m.reduce(last.value))) ?? 0
                let invShoup = m.shoupPrecompute(inv)
                out.withLimb(i) { limb in
                    for j in 0..<n {
                        let r = m.residue(last.centered(src[base + j]))
                        limb[j] = m.multiplyShoup(m.subtract(limb[j], r), inv, invShoup)
                    }
                }
            }
            polys.append(out)
        }
        return Ciphertext(context: context, polys: polys)
    }

    /// Switches a size-2 ciphertext to the power-of-two modulus `2^bits`:
    /// `c_i' = round(2^bits * c_i / q) mod 2^bits`. Used to shrink downloads; the rounding adds
    /// noise `r0 + r1*s` with `|r_i| <= 1/2` per coefficient (standard deviation about
    /// `sqrt(N/18)` at the new scale). For `bits <= 32` it is computed in RNS without composing
    /// (`BFVContext.scaleAndRoundRNS`: exact except within 2^-18 of a rounding tie, where it may be
    /// one off, a negligible extra noise); larger `bits` use exact multi-word arithmetic.
    /// Cost: `2 L N` Shoup multiplications and floating-point operations.
    /// - Throws: `BFVError.invalidValue` unless `1 <= bits <= 64` and `bits < log2 q`.
    public func switchToPowerOfTwo(_ ct: Ciphertext, bits: Int) throws(BFVError) -> PowerOfTwoCiphertext {
        try check(ct)
        guard ct.size == 2 else { throw BFVError.unsupportedOperation("switch a size-2 ciphertext") }
        let lv = context.levels[ct.level]
        guard bits >= 1, bits <= 64, Double(bits) < lv.ring.logModulus else {
            throw BFVError.invalidValue("bits must be in 1 ... 64 and below log2 q")
        }
        let n = context.degree
        let ring = lv.ring
        var parts: [[UInt64]] = []
        for p in ct.polys {
            let src = p.inCoefficientForm().residues
            var coefficients = [UInt64](repeating: 0, count: n)
            if bits <= 32 {
                coefficients = context.scaleAndRoundRNS(src, level: ct.level, numerator: 1 << UInt64(bits))
            } else {
                var r = [UInt64](repeating: 0, count: ring.limbCount)
                for j in 0..<n {
                    for i in 0..<ring.limbCount { r[i] = src[i * n + j] }
                    coefficients[j] = roundToPowerOfTwo(ring.crt.compose(r), q: lv.q, bits: bits)
                }
            }
            parts.append(coefficients)
        }
        return try PowerOfTwoCiphertext(bits: bits, c0: parts[0], c0Indices: nil, c1: parts[1])
    }

    /// `round(2^bits * x / q) mod 2^bits` for `0 <= x < q`.
    func roundToPowerOfTwo(_ x: [UInt64], q: [UInt64], bits: Int) -> UInt64 {
        let mask: UInt64 = bits == 64 ? .max : (1 << UInt64(bits)) - 1
        var shifted = x
        for _ in 0..<bits { shifted = BigWord.add(shifted, shifted) }
        return BigWord.divideRounded(shifted, by: q)[0] & mask
    }
}
