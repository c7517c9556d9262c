import RingArithmetic

/// DRBG stream numbers that separate the uses of one seed.
enum Streams {
    static let uniformA: UInt64 = 1
    static let relinearization: UInt64 = 0x100
}

/// The BFV secret key: a ternary polynomial `s`. Never printed (its description is redacted)
/// and serialized only through `serializedSecret()`. Memory: `8 L N` bytes plus `8 N`.
public struct SecretKey: Sendable, CustomStringConvertible {
    /// The parameters.
    public let context: BFVContext
    /// The ternary coefficients of `s`.
    let coefficients: [Int64]
    /// `s` in evaluation form over the full modulus.
    let evaluation: RNSPoly
    /// Shoup quotients of `evaluation`, limb-major (fast products with the fixed key).
    let evaluationShoup: [UInt64]

    /// A fresh secret key from the system's cryptographic generator.
    public init(context: BFVContext) {
        var rng = ChaChaDRBG.fresh()
        self.init(context: context, rng: &rng)
    }

    /// A secret key drawn from `rng` (deterministic for a seeded generator).
    public init(context: BFVContext, rng: inout ChaChaDRBG) {
        let (poly, coefficients) = Sampler.ternaryPoly(context.ring, rng: &rng)
        self.init(context: context, coefficients: coefficients, poly: poly)
    }

    init(context: BFVContext, coefficients: [Int64], poly: RNSPoly) {
        self.context = context
        self.coefficients = coefficients
        let e = poly.inEvaluationForm()
        self.evaluation = e
        self.evaluationShoup = e.shoupQuotients
    }

    /// `-(a*s + e)` in evaluation form for a fresh error `e`: the first half of an encryption of
    /// zero (public keys, relinearization keys).
    func negatedNoisyProduct(_ a: RNSPoly, rng: inout ChaChaDRBG) -> RNSPoly {
        var e = Sampler.errorPoly(context.ring, rng: &rng)
        e.forwardNTT()
        var p = a * evaluation
        p.add(e)
        p.negate()
        return p
    }

    /// `s` in evaluation form at `level`.
    func evaluation(level: Int) -> RNSPoly {
        level == 0 ? evaluation : evaluation.restricted(to: context.levels[level].ring)
    }

    public var description: String { "SecretKey(<redacted>)" }
}

/// The BFV public key `(p0, p1) = (-(a*s + e), a)` with `a` expanded from a seed.
/// Memory: `32 L N` bytes: `p0`, the expanded `a` and their Shoup quotients.
public struct PublicKey: Sendable, DerivedKey {
    /// The parameters.
    public let context: BFVContext
    /// `p0` in evaluation form.
    let p0: RNSPoly
    /// `a` in evaluation form (expanded from `seed`).
    let p1: RNSPoly
    /// The seed of `a`.
    let seed: Seed
    /// Shoup quotients of `p0` and `p1` (products with `u` in every public-key encryption).
    let p0Shoup: [UInt64], p1Shoup: [UInt64]

    /// Derives a public key from a secret key with randomness from `rng`.
    public init(secretKey: SecretKey, rng: inout ChaChaDRBG) {
        let ctx = secretKey.context
        let seed = rng.nextSeed()
        let a = expandUniform(ctx.ring, seed: seed, stream: Streams.uniformA)
        let p0 = secretKey.negatedNoisyProduct(a, rng: &rng)
        self.init(context: ctx, p0: p0, seed: seed)
    }

    init(context: BFVContext, p0: RNSPoly, seed: Seed) {
        self.context = context
        self.p0 = p0
        self.seed = seed
        self.p1 = expandUniform(context.ring, seed: seed, stream: Streams.uniformA)
        self.p0Shoup = p0.shoupQuotients
        self.p1Shoup = p1.shoupQuotients
    }

    /// `(p0 * u, p1 * u)` for `u` in evaluation form.
    func products(_ u: RNSPoly) -> (RNSPoly, RNSPoly) {
        var (c0, c1) = (u, u)
        c0.multiply(byFixed: p0, quotients: p0Shoup)
        c1.multiply(byFixed: p1, quotients: p1Shoup)
        return (c0, c1)
    }
}

/// The relinearization key: for each RNS limb `i`, an encryption of `s^2` times the CRT basis
/// element of limb `i` (which is 1 modulo `p_i` and 0 modulo the others), so that a degree-2
/// ciphertext can be folded back to two polynomials. Its uniform halves come from one seed.
/// Memory: `8 L^2 N` bytes.
public struct RelinearizationKey: Sendable, DerivedKey {
    /// The parameters.
    public let context: BFVContext
    /// `k0_i = -(a_i s + e_i) + s^2 g_i`, evaluation form, one per limb.
    let k0: [RNSPoly]
    /// `a_i`, expanded from `seed`.
    let k1: [RNSPoly]
    /// The seed.
    let seed: Seed

    /// Generates the key for `secretKey` with randomness from `rng`.
    public init(secretKey: SecretKey, rng: inout ChaChaDRBG) {
        let ctx = secretKey.context
        let seed = rng.nextSeed()
        let s = secretKey.evaluation
        let s2 = s * s
        var k0: [RNSPoly] = []
        let n = ctx.degree
        for i in 0..<ctx.ring.limbCount {
            let a = expandUniform(ctx.ring, seed: seed, stream: Streams.relinearization + UInt64(i))
            var k = secretKey.negatedNoisyProduct(a, rng: &rng)
            // + s^2 * g_i: g_i is 1 mod p_i and 0 mod the other primes, so only limb i changes.
            var gi = RNSPoly(zeroIn: ctx.ring, form: .evaluation)
            var limb = Array(s2.limb(i))
            gi.withLimb(i) { ptr in for j in 0..<n { ptr[j] = limb[j] } }
            limb.removeAll()
            k.add(gi)
            k0.append(k)
        }
        self.init(context: ctx, k0: k0, seed: seed)
    }

    init(context: BFVContext, k0: [RNSPoly], seed: Seed) {
        self.context = context
        self.k0 = k0
        self.seed = seed
        self.k1 = (0..<k0.count).map { expandUniform(context.ring, seed: seed, stream: Streams.relinearization + UInt64($0)) }
    }
}

/// The uniform polynomial (evaluation form) expanded from `seed` on sub-stream `stream`.
func expandUniform(_ ring: PolyContext, seed: Seed, stream: UInt64) -> RNSPoly {
    var g = ChaChaDRBG(seed: seed, stream: stream)
    return Sampler.uniform(ring, form: .evaluation, rng: &g)
}

/// A key derived from a secret key with randomness from a DRBG (public and relinearization keys).
public protocol DerivedKey {
    /// Derives the key for `secretKey` with randomness from `rng`.
    init(secretKey: SecretKey, rng: inout ChaChaDRBG)
}

extension DerivedKey {
    /// Derives the key for `secretKey` with fresh system randomness.
    public init(secretKey: SecretKey) {
        var rng = ChaChaDRBG.fresh()
        self.init(secretKey: secretKey, rng: &rng)
    }
}
