import RingArithmetic

/// Decrypts ciphertexts and measures their noise with the secret key.
public struct Decryptor: Sendable {
    let secretKey: SecretKey
    /// The parameters.
    public var context: BFVContext { secretKey.context }

    /// A decryptor for `secretKey`.
    public init(secretKey: SecretKey) { self.secretKey = secretKey }

    /// `c0 + c1*s (+ c2*s^2)` in coefficient form at the ciphertext's level.
    func phase(_ ct: Ciphertext) throws(BFVError) -> RNSPoly {
        guard ct.context === context else { throw BFVError.parameterMismatch }
        let level = ct.level
        let s = secretKey.evaluation(level: level)
        var c = ct
        c.toEvaluationForm()
        var x = c.polys[0]
        var power = s
        for i in 1..<c.polys.count {
            var term = c.polys[i]
            if i == 1 && level == 0 {
                // The key's Shoup quotients: three 64-bit multiplies per residue instead of a
                // 128-bit reduction (they exist for the full modulus only).
                term.multiply(byFixed: s, quotients: secretKey.evaluationShoup)
            } else {
                term.multiply(power)
            }
            x.add(term)
            if i + 1 < c.polys.count { power.multiply(s) }
        }
        x.inverseNTT()
        return x
    }

    /// Decrypts to the plaintext modulo `t`. Correct exactly when the invariant noise `|nu|_inf` is
    /// below 1/2. `invariantNoiseBudget` measures it only modulo `q`: once the noise has wrapped
    /// around `q` (an overflow, e.g. from too many operations), the budget it reports says
    /// nothing and the decryption is wrong; keep operations within the bounds derived for them.
    /// Cost: `size - 1` products and `L` inverse NTTs plus `N` exact roundings.
    /// - Throws: `BFVError.parameterMismatch` for a ciphertext of other parameters.
    public func decrypt(_ ct: Ciphertext) throws(BFVError) -> Plaintext {
        Plaintext(unchecked: context, try decrypt(ct, plaintextModulus: context.plaintextModulus))
    }

    /// Decrypts with another plaintext modulus `t'`: returns `round(t' * x / q) mod t'` per
    /// coefficient. For `t' = t / 2^k` this is `round(m / 2^k) mod t'`, the rounded top bits of
    /// the message (off by at most one when the noise is near the rounding boundary).
    /// - Throws: `BFVError.invalidValue` unless `2 <= t' <= t`.
    public func decrypt(_ ct: Ciphertext, plaintextModulus tPrime: UInt64) throws(BFVError) -> [UInt64] {
        guard tPrime >= 2, tPrime <= context.plaintextModulus else {
            throw BFVError.invalidValue("plaintext modulus must be in 2 ... t")
        }
        let x = try phase(ct)
        let n = context.degree
        let limbs = x.limbCount
        let residues = x.residues
        if tPrime <= 1 << 32 {
            return context.scaleAndRoundRNS(residues, level: ct.level, numerator: tPrime)
        }
        var out = [UInt64](repeating: 0, count: n)
        var r = [UInt64](repeating: 0, count: limbs)
        for j in 0..<n {
            for i in 0..<limbs { r[i] = residues[i * n + j] }
            out[j] = context.scaleAndRound(residues: r, level: ct.level, numerator: tPrime)
        }
        return out
    }

    /// Decrypts a power-of-two ciphertext with plaintext modulus `2^plaintextBits`: returns
    /// `round(2^plaintextBits * x / 2^bits)` for each coefficient that `c0` holds (in the order of
    /// `c0Indices`). Cost: one negacyclic product `c1 * s` (NTT over the key's ring).
    /// - Throws: `BFVError.invalidValue` unless `1 <= plaintextBits < bits`.
    public func decrypt(_ ct: PowerOfTwoCiphertext, plaintextBits: Int) throws(BFVError) -> [UInt64] {
        guard plaintextBits >= 1, plaintextBits < ct.bits, plaintextBits < 63 else {
            throw BFVError.invalidValue("plaintext bits must be in 1 ..< \(ct.bits)")
        }
        return try decrypt(ct, plaintextModulus: UInt64(1) << UInt64(plaintextBits))
    }

    /// Decrypts a power-of-two ciphertext with any plaintext modulus `t' < 2^bits` (for example
    /// the batching prime): `round(t' * x / 2^bits) mod t'` for each coefficient `c0` holds.
    /// - Throws: `BFVError.invalidValue` unless `2 <= t' < 2^bits`, or if `c1*s` cannot be
    ///   computed exactly in the key's ring.
    public func decrypt(_ ct: PowerOfTwoCiphertext, plaintextModulus tPrime: UInt64) throws(BFVError) -> [UInt64] {
        guard tPrime >= 2, ct.bits == 64 || tPrime < UInt64(1) << UInt64(ct.bits) else {
            throw BFVError.invalidValue("plaintext modulus must be in 2 ..< 2^\(ct.bits)")
        }
        // round(t' * x / 2^bits) mod t'.
        return try phase(ct).map { x in
            let product = UInt128(x) * UInt128(tPrime) + (UInt128(1) << UInt128(ct.bits - 1))
            return UInt64(truncatingIfNeeded: (product >> UInt128(ct.bits)) % UInt128(tPrime))
        }
    }

    /// The raw phase `x = c0 + c1*s mod 2^bits` of each coefficient `c0` holds (message times
    /// `2^bits / t` plus noise): for noise analysis. Cost as `decrypt`.
    /// - Throws: `BFVError.invalidValue` if `c1` has the wrong length or `c1*s` cannot be
    ///   computed exactly in the key's ring.
    public func phase(_ ct: PowerOfTwoCiphertext) throws(BFVError) -> [UInt64] {
        let n = context.degree
        guard ct.c1.count == n else { throw BFVError.invalidValue("c1 must have N coefficients") }
        // c1 * s over the integers: |coefficient| <= N * 2^bits. When that is below p_1 / 2 one
        // limb computes it exactly; otherwise the whole RNS ring does.
        let full = context.ring
        let logBound = Double(ct.bits) + Double(n.trailingZeroBitCount) + 2
        guard logBound < full.logModulus else {
            throw BFVError.invalidValue("modulus 2^\(ct.bits) too large to decrypt exactly")
        }
        let ring = logBound < Double(full.moduli[0].bitWidth - 1) ? context.levels[context.levels.count - 1].ring : full
        var c1 = RNSPoly(zeroIn: ring)
        for (i, m) in ring.moduli.enumerated() {
            c1.withLimb(i) { limb in for j in 0..<n { limb[j] = m.reduce(ct.c1[j]) } }
        }
        c1.forwardNTT()
        var product = c1 * secretKey.evaluation(level: context.levels.count - ring.limbCount)
        product.inverseNTT()
        let mask: UInt64 = ct.bits == 64 ? .max : (1 << UInt64(ct.bits)) - 1
        let indices = ct.c0Indices ?? Array(0..<n)
        let residues = product.residues
        let q = ring.modulusProduct
        var out: [UInt64] = []
        out.reserveCapacity(indices.count)
        for (k, j) in indices.enumerated() {
            // The integer c1*s at j (centered, small), reduced mod 2^bits; only the low word
            // matters modulo 2^bits (bits <= 64).
            let cs: UInt64
            if ring.limbCount == 1 {
                cs = UInt64(bitPattern: ring.moduli[0].centered(residues[j]))
            } else {
                let words = ring.crt.compose((0..<ring.limbCount).map { residues[$0 * n + j] })
                let negative = BigWord.compare(BigWord.add(words, words), q) > 0
                let magnitude = negative ? BigWord.subtract(q, words)[0] : words[0]
                cs = negative ? (0 &- magnitude) : magnitude
            }
            out.append((ct.c0[k] &+ cs) & mask)
        }
        return out
    }

    /// The noise of each coefficient, `[c0 + c1*s - Delta*m]_q` centered, as a `Double`, for a
    /// ciphertext known to encrypt `message` (statistics and tests; exact up to double rounding).
    /// - Throws: `BFVError.parameterMismatch` for objects of other parameters.
    public func noise(_ ct: Ciphertext, message: Plaintext) throws(BFVError) -> [Double] {
        guard message.context === context else { throw BFVError.parameterMismatch }
        var x = try phase(ct)
        x.subtract(context.scaled(message.coefficients, level: ct.level))
        let q = context.levels[ct.level].q
        return (0..<context.degree).map { j in
            var v = x.composedCoefficient(j)
            let negative = BigWord.compare(BigWord.add(v, v), q) > 0
            if negative { v = BigWord.subtract(q, v) }
            let magnitude = v.reversed().reduce(0.0) { $0 * 18446744073709551616.0 + Double($1) }
            return negative ? -magnitude : magnitude
        }
    }

    /// The invariant noise budget in bits: `-log2(2 * |nu|_inf)` where `t*x/q = m + nu + t*k`;
    /// 0 when decryption can fail. `nu` is recovered from `[t*x]_q`, so a noise that has grown
    /// past `q/(2t)` and wrapped is indistinguishable from a small one: a positive budget means a
    /// correct decryption only while the noise is known not to have overflowed (for example by
    /// a bound on the operations applied). Cost like `decrypt`.
    /// - Throws: `BFVError.parameterMismatch` for a ciphertext of other parameters.
    public func invariantNoiseBudget(_ ct: Ciphertext) throws(BFVError) -> Int {
        var x = try phase(ct)
        // q * nu = [t * x]_q (centered); budget = log2(q) - log2(2 * max |[t x]_q|).
        x.multiply(scalar: context.plaintextModulus)
        let level = context.levels[ct.level]
        let n = context.degree
        var largest: [UInt64] = [0]
        for j in 0..<n {
            var v = x.composedCoefficient(j)
            if BigWord.compare(BigWord.add(v, v), level.q) > 0 { v = BigWord.subtract(level.q, v) }
            if BigWord.compare(v, largest) > 0 { largest = v }
        }
        let qBits = BigWord.bitLength(level.q)
        let nuBits = BigWord.bitLength(BigWord.add(largest, largest))
        // log2(q) - log2(2|x|) rounded down; floor via bit lengths is conservative by at most 1.
        return max(0, qBits - nuBits - 1)
    }
}
