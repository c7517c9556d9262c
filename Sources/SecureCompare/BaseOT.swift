import BFV
import RingArithmetic

/// 128 (or any count up to 1024) oblivious transfers of 128-bit messages through BFV batching,
/// post-quantum and semi-honest (docs/DESIGN.md section 4).
///
/// The receiver encrypts its choice bits, each repeated in the 8 slots that carry its message's
/// eight 16-bit chunks, under its own key (`Parameters.baseOT`: N = 8192, t = 65537). The sender
/// answers `Enc(m0 + c * (m1 - m0))` slot-wise, re-randomized with flooding noise uniform in
/// `[-F, F]`, `F = 2^40 * E * N` where `E = N * (21 + 1/2) * t/2 + 1 + 42 N` bounds the product's noise
/// plus the re-randomization's own `-e*u + e2*s` (see `Flooding.rerandomizationNoise`) and
/// `N` counts the coefficients the receiver sees, then switched to the modulus 2^32 and sent.
/// The receiver decrypts `m_c` and learns nothing of `m_{1-c}` (statistical distance <= 2^-40);
/// the sender sees only a ciphertext.
/// Bytes: receiver to sender `2 * (14 + N * ceil(log2 q) / 8 + 32)`-ish (public key and query,
/// both seeded); sender to receiver `2 * N * 32 / 8` plus headers.
public enum BaseOT {
    /// Messages per batch: 8192 slots / 8 chunks.
    public static let maxCount = 1024
    /// Bits of the reply's power-of-two modulus.
    static let replyBits = 32

    static let context: BFVContext = (try? BFVContext(.baseOT))!

    /// Flooding bound for one reply, from the parameters (see the type documentation).
    static var floodingBound: UInt128 {
        let n = UInt128(context.degree)
        let t = UInt128(context.plaintextModulus)
        let e = n * 22 * (t / 2 + 1) + 1 + Flooding.rerandomizationNoise(degree: context.degree)
        // Constants of the fixed `Parameters.baseOT`: about 2^79, far inside 128 bits.
        return (try? Flooding.bound(noiseBound: e, count: n))!
    }

    /// Receiver: learns `messages[i][choices[i]]` for every `i`.
    /// - Throws: `SecureCompareError` on channel failures or malformed replies.
    public static func receive(choices: [Bool], channel: Channel, rng: inout ChaChaDRBG) throws(SecureCompareError) -> [Block] {
        guard choices.count <= maxCount else { throw SecureCompareError.invalidArgument("at most \(maxCount) base OTs") }
        let ctx = context
        let sk = SecretKey(context: ctx, rng: &rng)
        let pk = PublicKey(secretKey: sk, rng: &rng)
        let encoder = try wrap { () throws(BFVError) in try BatchEncoder(context: ctx) }
        var slots = [UInt64](repeating: 0, count: ctx.degree)
        for (i, c) in choices.enumerated() { for k in 0..<8 { slots[8 * i + k] = c ? 1 : 0 } }
        let query = try wrap { () throws(BFVError) in try Encryptor(secretKey: sk).encrypt(encoder.encode(slots), rng: &rng) }
        var w = pk.serialized()
        w += query.serialized()
        try channel.send(.baseOTQuery, pkLengthPrefix(pk.serialized().count) + w)
        let reply = try channel.receive(.baseOTReply)
        let decrypted = try wrap { () throws(BFVError) in
            let ct = try PowerOfTwoCiphertext(serialized: reply, context: ctx)
            let plain = try Plaintext(context: ctx, coefficients: try Decryptor(secretKey: sk).decrypt(ct, plaintextModulus: ctx.plaintextModulus))
            return encoder.decode(plain)
        }
        return (0..<choices.count).map { i in
            var low: UInt64 = 0, high: UInt64 = 0
            for k in 0..<4 { low |= (decrypted[8 * i + k] & 0xffff) << (16 * UInt64(k)) }
            for k in 0..<4 { high |= (decrypted[8 * i + 4 + k] & 0xffff) << (16 * UInt64(k)) }
            return Block(low: low, high: high)
        }
    }

    /// Sender: offers `pairs[i] = (m0, m1)`; learns nothing.
    /// - Throws: `SecureCompareError` on channel failures or a malformed query.
    public static func send(pairs: [(Block, Block)], channel: Channel, rng: inout ChaChaDRBG) throws(SecureCompareError) {
        guard pairs.count <= maxCount else { throw SecureCompareError.invalidArgument("at most \(maxCount) base OTs") }
        let ctx = context
        let message = try channel.receive(.baseOTQuery)
        guard message.count >= 4 else { throw SecureCompareError.malformed("base OT query too short") }
        let pkLength = Int(message[0]) | Int(message[1]) << 8 | Int(message[2]) << 16 | Int(message[3]) << 24
        guard pkLength <= message.count - 4 else { throw SecureCompareError.malformed("base OT key length") }
        let reply = try wrap { () throws(BFVError) -> [UInt8] in
            let pk = try PublicKey(serialized: Array(message[4 ..< 4 + pkLength]), context: ctx)
            let query = try Ciphertext(serialized: Array(message[(4 + pkLength)...]), context: ctx)
            guard query.size == 2, query.level == 0 else { throw BFVError.malformed("query must be a fresh ciphertext") }
            let encoder = try BatchEncoder(context: ctx)
            let t = ctx.plaintextModulus
            var difference = [UInt64](repeating: 0, count: ctx.degree)
            var base = [UInt64](repeating: 0, count: ctx.degree)
            for (i, (m0, m1)) in pairs.enumerated() {
                for k in 0..<8 {
                    let c0 = k < 4 ? (m0.low >> (16 * UInt64(k))) & 0xffff : (m0.high >> (16 * UInt64(k - 4))) & 0xffff
                    let c1 = k < 4 ? (m1.low >> (16 * UInt64(k))) & 0xffff : (m1.high >> (16 * UInt64(k - 4))) & 0xffff
                    base[8 * i + k] = c0
                    difference[8 * i + k] = (c1 + t - c0) % t
                }
            }
            let ev = Evaluator(context: ctx)
            // Enc(c) * (m1 - m0) + m0 = Enc(m_c) slot-wise; then flood so the noise, which
            // depends on m1 - m0, is statistically hidden.
            var answer = try ev.multiply(query, plain: EvaluationPlaintext(encoder.encode(difference)))
            answer = try ev.add(answer, plain: encoder.encode(base))
            answer = try ev.rerandomize(answer, publicKey: pk, flooding: floodingBound, rng: &rng)
            return try ev.switchToPowerOfTwo(answer, bits: replyBits).serialized(context: ctx)
        }
        try channel.send(.baseOTReply, reply)
    }

    static func pkLengthPrefix(_ n: Int) -> [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: n >> (8 * $0)) }
    }

    static func wrap<T>(_ body: () throws(BFVError) -> T) throws(SecureCompareError) -> T {
        do { return try body() } catch { throw SecureCompareError.bfv(error) }
    }
}
