import RingArithmetic

/// Exact RNS base conversion and rescaling for ciphertext multiplication, in the style of
/// Halevi-Polyakov-Shoup: floating-point estimates of the CRT overflow replace multi-word
/// arithmetic. All constants are public; the cost is `O(L * K)` word operations per coefficient.
enum RNSConversion {
    /// The centered representative (in `[-Q/2, Q/2)`) of each coefficient, given by its residues
    /// `x` (limb-major) in the base `from` (with product `Q`), reduced into every modulus of `to`.
    /// Uses `x_c = sum_i y_i * (Q/q_i) - v * Q` with `y_i = [x_i * (Q/q_i)^-1]_{q_i}` and
    /// `v = round(sum_i y_i / q_i)`; the estimate of `v` is exact except within 2^-40 of a tie.
    static func convertCentered(_ x: [UInt64], from: PolyContext, to: [Modulus], degree n: Int) -> [UInt64] {
        let source = from.moduli
        let qWords = from.modulusProduct
        // (Q/q_i) mod t_k and Q mod t_k.
        let cofactorMod: [[UInt64]] = source.indices.map { i in
            var c: [UInt64] = [1]
            for (k, m) in source.enumerated() where k != i { c = BigWord.multiply(c, m.value) }
            return to.map { BigWord.remainder(c, $0) }
        }
        let qMod = to.map { BigWord.remainder(qWords, $0) }
        let inverses = source.indices.map { from.crt.cofactorInverse($0) }
        let reciprocals = source.map { 1 / Double($0.value) }
        var out = [UInt64](repeating: 0, count: to.count * n)
        var y = [UInt64](repeating: 0, count: source.count)
        for j in 0..<n {
            var estimate = 0.0
            for (i, m) in source.enumerated() {
                y[i] = m.multiplyShoup(x[i * n + j], inverses[i].0, inverses[i].1)
                estimate += Double(y[i]) * reciprocals[i]
            }
            let v = UInt64(estimate.rounded())
            for (k, t) in to.enumerated() {
                var acc: UInt128 = 0
                for i in 0..<source.count { acc &+= UInt128(y[i]) * UInt128(cofactorMod[i][k]) }
                out[k * n + j] = t.subtract(t.reduce(acc), t.multiply(v, qMod[k]))
            }
        }
        return out
    }

    /// `round(t * x / q)` reduced modulo every prime of `q`, for tensor coefficients `x` held
    /// exactly (centered) in the extended base `q * P` (limb-major residues, `q`'s limbs first).
    /// Computed in the base `P` as `sum_i y_i * floor(tP/q_i) + round(sum_i y_i * frac(tP/q_i)) +
    /// y_j * (tP/p_j)` (the last term only for `p_j` itself), then converted back to `q`; the
    /// rounding may be off by one, a negligible extra noise.
    static func scaleDown(_ x: [UInt64], level lv: BFVContext.Level, t: UInt64, degree n: Int) -> [UInt64] {
        let ext = lv.extended, pRing = lv.extra
        let l = lv.ring.limbCount, kCount = pRing.limbCount
        let qModuli = lv.ring.moduli, pModuli = pRing.moduli
        let tP = BigWord.multiply(pRing.modulusProduct, t)
        // floor(tP / q_i) mod p_k and frac(tP / q_i).
        var omega = [[UInt64]](), theta = [Double]()
        for q in qModuli {
            let (quotient, remainder) = BigWord.divide(tP, by: [q.value])
            omega.append(pModuli.map { BigWord.remainder(quotient, $0) })
            theta.append(Double(remainder[0]) / Double(q.value))
        }
        // (t * P / p_k) mod p_k.
        let own: [UInt64] = pModuli.enumerated().map { k, p in
            var c: [UInt64] = [t]
            for (i, other) in pModuli.enumerated() where i != k { c = BigWord.multiply(c, other.value) }
            return BigWord.remainder(c, p)
        }
        let inverses = ext.moduli.indices.map { ext.crt.cofactorInverse($0) }
        var z = [UInt64](repeating: 0, count: kCount * n)
        var y = [UInt64](repeating: 0, count: l + kCount)
        for j in 0..<n {
            var fraction = 0.0
            for (m, modulus) in ext.moduli.enumerated() {
                y[m] = modulus.multiplyShoup(x[m * n + j], inverses[m].0, inverses[m].1)
                if m < l { fraction += Double(y[m]) * theta[m] }
            }
            let r = UInt64(fraction.rounded())
            for (k, p) in pModuli.enumerated() {
                var acc: UInt128 = UInt128(y[l + k]) * UInt128(own[k]) + UInt128(r)
                for i in 0..<l { acc &+= UInt128(y[i]) * UInt128(omega[i][k]) }
                z[k * n + j] = p.reduce(acc)
            }
        }
        return convertCentered(z, from: pRing, to: qModuli, degree: n)
    }
}
