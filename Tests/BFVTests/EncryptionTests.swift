import Testing
import BFV
import RingArithmetic

@Suite("Encryption and encoders")
struct EncryptionTests {
    @Test("symmetric and public-key encryption decrypt correctly with the coefficient encoder")
    func coefficientRoundTrip() throws {
        let ctx = Fixtures.coefficient
        var rng = testRNG(1)
        let sk = SecretKey(context: ctx, rng: &rng)
        let pk = PublicKey(secretKey: sk, rng: &rng)
        let encoder = CoefficientEncoder(context: ctx)
        let t = Int64(ctx.plaintextModulus)
        var values = (0..<ctx.degree).map { _ in Int64(rng.next() % UInt64(t)) - t / 2 }
        values[0] = 0; values[1] = t / 2; values[2] = -(t / 2) + 1; values[3] = -1; values[4] = 1
        let pt = try encoder.encode(values)
        for encryptor in [Encryptor(secretKey: sk), Encryptor(publicKey: pk)] {
            let ct = try encryptor.encrypt(pt, rng: &rng)
            let decrypted = try Decryptor(secretKey: sk).decrypt(ct)
            #expect(encoder.decode(decrypted) == values)
            #expect(try Decryptor(secretKey: sk).invariantNoiseBudget(ct) > 60)
        }
        // The edges of the accepted range survive; values beyond it (which would wrap) are refused.
        let edge = try encoder.encode([t / 2, -(t / 2) + 1, 0])
        let ct = try Encryptor(secretKey: sk).encrypt(edge, rng: &rng)
        #expect(Array(encoder.decode(try Decryptor(secretKey: sk).decrypt(ct)).prefix(3)) == [t / 2, -(t / 2) + 1, 0])
        for outside in [t, t - 1, t / 2 + 1, -(t / 2)] { #expect(throws: BFVError.self) { try encoder.encode([outside]) } }
        #expect(throws: BFVError.self) { try encoder.encode([Int64](repeating: 0, count: ctx.degree + 1)) }
        #expect("\(sk)" == "SecretKey(<redacted>)")
    }

    @Test("encryption stays correct with a prime just below 2^62 (lazy passes near 2^64)")
    func widestPrime() throws {
        let top = try Primes.nttFriendly(bits: 62, count: 1, degree: 4096)
        // Above 2^64 / 6, so a lazy value in [0, 6p) would wrap: the passes must stay below 4p.
        #expect(top[0] > UInt64.max / 6)
        let small = try Primes.nttFriendly(bits: 40, count: 1, degree: 4096)
        let ctx = try BFVContext(Parameters(degree: 4096, coefficientModuli: top + small, plaintextModulus: 1 << 17))
        var rng = testRNG(7)
        let sk = SecretKey(context: ctx, rng: &rng)
        let pk = PublicKey(secretKey: sk, rng: &rng)
        let encoder = CoefficientEncoder(context: ctx)
        let values = (0..<ctx.degree).map { _ in Int64(rng.next() % (1 << 17)) - (1 << 16) }
        let pt = try encoder.encode(values)
        for encryptor in [Encryptor(secretKey: sk), Encryptor(publicKey: pk)] {
            for _ in 0..<4 {
                let ct = try encryptor.encrypt(pt, rng: &rng)
                #expect(encoder.decode(try Decryptor(secretKey: sk).decrypt(ct)) == values)
            }
        }
    }

    @Test("batch encoder round-trips slots and encrypts correctly")
    func batching() throws {
        let ctx = Fixtures.batching
        var rng = testRNG(2)
        let encoder = try BatchEncoder(context: ctx)
        var slots = (0..<ctx.degree).map { _ in rng.next() % 65537 }
        slots[0] = 0; slots[1] = 65536
        let pt = try encoder.encode(slots)
        #expect(encoder.decode(pt) == slots)
        let sk = SecretKey(context: ctx, rng: &rng)
        let ct = try Encryptor(publicKey: PublicKey(secretKey: sk, rng: &rng)).encrypt(pt, rng: &rng)
        #expect(encoder.decode(try Decryptor(secretKey: sk).decrypt(ct)) == slots)
        #expect(throws: BFVError.self) { try BatchEncoder(context: Fixtures.coefficient) }
        #expect(throws: BFVError.self) { try encoder.encode([65537]) }
    }

    @Test("decryption with a smaller plaintext modulus returns the rounded top bits")
    func smallerModulus() throws {
        let ctx = Fixtures.coefficient
        var rng = testRNG(3)
        let sk = SecretKey(context: ctx, rng: &rng)
        let t = ctx.plaintextModulus
        let values = (0..<ctx.degree).map { _ in rng.next() % t }
        let ct = try Encryptor(secretKey: sk).encrypt(try Plaintext(context: ctx, coefficients: values), rng: &rng)
        for l in [1, 6, 11, 16] {
            let tPrime = UInt64(1) << UInt64(l)
            let top = try Decryptor(secretKey: sk).decrypt(ct, plaintextModulus: tPrime)
            let shift = UInt64(17 - l)
            for j in 0..<ctx.degree {
                let expected = ((values[j] + (1 << shift) / 2) >> shift) % tPrime
                // Exact except when the message sits on a rounding boundary (then off by one).
                let diff = (top[j] + tPrime - expected) % tPrime
                #expect(diff == 0 || diff == 1 || diff == tPrime - 1)
            }
        }
    }
}
