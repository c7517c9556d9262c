import Testing
import BFV
import RingArithmetic

@Suite("Sharp edges of the BFV API")
struct SharpEdgesTests {
    @Test("Flooding.bound throws a typed error instead of trapping on overflow")
    func floodingOverflow() throws {
        #expect(throws: BFVError.self) { try Flooding.bound(noiseBound: 1 << 100, count: 1 << 30) }
        #expect(throws: BFVError.self) { try Flooding.bound(noiseBound: UInt128.max, count: 2) }
        #expect(throws: BFVError.self) { try Flooding.bound(noiseBound: 1, count: 1, statisticalSecurity: 128) }
        #expect(throws: BFVError.self) { try Flooding.bound(noiseBound: 1 << 60, count: 1 << 28) }  // 2^128
        #expect(try Flooding.bound(noiseBound: 1 << 60, count: (1 << 27) - 1) == UInt128((1 << 27) - 1) << 100)
        #expect(try Flooding.bound(noiseBound: 3, count: 5) == 15 << 40)
    }

    @Test("the coefficient encoder accepts exactly the range it decodes to, at even and odd t")
    func encoderRange() throws {
        for ctx in [Fixtures.coefficient, Fixtures.batching] {
            let encoder = CoefficientEncoder(context: ctx)
            let t = Int64(ctx.plaintextModulus)
            let range = encoder.range
            #expect(Int64(range.count) == t)
            let edges = [range.lowerBound, range.lowerBound + 1, -1, 0, 1, range.upperBound - 1, range.upperBound]
            #expect(encoder.decode(try encoder.encode(edges)).prefix(edges.count) == edges[...])
            for v in [range.lowerBound - 1, range.upperBound + 1, t - 1, -(t - 1), t, -t, Int64.max, Int64.min] {
                #expect(throws: BFVError.self) { try encoder.encode([v]) }
            }
        }
        // t = 2^17: -65,536 would decode as +65,536 and 65,537 as -65,535: both refused.
        let encoder = CoefficientEncoder(context: Fixtures.coefficient)
        #expect(encoder.range == -65_535 ... 65_536)
    }

    @Test("every ciphertext form the public API produces serializes to bytes its loader accepts")
    func everyFormRoundTrips() throws {
        let ctx = Fixtures.coefficient
        var rng = testRNG(40)
        let sk = SecretKey(context: ctx, rng: &rng)
        let pk = PublicKey(secretKey: sk, rng: &rng)
        let rk = RelinearizationKey(secretKey: sk, rng: &rng)
        let encoder = CoefficientEncoder(context: ctx)
        let dec = Decryptor(secretKey: sk), ev = Evaluator(context: ctx)
        let values = (0..<ctx.degree).map { Int64($0 % 13) - 6 }
        let pt = try encoder.encode(values)
        let fresh = try Encryptor(secretKey: sk).encrypt(pt, rng: &rng)
        var freshCoefficient = fresh
        freshCoefficient.toCoefficientForm()
        #expect(freshCoefficient.isSeeded)
        let viaPublic = try Encryptor(publicKey: pk).encrypt(pt, rng: &rng)
        var viaPublicCoefficient = viaPublic
        viaPublicCoefficient.toCoefficientForm()
        var backToEvaluation = freshCoefficient
        backToEvaluation.toEvaluationForm()
        let small = try encoder.encode([2])
        let product = try ev.multiply(fresh, try Encryptor(secretKey: sk).encrypt(small, rng: &rng))
        let relinearized = try ev.relinearize(product, key: rk)
        let low = try ev.dropLastModulus(fresh)
        var lowCoefficient = low
        lowCoefficient.toCoefficientForm()
        let sum = try ev.add(fresh, plain: pt)
        let flooded = try ev.rerandomize(fresh, publicKey: pk, flooding: 1 << 20, rng: &rng)
        let doubled = values.map { $0 * 2 }
        let forms: [(String, Ciphertext, [Int64])] = [
            ("fresh seeded", fresh, values), ("fresh seeded, coefficient form", freshCoefficient, values),
            ("seeded, back in evaluation form", backToEvaluation, values),
            ("public-key", viaPublic, values), ("public-key, coefficient form", viaPublicCoefficient, values),
            ("product (size 3)", product, doubled), ("relinearized", relinearized, doubled),
            ("level 1", low, values), ("level 1, coefficient form", lowCoefficient, values),
            ("plus plaintext", sum, doubled), ("re-randomized", flooded, values),
        ]
        for (name, ct, expected) in forms {
            let loaded = try Ciphertext(serialized: ct.serialized(), context: ctx)
            #expect(loaded.form == ct.form && loaded.size == ct.size && loaded.level == ct.level, "\(name)")
            #expect(loaded.serialized() == ct.serialized(), "\(name)")
            #expect(encoder.decode(try dec.decrypt(loaded)) == expected, "\(name)")
        }
        // Keys, plaintexts and the power-of-two form.
        #expect(try PublicKey(serialized: pk.serialized(), context: ctx).serialized() == pk.serialized())
        #expect(try RelinearizationKey(serialized: rk.serialized(), context: ctx).serialized() == rk.serialized())
        #expect(try SecretKey(serializedSecret: sk.serializedSecret(), context: ctx).serializedSecret() == sk.serializedSecret())
        #expect(try Plaintext(serialized: pt.serialized(), context: ctx) == pt)
        let switched = try ev.switchToPowerOfTwo(flooded, bits: 30)
        for p2 in [switched, try switched.keepingCoefficients([1, 5, 9])] {
            #expect(try PowerOfTwoCiphertext(serialized: p2.serialized(context: ctx), context: ctx) == p2)
        }
    }

    @Test("a positive noise budget does not mean a correct decryption once the noise has wrapped")
    func budgetAfterOverflow() throws {
        let ctx = Fixtures.coefficient
        var rng = testRNG(41)
        let sk = SecretKey(context: ctx, rng: &rng)
        let dec = Decryptor(secretKey: sk), ev = Evaluator(context: ctx)
        let encoder = CoefficientEncoder(context: ctx)
        let pt = try encoder.encode([5, 6, 7])
        let ct = try Encryptor(secretKey: sk).encrypt(pt, rng: &rng)
        // Noise of about Delta = q/t on the first coefficient (as an encryption of `pt`): far past
        // the q/(2t) where decryption fails, yet the budget reads as healthy as before.
        let wrapped = try ev.add(ct, plain: encoder.encode([1]))
        let noise = try dec.noise(wrapped, message: pt)
        let delta = ctx.parameters.logModulus - 17
        #expect(binaryLogarithm(abs(noise[0])) > delta - 1)
        #expect(try dec.invariantNoiseBudget(wrapped) > 60)
        #expect(try dec.invariantNoiseBudget(wrapped) == dec.invariantNoiseBudget(ct))
        #expect(Array(encoder.decode(try dec.decrypt(wrapped)).prefix(3)) == [6, 6, 7])
    }
}
