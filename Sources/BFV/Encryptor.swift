import RingArithmetic

/// Encrypts plaintexts under a secret key (symmetric, seeded: `c1` is expanded from a 32-byte
/// seed) or a public key. Cost: about three NTTs per limb (symmetric) or five (public key).
public struct Encryptor: Sendable {
    enum Key: Sendable { case secret(SecretKey), publicKey(PublicKey) }
    let key: Key
    /// The parameters.
    public let context: BFVContext

    /// Symmetric encryption under `secretKey`.
    public init(secretKey: SecretKey) { key = .secret(secretKey); context = secretKey.context }
    /// Public-key encryption under `publicKey`.
    public init(publicKey: PublicKey) { key = .publicKey(publicKey); context = publicKey.context }

    /// Encrypts `plaintext` with fresh system randomness.
    /// - Throws: `BFVError.parameterMismatch` if the plaintext has other parameters.
    public func encrypt(_ plaintext: Plaintext) throws(BFVError) -> Ciphertext {
        var rng = ChaChaDRBG.fresh()
        return try encrypt(plaintext, rng: &rng)
    }

    /// Encrypts `plaintext` with randomness from `rng`. The result is in evaluation form.
    /// - Throws: `BFVError.parameterMismatch` if the plaintext has other parameters.
    public func encrypt(_ plaintext: Plaintext, rng: inout ChaChaDRBG) throws(BFVError) -> Ciphertext {
        guard plaintext.context === context else { throw BFVError.parameterMismatch }
        switch key {
        case .secret(let s):
            // Delta*m and the error in one pass, sharing one NTT per limb.
            let seed = rng.nextSeed()
            let errors = Sampler.centeredBinomial(count: context.degree, rng: &rng)
            let noisy = context.scaled(plaintext.coefficients, plusErrors: errors, lazy: true)
            return encryptZeroSymmetric(s, seed: seed, lazyNoise: noisy)
        case .publicKey(let pk):
            return encryptZeroPublic(pk, flooding: nil, adding: context.scaled(plaintext.coefficients), rng: &rng)
        }
    }

    /// A public-key encryption of zero whose `c0` noise is uniform in `[-flooding, flooding]`
    /// (the re-randomizer of circuit privacy); with `flooding == nil` it has ordinary error.
    /// - Throws: `BFVError.unsupportedOperation` under a secret key; `BFVError.invalidValue`
    ///   unless `1 <= flooding < 2^126`.
    public func encryptZero(flooding: UInt128?, rng: inout ChaChaDRBG) throws(BFVError) -> Ciphertext {
        guard case .publicKey(let pk) = key else {
            throw BFVError.unsupportedOperation("flooded encryptions of zero need a public key")
        }
        if let f = flooding { try Flooding.check(f) }
        return encryptZeroPublic(pk, flooding: flooding, rng: &rng)
    }

    /// `(-a*s + noise, a)` with `a` expanded from `seed`; `noise` in coefficient form with
    /// residues in `[0, 4p)` (from `BFVContext.scaled(_:plusErrors:lazy:)`).
    func encryptZeroSymmetric(_ s: SecretKey, seed: Seed, lazyNoise noise: consuming RNSPoly) -> Ciphertext {
        let a = expandUniform(context.ring, seed: seed, stream: Streams.uniformA)
        var e = noise
        let n = context.degree
        let moduli = context.ring.moduli
        let tables = context.ring.ntt
        a.residues.withUnsafeBufferPointer { ap in
            s.evaluation.residues.withUnsafeBufferPointer { sp in
                s.evaluationShoup.withUnsafeBufferPointer { sq in
                    for (i, m) in moduli.enumerated() {
                        e.withLimb(i) { c in
                            tables[i].forwardLazy(c)
                            // c0 = e - a*s in one pass: e in [0, 4p) is brought below 2p, the
                            // lazy product is in [0, 2p), so e + 2p - a*s is in (0, 4p), below
                            // 2^64 for every p < 2^62; subtracting 2p, then p, when at least as
                            // large brings it below p.
                            let twoP = 2 &* m.value
                            let a = ap.baseAddress! + i * n, s = sp.baseAddress! + i * n, sh = sq.baseAddress! + i * n
                            for j in 0..<n {
                                let x = Modulus.subtract(c[j], ifAtLeast: twoP) &+ twoP &- m.multiplyShoupLazy(a[j], s[j], sh[j])
                                c[j] = m.subtractIfAbove(Modulus.subtract(x, ifAtLeast: twoP))
                            }
                        }
                    }
                }
            }
        }
        e.assumeForm(.evaluation)
        return Ciphertext(context: context, polys: [e, a], seed: seed)
    }

    /// `ct + (p0*u + e1, p1*u + e2)` with `e1` flooded, in coefficient form: the key products are
    /// summed with `ct` in evaluation form (or `ct` joins after, if in coefficient form) and
    /// transformed back once, and both errors join after the inverse transform, so they need no
    /// forward transform (two NTTs per limb fewer than adding a ready encryption of zero and
    /// leaving evaluation form later).
    func addingFloodedZero(to ct: Ciphertext, _ pk: PublicKey, flooding: UInt128, rng: inout ChaChaDRBG) -> Ciphertext {
        var (u, _) = Sampler.ternaryPoly(context.ring, rng: &rng)
        u.forwardNTT()
        let e1 = Flooding.noise(context.ring, bound: flooding, rng: &rng)
        let e2 = Sampler.errorPoly(context.ring, rng: &rng)
        let (p0u, p1u) = pk.products(u)
        let rows = [(p0u, e1), (p1u, e2)].enumerated().map { i, productAndError in
            var c = productAndError.0
            if ct.form == .evaluation { c.add(ct.polys[i]) }
            c.inverseNTT()
            if ct.form == .coefficient { c.add(ct.polys[i]) }
            c.add(productAndError.1)
            return c
        }
        return Ciphertext(context: context, polys: rows)
    }

    /// `(p0*u + e1 + extra, p1*u + e2)`, `u` ternary; `e1` flooded when asked. Evaluation form.
    func encryptZeroPublic(_ pk: PublicKey, flooding: UInt128?, adding extra: RNSPoly? = nil, rng: inout ChaChaDRBG) -> Ciphertext {
        var (u, _) = Sampler.ternaryPoly(context.ring, rng: &rng)
        u.forwardNTT()
        var e1 = flooding.map { Flooding.noise(context.ring, bound: $0, rng: &rng) }
            ?? Sampler.errorPoly(context.ring, rng: &rng)
        var e2 = Sampler.errorPoly(context.ring, rng: &rng)
        if let extra { e1.add(extra) }
        e1.forwardNTT()
        e2.forwardNTT()
        var (c0, c1) = pk.products(u)
        c0.add(e1)
        c1.add(e2)
        return Ciphertext(context: context, polys: [c0, c1])
    }
}
