import Testing
import BFV
import RingArithmetic

@Suite("Evaluation")
struct EvaluationTests {
    let ctx = Fixtures.coefficient
    var t: Int64 { Int64(ctx.plaintextModulus) }

    /// A secret key for the coefficient context with its encryptor, decryptor, encoder, evaluator.
    func coefficientKit(_ rng: inout ChaChaDRBG) -> (SecretKey, Encryptor, Decryptor, CoefficientEncoder, Evaluator) {
        let sk = SecretKey(context: ctx, rng: &rng)
        return (sk, Encryptor(secretKey: sk), Decryptor(secretKey: sk), CoefficientEncoder(context: ctx), Evaluator(context: ctx))
    }

    /// A secret key for the batching context with its relinearization key, an encryptor (under
    /// the public key when asked), decryptor, batch encoder and evaluator.
    func batchingKit(_ rng: inout ChaChaDRBG, publicKey: Bool) throws -> (RelinearizationKey, Encryptor, Decryptor, BatchEncoder, Evaluator) {
        let ctx = Fixtures.batching
        let sk = SecretKey(context: ctx, rng: &rng)
        let rk = RelinearizationKey(secretKey: sk, rng: &rng)
        let enc = publicKey ? Encryptor(publicKey: PublicKey(secretKey: sk, rng: &rng)) : Encryptor(secretKey: sk)
        return (rk, enc, Decryptor(secretKey: sk), try BatchEncoder(context: ctx), Evaluator(context: ctx))
    }

    func randomValues(_ rng: inout ChaChaDRBG, bound: Int64) -> [Int64] {
        (0..<ctx.degree).map { _ in Int64(rng.next() % UInt64(2 * bound + 1)) - bound }
    }

    @Test("add, subtract, negate and plaintext add/subtract equal arithmetic mod t")
    func linear() throws {
        var rng = testRNG(10)
        let (_, enc, dec, encoder, ev) = coefficientKit(&rng)
        let a = randomValues(&rng, bound: t / 2 - 1), b = randomValues(&rng, bound: t / 2 - 1)
        let ca = try enc.encrypt(try encoder.encode(a), rng: &rng)
        let cb = try enc.encrypt(try encoder.encode(b), rng: &rng)
        let pb = try encoder.encode(b)
        func decoded(_ c: Ciphertext) throws -> [Int64] { encoder.decode(try dec.decrypt(c)) }
        #expect(try decoded(ev.add(ca, cb)) == zip(a, b).map { center($0 + $1, t) })
        #expect(try decoded(ev.subtract(ca, cb)) == zip(a, b).map { center($0 - $1, t) })
        #expect(try decoded(ev.negate(ca)) == a.map { center(-$0, t) })
        #expect(try decoded(ev.add(ca, plain: pb)) == zip(a, b).map { center($0 + $1, t) })
        #expect(try decoded(ev.subtract(ca, plain: pb)) == zip(a, b).map { center($0 - $1, t) })
    }

    @Test("plaintext multiply, multiply-accumulate and monomial multiply equal negacyclic products mod t")
    func products() throws {
        var rng = testRNG(11)
        let (_, enc, dec, encoder, ev) = coefficientKit(&rng)
        // Sparse operands keep the schoolbook reference fast; values cover the full range.
        func sparse(_ count: Int, bound: Int64) -> [Int64] {
            var v = [Int64](repeating: 0, count: ctx.degree)
            for _ in 0..<count { v[Int(rng.next() % UInt64(ctx.degree))] = Int64(rng.next() % UInt64(2 * bound + 1)) - bound }
            return v
        }
        var terms: [(Ciphertext, EvaluationPlaintext)] = []
        var expected = [Int64](repeating: 0, count: ctx.degree)
        for k in 0..<5 {
            let m = sparse(40, bound: t / 2 - 1), p = sparse(30, bound: 127)
            let c = try enc.encrypt(try encoder.encode(m), rng: &rng)
            let ep = try EvaluationPlaintext(try encoder.encode(p))
            let product = negacyclicModT(m, p, t: t).map { center($0, t) }
            if k == 0 {
                #expect(encoder.decode(try dec.decrypt(try ev.multiply(c, plain: ep))) == product)
            }
            terms.append((c, ep))
            expected = zip(expected, product).map { center($0 + $1, t) }
        }
        let sum = try ev.multiplyAccumulate(terms.map(\.0), terms.map(\.1))
        #expect(encoder.decode(try dec.decrypt(sum)) == expected)
        // Packed operands: the same ciphertext, and typed errors for operands that do not match.
        let packedCts = try PackedCiphertexts(terms.map(\.0), context: ctx), packedPlains = try PackedPlaintexts(terms.map(\.1))
        let packedSum = try ev.multiplyAccumulate(packedCts, packedPlains)
        #expect(packedSum.polys == sum.polys)
        #expect(packedCts.count == 5 && packedPlains.count == 5)
        #expect(throws: BFVError.self) { try ev.multiplyAccumulate(packedCts, try PackedPlaintexts(Array(terms.map(\.1).prefix(4)))) }
        #expect(throws: BFVError.self) { try PackedCiphertexts([], context: ctx) }
        #expect(throws: BFVError.self) { try PackedPlaintexts([]) }
        let m = randomValues(&rng, bound: t / 2 - 1)
        let c = try enc.encrypt(try encoder.encode(m), rng: &rng)
        let n = ctx.degree
        for k in [0, 1, 7, n - 1, n, n + 3, 2 * n - 1, -5] {
            var mono = [Int64](repeating: 0, count: n)
            let kk = ((k % (2 * n)) + 2 * n) % (2 * n)
            mono[kk % n] = kk >= n ? -1 : 1
            let want = negacyclicModT(m, mono, t: t).map { center($0, t) }
            #expect(encoder.decode(try dec.decrypt(try ev.multiply(c, monomialDegree: k))) == want, "k=\(k)")
        }
    }

    @Test("batched ciphertext products with relinearization equal slot-wise products")
    func ciphertextMultiply() throws {
        let ctx = Fixtures.batching
        var rng = testRNG(12)
        let (rk, enc, dec, encoder, ev) = try batchingKit(&rng, publicKey: true)
        let a = (0..<ctx.degree).map { _ in rng.next() % 65537 }
        let b = (0..<ctx.degree).map { _ in rng.next() % 65537 }
        let ca = try enc.encrypt(try encoder.encode(a), rng: &rng)
        let cb = try enc.encrypt(try encoder.encode(b), rng: &rng)
        let product = try ev.multiply(ca, cb)
        #expect(product.size == 3)
        let want = zip(a, b).map { $0 * $1 % 65537 }
        #expect(encoder.decode(try dec.decrypt(product)) == want)
        let relinearized = try ev.relinearize(product, key: rk)
        #expect(relinearized.size == 2)
        #expect(encoder.decode(try dec.decrypt(relinearized)) == want)
        let budget = try dec.invariantNoiseBudget(relinearized)
        let fresh = try dec.invariantNoiseBudget(ca)
        #expect(budget > 0 && budget < fresh)
    }

    @Test("ciphertext products with the coefficient encoder (t = 2^17) equal negacyclic products mod t")
    func coefficientProduct() throws {
        var rng = testRNG(15)
        let (sk, enc, dec, encoder, ev) = coefficientKit(&rng)
        let rk = RelinearizationKey(secretKey: sk, rng: &rng)
        var a = [Int64](repeating: 0, count: ctx.degree), b = a
        for _ in 0..<60 {
            a[Int(rng.next() % 4096)] = Int64(rng.next() % 201) - 100
            b[Int(rng.next() % 4096)] = Int64(rng.next() % 201) - 100
        }
        a[0] = t / 2 - 1; b[4095] = -(t / 2 - 1)  // large values and a wrap-around term
        let product = try ev.multiply(enc.encrypt(encoder.encode(a), rng: &rng), enc.encrypt(encoder.encode(b), rng: &rng),
                                      relinearizationKey: rk)
        #expect(encoder.decode(try dec.decrypt(product)) == negacyclicModT(a, b, t: t).map { center($0, t) })
        #expect(try dec.invariantNoiseBudget(product) > 0)
    }

    @Test("a circuit that exhausts the noise budget decrypts correctly while budget > 0, then reports 0")
    func noiseExhaustion() throws {
        let ctx = Fixtures.batching
        var rng = testRNG(13)
        let (rk, enc, dec, encoder, ev) = try batchingKit(&rng, publicKey: false)
        var values = (0..<ctx.degree).map { _ in rng.next() % 65537 }
        var ct = try enc.encrypt(try encoder.encode(values), rng: &rng)
        var sawZero = false
        var previous = try dec.invariantNoiseBudget(ct)
        for _ in 0..<8 {
            ct = try ev.multiply(ct, ct, relinearizationKey: rk)
            values = values.map { $0 * $0 % 65537 }
            let budget = try dec.invariantNoiseBudget(ct)
            #expect(budget <= previous)
            previous = budget
            if budget > 0 {
                #expect(encoder.decode(try dec.decrypt(ct)) == values)
            } else {
                sawZero = true
                break
            }
        }
        #expect(sawZero)
        let final = encoder.decode(try dec.decrypt(ct))
        #expect(final != values)
    }

    @Test("modulus switching keeps decryption correct: dropping a prime and switching to 2^k")
    func modulusSwitching() throws {
        var rng = testRNG(14)
        let (_, enc, dec, encoder, ev) = coefficientKit(&rng)
        let m = randomValues(&rng, bound: t / 2 - 1)
        let ct = try enc.encrypt(try encoder.encode(m), rng: &rng)
        let dropped = try ev.dropLastModulus(ct)
        #expect(dropped.level == 1)
        #expect(encoder.decode(try dec.decrypt(dropped)) == m)
        #expect(throws: BFVError.self) { try ev.dropLastModulus(dropped) }
        // Switch to 2^(17+12): decrypting with 2^17 gives the message back.
        let small = try ev.switchToPowerOfTwo(ct, bits: 29)
        let decrypted = try dec.decrypt(small, plaintextBits: 17)
        #expect(decrypted.map { center(Int64($0), t) } == m)
        // Restricted c0 decrypts exactly the kept coefficients.
        let kept = try small.keepingCoefficients([0, 5, 4095])
        #expect(try dec.decrypt(kept, plaintextBits: 17).map { center(Int64($0), t) } == [m[0], m[5], m[4095]])
        // Truncated decryption: 11 bits of a 17-bit message, off by at most one unit.
        let top = try dec.decrypt(small, plaintextBits: 11)
        for j in 0..<ctx.degree {
            let mm = UInt64(m[j] < 0 ? m[j] + t : m[j])
            let expected = ((mm + 32) >> 6) % 2048
            let diff = (top[j] + 2048 - expected) % 2048
            #expect(diff == 0 || diff == 1 || diff == 2047)
        }
    }
}
