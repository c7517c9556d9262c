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
            let noisy = context.scaled(plaintext.coefficients, plusErrors: errors)
            return encryptZeroSymmetric(s, seed: seed, noise: noisy)
        case .publicKey(let pk):
            return encryptZeroPublic(pk, flooding: nil, adding: context.scaled(plaintext.coefficients), rng: &rng)
        }
    }

    /// A public-key encryption of zero whose `c0` noise is uniform in `[-flooding, flooding]`
    /// (the re-randomizer of circuit privacy); with `flooding == nil` it has ordinary error.
    /// - Throws: `BFVError.unsupportedOperation` under a secret key.
    public func encryptZero(flooding: UInt128?, rng: inout ChaChaDRBG) throws(BFVError) -> Ciphertext {
        guard case .publicKey(let pk) = key else {
            throw BFVError.unsupportedOperation("flooded encryptions of zero need a public key")
        }
        return encryptZeroPublic(pk, flooding: flooding, rng: &rng)
    }

    /// `(-a*s + noise, a)` with `a` expanded from `seed`; `noise` in coefficient form.
    func encryptZeroSymmetric(_ s: SecretKey, seed: Seed, noise: consuming RNSPoly) -> Ciphertext {
        let a = expandUniform(context.ring, seed: seed, stream: Streams.uniformA)
        var e = noise
        e.forwardNTT()
        // c0 = e - a*s in one pass, with Shoup products against the fixed key.
        let n = context.degree
        let moduli = context.ring.moduli
        a.residues.withUnsafeBufferPointer { ap in
            s.evaluation.residues.withUnsafeBufferPointer { sp in
                s.evaluationShoup.withUnsafeBufferPointer { sq in
                    for (i, m) in moduli.enumerated() {
                        e.withLimb(i) { c in
                            for j in 0..<n {
                                let k = i * n + j
                                c[j] = m.subtract(c[j], m.multiplyShoup(ap[k], sp[k], sq[k]))
                            }
                        }
                    }
                }
            }
        }
        return Ciphertext(context: context, polys: [e, a], seed: seed)
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
        var c0 = pk.p0 * u
        c0.add(e1)
        var c1 = pk.p1 * u
        c1.add(e2)
        return Ciphertext(context: context, polys: [c0, c1])
    }
}
