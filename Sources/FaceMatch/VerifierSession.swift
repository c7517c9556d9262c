import BFV
import RingArithmetic
import SecureCompare

/// The evaluating side of one verifier session: a `MatchServer`'s shared sweep, or a front's
/// shards. `VerifierSession.run` speaks the client protocol around it, so a verifier cannot
/// tell one from the other (the same frames, in the same order, of the same sizes).
protocol SessionBackend: AnyObject {
    /// The hello reply: profile, `n`, layout, share width, queries per key.
    var reply: HelloReply { get }
    var parameters: MatchParameters { get }
    var layout: Layout { get }
    var frames: SessionFrames { get }
    /// Targets one query decrypts (all result slots, padding included).
    var targetsPerQuery: Int { get }
    /// The verifier's public key arrived (a front forwards it to its shards).
    func accept(publicKey: PublicKey, serialized: [UInt8]) throws(FaceMatchError)
    /// Decodes and evaluates one query (`payload`: the verifier's `B` ciphertexts), streams its
    /// result frames on `channel` in order and returns the server's `l`-bit shares of the first
    /// `n` scores.
    func answer(_ payload: [UInt8], channel: Channel, rng: inout ChaChaDRBG) throws(FaceMatchError) -> [UInt16]
    /// The comparison of the query just answered took `seconds`.
    func compared(seconds: Double)
}

extension SessionBackend {
    func compared(seconds: Double) {}
}

enum VerifierSession {
    /// One session: hello, key, OT setup, then queries until the verifier's goodbye.
    /// `first` is the session's first frame when the caller has read it already (a front reads
    /// it before connecting to its shards).
    static func run(_ backend: SessionBackend, channel: Channel, rng: ChaChaDRBG, policy: SessionPolicy?,
                    first: (MessageType, [UInt8])? = nil) throws(FaceMatchError) -> Int {
        var rng = rng
        let reply = backend.reply
        let context = Contexts.of(reply.profile)
        let frames = backend.frames
        // Deadlines and per-stage frame limits when the transport enforces them.
        let transport = channel as? SessionTransport
        transport?.expect(.handshake, frames: frames.hello)
        channel.setPhase("hello")
        let (kind, helloBytes): (MessageType, [UInt8])
        if let first { (kind, helloBytes) = first } else { (kind, helloBytes) = try channel.next() }
        if kind == .ping {
            try channel.post(.pong, Array(PingAnswer.ready.utf8))
            return 0
        }
        if kind == .error { throw FaceMatchError.peerError(String(decoding: helloBytes.prefix(1000), as: UTF8.self)) }
        guard kind == .hello else { throw FaceMatchError.protocolViolation("expected a hello, got message \(kind.rawValue)") }
        let hello = try Hello(helloBytes)
        guard hello.dimension == reply.dimension else {
            throw FaceMatchError.protocolViolation("query dimension \(hello.dimension), database dimension \(reply.dimension)")
        }
        try channel.post(.helloReply, reply.bytes)
        transport?.expect(.handshake, frames: frames.key)
        channel.setPhase("keys")
        let keyBytes = try channel.expect(.publicKey)
        let publicKey = try FaceMatchError.wrap { () throws(BFVError) in try PublicKey(serialized: keyBytes, context: context) }
        // The key's budget counts across connections (the host remembers fingerprints).
        let key = KeyFingerprint(serializedKey: keyBytes)
        try policy?.admitKey(key, targets: backend.targetsPerQuery)
        try backend.accept(publicKey: publicKey, serialized: keyBytes)
        transport?.expect(.handshake, frames: frames.comparison)
        let comparison = ComparisonServer(channel: channel, randomness: RandomSource(deterministicSeed: rng.nextSeed()))
        try FaceMatchError.wrap { () throws(SecureCompareError) in try comparison.setup(expectedValues: reply.count) }
        var answered = 0
        while true {
            transport?.expect(.idle, frames: frames.query)
            channel.setPhase("query")
            let (type, payload) = try channel.next()
            if type == .bye { return answered }
            if type == .error { throw FaceMatchError.peerError(String(decoding: payload, as: UTF8.self)) }
            guard type == .query else { throw FaceMatchError.protocolViolation("expected a query, got message \(type.rawValue)") }
            transport?.expect(.active, frames: frames.comparison)
            let number = answered + 1
            do throws(FaceMatchError) {
                guard answered < reply.queriesPerKey else {
                    throw FaceMatchError.refused("this key's target budget is spent; reconnect for a fresh key")
                }
                try policy?.admitQuery(key, targets: backend.targetsPerQuery)
            } catch {
                policy?.record(query: number, .refused(MatchServer.reason(error)))
                throw error
            }
            do throws(FaceMatchError) {
                channel.setPhase("results")
                // No free work: stop once the verifier has gone or the session's deadline has passed.
                try FaceMatchError.wrap { () throws(SecureCompareError) in try transport?.checkAlive() }
                let shares = try backend.answer(payload, channel: channel, rng: &rng)
                channel.setPhase("compare")
                let clock = ContinuousClock(), started = clock.now
                try FaceMatchError.wrap { () throws(SecureCompareError) in
                    // The 2-byte shares widen one chunk at a time (bounded memory at any n).
                    let step = ComparisonServer.chunkValues
                    try comparison.anyNonNegative(chunks: stride(from: 0, to: shares.count, by: step).lazy.map { start in
                        shares[start ..< min(start + step, shares.count)].map { UInt64($0) }
                    }, bits: reply.shareBits)
                }
                backend.compared(seconds: MatchClient.seconds(clock.now - started))
            } catch {
                policy?.record(query: number, .failed(MatchServer.reason(error)))
                throw error
            }
            answered += 1
            policy?.record(query: number, .answered)
        }
    }

    /// The `B` query ciphertexts: each a length-prefixed fresh symmetric ciphertext, returned
    /// in evaluation form (`evaluationForm: false` only validates them, as a front does before
    /// forwarding the payload to its shards).
    @discardableResult
    static func decodeQuery(_ payload: [UInt8], context: BFVContext, blocks: Int, evaluationForm: Bool = true) throws(FaceMatchError) -> [Ciphertext] {
        // The framing first (lengths checked against the payload), then the ciphertexts decoded
        // on all cores.
        var ranges: [Range<Int>] = []
        var offset = 0
        while offset < payload.count {
            guard payload.count - offset >= 4 else { throw FaceMatchError.protocolViolation("truncated query") }
            let length = Int(payload[offset]) | Int(payload[offset + 1]) << 8 | Int(payload[offset + 2]) << 16 | Int(payload[offset + 3]) << 24
            offset += 4
            guard length <= payload.count - offset else { throw FaceMatchError.protocolViolation("truncated query ciphertext") }
            ranges.append(offset ..< offset + length)
            offset += length
            guard ranges.count <= blocks else { throw FaceMatchError.protocolViolation("too many query ciphertexts") }
        }
        guard ranges.count == blocks else {
            throw FaceMatchError.protocolViolation("\(ranges.count) query ciphertexts, expected \(blocks)")
        }
        let decoded = parallelMap(ranges.count) { i in
            Result { () throws(FaceMatchError) -> Ciphertext in
                let ct = try FaceMatchError.wrap { () throws(BFVError) in try Ciphertext(serialized: Array(payload[ranges[i]]), context: context) }
                guard ct.size == 2, ct.level == 0 else { throw FaceMatchError.protocolViolation("query ciphertexts must be fresh") }
                var e = ct
                if evaluationForm { e.toEvaluationForm() }
                return e
            }
        }
        var queries: [Ciphertext] = []
        for result in decoded { queries.append(try result.get()) }
        return queries
    }
}
