import Testing
import BFV
import RingArithmetic

func ksStatistic(_ a: [Double], _ b: [Double]) -> Double { Statistics.kolmogorovSmirnov(a, b) }
func ksCritical(_ n: Int, _ m: Int) -> Double { Statistics.kolmogorovSmirnovCritical(n, m) }

@Suite("Flooding")
struct FloodingTests {
    /// Fresh keys for `ctx` with the objects every test here uses.
    func keyed(_ ctx: BFVContext, _ rng: inout ChaChaDRBG) -> (SecretKey, PublicKey, Evaluator, Decryptor, CoefficientEncoder) {
        let sk = SecretKey(context: ctx, rng: &rng)
        return (sk, PublicKey(secretKey: sk, rng: &rng), Evaluator(context: ctx), Decryptor(secretKey: sk), CoefficientEncoder(context: ctx))
    }

    @Test("re-randomization with flooding makes different noises indistinguishable (KS) and decrypts correctly")
    func smudging() throws {
        let ctx = Fixtures.coefficient
        var rng = testRNG(30)
        let (sk, pk, ev, dec, encoder) = keyed(ctx, &rng)
        let pt = try encoder.encode((0..<ctx.degree).map { Int64($0 % 77) - 38 })
        let offset: Int64 = 1 << 20
        // B carries extra noise 2^20 on every coefficient: add offset to c0 through a plaintext
        // that is not Delta-scaled (a monomial multiple of a tiny ciphertext noise term would be
        // messier): encrypt, then add an encryption of zero whose error we shift by hand.
        let base = try Encryptor(secretKey: sk).encrypt(pt, rng: &rng)
        let shifted = try ev.add(base, ShiftedZero.make(ctx, sk: sk, offset: offset, rng: &rng))
        let preA = try dec.noise(base, message: pt), preB = try dec.noise(shifted, message: pt)
        // Without flooding the two noise distributions are far apart.
        #expect(ksStatistic(Array(preA.prefix(4096)), Array(preB.prefix(4096))) > 0.5)
        let bound = try Flooding.bound(noiseBound: UInt128(offset) * 2, count: UInt128(ctx.degree))
        var a: [Double] = [], b: [Double] = []
        for _ in 0..<3 {
            let ra = try ev.rerandomize(base, publicKey: pk, flooding: bound, rng: &rng)
            let rb = try ev.rerandomize(shifted, publicKey: pk, flooding: bound, rng: &rng)
            #expect(try encoder.decode(dec.decrypt(ra)) == encoder.decode(pt))
            #expect(try encoder.decode(dec.decrypt(rb)) == encoder.decode(pt))
            a += try dec.noise(ra, message: pt)
            b += try dec.noise(rb, message: pt)
        }
        let d = ksStatistic(a, b)
        #expect(d < ksCritical(a.count, b.count), "KS D = \(d)")
        // The flood really is about as wide as asked.
        let spread = a.map { abs($0) }.max()!
        #expect(spread > Double(bound) * 0.9 && spread < Double(bound) * 1.1)
    }

    @Test("re-randomization takes either form, returns coefficient form, and rejects bounds outside 1 ..< 2^126")
    func rerandomizeForms() throws {
        let ctx = Fixtures.coefficient
        var rng = testRNG(31)
        let (sk, pk, ev, dec, encoder) = keyed(ctx, &rng)
        let message = (0..<ctx.degree).map { Int64($0 % 19) - 9 }
        let evaluation = try Encryptor(secretKey: sk).encrypt(encoder.encode(message), rng: &rng)
        var coefficient = evaluation
        coefficient.toCoefficientForm()
        for ct in [evaluation, coefficient] {
            let r = try ev.rerandomize(ct, publicKey: pk, flooding: 1 << 30, rng: &rng)
            #expect(r.form == .coefficient)
            #expect(try encoder.decode(dec.decrypt(r)) == message)
        }
        for bad: UInt128 in [0, UInt128(1) << 126] {
            #expect(throws: BFVError.self) { try ev.rerandomize(evaluation, publicKey: pk, flooding: bad, rng: &rng) }
            #expect(throws: BFVError.self) { try Encryptor(publicKey: pk).encryptZero(flooding: bad, rng: &rng) }
        }
    }
}

/// An encryption of zero with a known constant offset added to its noise.
enum ShiftedZero {
    static func make(_ ctx: BFVContext, sk: SecretKey, offset: Int64, rng: inout ChaChaDRBG) throws -> Ciphertext {
        // Encrypt the plaintext 0, then add `offset` to every coefficient of c0 by adding a
        // ciphertext (offset-polynomial, 0) built from serialized parts.
        let zero = try Encryptor(secretKey: sk).encrypt(try Plaintext(context: ctx, coefficients: []), rng: &rng)
        var w = ByteWriterBridge.ciphertextBytes(ctx, c0: [Int64](repeating: offset, count: ctx.degree))
        let extra = try Ciphertext(serialized: w, context: ctx)
        w.removeAll()
        return try Evaluator(context: ctx).add(zero, extra)
    }
}

/// Builds serialized coefficient-form ciphertexts `(c0, 0)` from integer coefficients.
enum ByteWriterBridge {
    static func ciphertextBytes(_ ctx: BFVContext, c0: [Int64]) -> [UInt8] {
        let ring = ctx.ring
        let p = try! RNSPoly(context: ring, signedCoefficients: c0)
        var w = ByteWriter()
        w.write(bytes: Array("CMBF".utf8)); w.write(1); w.write(1); w.write(ctx.parameters.fingerprint, width: 8)
        w.write(0); w.write(2); w.write(0); w.write(0)
        for poly in [p, RNSPoly(zeroIn: ring)] {
            let n = ring.degree
            var words: [UInt64] = []
            for j in 0..<n {
                let x = ring.crt.compose((0..<ring.limbCount).map { poly.residues[$0 * n + j] })
                words += x
            }
            let bits = BigWord.bitLength(BigWord.subtract(ring.modulusProduct, [1]))
            w.writePacked(words, wordsPerValue: ring.limbCount, bits: bits)
        }
        return w.bytes
    }
}
