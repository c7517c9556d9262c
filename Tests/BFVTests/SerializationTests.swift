import Testing
import BFV
import RingArithmetic

@Suite("Serialization")
struct SerializationTests {
    @Test("keys, plaintexts and ciphertexts round-trip; a fresh symmetric ciphertext is N*ceil(log2 q) bits plus seed and header")
    func roundTrips() throws {
        let ctx = Fixtures.coefficient
        var rng = testRNG(20)
        let sk = SecretKey(context: ctx, rng: &rng)
        let pk = PublicKey(secretKey: sk, rng: &rng)
        let encoder = CoefficientEncoder(context: ctx)
        let values = (0..<ctx.degree).map { _ in Int64(rng.next() % 1000) - 500 }
        let pt = try encoder.encode(values)
        #expect(try Plaintext(serialized: pt.serialized(), context: ctx) == pt)
        let dec = Decryptor(secretKey: sk)

        let fresh = try Encryptor(secretKey: sk).encrypt(pt, rng: &rng)
        let bytes = fresh.serialized()
        let logQ = Int(ctx.parameters.logModulus.rounded(.up))
        #expect(bytes.count == 14 + 4 + (ctx.degree * logQ + 7) / 8 + 32)
        #expect(encoder.decode(try dec.decrypt(try Ciphertext(serialized: bytes, context: ctx))) == values)
        // A first coefficient of all ones (2^ceil(log2 q) - 1 >= q) is refused, not reduced.
        var high = bytes
        for i in 18..<(18 + (logQ + 7) / 8) { high[i] = 0xFF }
        #expect(throws: BFVError.self) { try Ciphertext(serialized: high, context: ctx) }

        let publicCt = try Encryptor(publicKey: pk).encrypt(pt, rng: &rng)
        let decodedPublic = try Ciphertext(serialized: publicCt.serialized(), context: ctx)
        #expect(encoder.decode(try dec.decrypt(decodedPublic)) == values)
        #expect(publicCt.serialized().count == 14 + 4 + (2 * ctx.degree * logQ + 7) / 8)

        // Public key and secret key.
        let pk2 = try PublicKey(serialized: pk.serialized(), context: ctx)
        let viaPk2 = try Encryptor(publicKey: pk2).encrypt(pt, rng: &rng)
        #expect(encoder.decode(try dec.decrypt(viaPk2)) == values)
        let sk2 = try SecretKey(serializedSecret: sk.serializedSecret(), context: ctx)
        #expect(encoder.decode(try Decryptor(secretKey: sk2).decrypt(fresh)) == values)

        // Level-1 and power-of-two ciphertexts.
        let ev = Evaluator(context: ctx)
        let low = try ev.dropLastModulus(fresh)
        #expect(encoder.decode(try dec.decrypt(try Ciphertext(serialized: low.serialized(), context: ctx))) == values)
        let p2 = try ev.switchToPowerOfTwo(fresh, bits: 28).keepingCoefficients([1, 2, 3, 100])
        let p2bytes = p2.serialized(context: ctx)
        #expect(try PowerOfTwoCiphertext(serialized: p2bytes, context: ctx) == p2)

        // Wrong parameters are refused by fingerprint.
        #expect(throws: BFVError.self) { try Ciphertext(serialized: bytes, context: Fixtures.batching) }
    }

    @Test("relinearization keys round-trip")
    func relinKey() throws {
        let ctx = Fixtures.batching
        var rng = testRNG(21)
        let sk = SecretKey(context: ctx, rng: &rng)
        let rk = RelinearizationKey(secretKey: sk, rng: &rng)
        let rk2 = try RelinearizationKey(serialized: rk.serialized(), context: ctx)
        let encoder = try BatchEncoder(context: ctx)
        let a = (0..<ctx.degree).map { _ in rng.next() % 65537 }
        let ct = try Encryptor(secretKey: sk).encrypt(try encoder.encode(a), rng: &rng)
        let sq = try Evaluator(context: ctx).multiply(ct, ct, relinearizationKey: rk2)
        #expect(encoder.decode(try Decryptor(secretKey: sk).decrypt(sq)) == a.map { $0 * $0 % 65537 })
    }

    @Test("decoders survive 100,000 mutated and truncated inputs without crashing")
    func fuzz() throws {
        // Small valid parameters (N = 1024, one 27-bit prime) keep each decode cheap.
        let prime = try Primes.nttFriendly(bits: 27, count: 1, degree: 1024)[0]
        let ctx = try BFVContext(try Parameters(degree: 1024, coefficientModuli: [prime], plaintextModulus: 256))
        var rng = testRNG(22)
        let sk = SecretKey(context: ctx, rng: &rng)
        let pk = PublicKey(secretKey: sk, rng: &rng)
        let pt = try CoefficientEncoder(context: ctx).encode((0..<1024).map { Int64($0 % 200) - 100 })
        let ct = try Encryptor(secretKey: sk).encrypt(pt, rng: &rng)
        let full = try Encryptor(publicKey: pk).encrypt(pt, rng: &rng)
        let p2 = try Evaluator(context: ctx).switchToPowerOfTwo(full, bits: 20).keepingCoefficients([0, 9, 1000])
        let seeds: [[UInt8]] = [ct.serialized(), full.serialized(), pt.serialized(), pk.serialized(),
                                sk.serializedSecret(), p2.serialized(context: ctx)]
        let decoders: [([UInt8]) throws -> Void] = [
            { _ = try Ciphertext(serialized: $0, context: ctx) },
            { _ = try Plaintext(serialized: $0, context: ctx) },
            { _ = try PublicKey(serialized: $0, context: ctx) },
            { _ = try SecretKey(serializedSecret: $0, context: ctx) },
            { _ = try PowerOfTwoCiphertext(serialized: $0, context: ctx) },
        ]
        var accepted = 0, rejected = 0
        for i in 0..<100_000 {
            var b = seeds[i % seeds.count]
            switch rng.next() % 6 {
            case 0: b = Array(b.prefix(Int(rng.next() % UInt64(b.count + 1))))  // truncate
            case 1: b += (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }  // extend
            case 2:  // flip bytes in the body or the small header fields
                for _ in 0..<(1 + rng.next() % 4) {
                    let k = Int(rng.next() % UInt64(b.count))
                    b[k] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
                }
            case 3:  // set a header byte after the fingerprint (level, size, form, flags, counts)
                let k = 14 + Int(rng.next() % 8)
                if k < b.count { b[k] = UInt8(truncatingIfNeeded: rng.next()) }
            case 4:  // all-ones body: every packed value at its maximum
                for k in 14..<b.count { b[k] = 0xff }
            default:  // random bytes behind a valid header
                for k in 14..<b.count { b[k] = UInt8(truncatingIfNeeded: rng.next()) }
            }
            for decode in decoders {
                do { try decode(b); accepted += 1 } catch { rejected += 1 }
            }
        }
        #expect(rejected > 0)
        #expect(accepted + rejected == 500_000)
    }
}
