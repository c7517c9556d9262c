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
    /// noise of about `(1 + |s|_1) / 2` in units of `2^bits / q'`... i.e. at most `(1 + N)/2`
    /// at the new scale. Cost: `2N` exact roundings.
    /// - Throws: `BFVError.invalidValue` unless `1 <= bits <= 64` and `bits < log2 q`.
    public func switchToPowerOfTwo(_ ct: Ciphertext, bits: Int) throws(BFVError) -> PowerOfTwoCiphertext {
        try check(ct)
        guard ct.size == 2 else { throw BFVError.unsupportedOperation("switch a size-2 ciphertext") }
        let lv = context.levels[ct.level]
        guard bits >= 1, bits <= 64, Double(bits) < lv.ring.logModulus else {
            throw BFVError.invalidValue("bits must be in 1 ... 64 and below log2 q")
        }
        let n = context.degree
        var parts: [[UInt64]] = []
        for p in ct.polys {
            let src = p.inCoefficientForm().residues
            var r = [UInt64](repeating: 0, count: lv.ring.limbCount)
            var coefficients = [UInt64](repeating: 0, count: n)
            for j in 0..<n {
                for i in 0..<lv.ring.limbCount { r[i] = src[i * n + j] }
                coefficients[j] = roundToPowerOfTwo(lv.ring.crt.compose(r), q: lv.q, bits: bits)
            }
            parts.append(coefficients)
        }
        return try PowerOfTwoCiphertext(bits: bits, c0: parts[0], c0Indices: nil, c1: parts[1])
    }

    /// `round(2^bits * x / q) mod 2^bits` for `0 <= x < q`.
    func roundToPowerOfTwo(_ x: [UInt64], q: [UInt64], bits: Int) -> UInt64 {
        let mask: UInt64 = bits == 64 ? .max : (1 << UInt64(bits)) - 1
        if q.count <= 2 {
            let Q = UInt128(q[0]) | (q.count > 1 ? UInt128(q[1]) << 64 : 0)
            let X = UInt128(x[0]) | (x.count > 1 ? UInt128(x[1]) << 64 : 0)
            // (X * 2^bits + Q/2) / Q with a 256-bit numerator; the quotient is at most 2^bits.
            let high = bits == 0 ? 0 : X >> UInt128(128 - bits)
            let low = X << UInt128(bits)
            let (sum, carry) = low.addingReportingOverflow(Q / 2)
            let quotient = Q.dividingFullWidth((high + (carry ? 1 : 0), sum)).quotient
            return UInt64(truncatingIfNeeded: quotient) & mask
        }
        var shifted = x
        for _ in 0..<bits { shifted = BigWord.add(shifted, shifted) }
        return BigWord.divideRounded(shifted, by: q)[0] & mask
    }
}
