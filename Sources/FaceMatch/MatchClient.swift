import BFV
import RingArithmetic
import SecureCompare

/// The verifier of private 1:N matching: connects to a `MatchServer` over a `Channel`, sets up
/// its keys and OTs once, then asks any number of queries (up to the key's budget, after which
/// it must reconnect). Each query returns one bit, whether the probe matches anyone, plus cost
/// statistics; never a score, an index or a count.
public final class MatchClient {
    let channel: Channel
    let dimension: Int
    var rng: ChaChaDRBG
    var session: Session?

    struct Session {
        let reply: HelloReply
        let cipher: QueryCipher
        let comparison: ComparisonClient
        var queries = 0
    }

    /// A client for templates of dimension `dimension` over `channel`; it takes one generator
    /// from `randomness` (fresh system randomness by default; see `RandomSource`).
    public init(channel: Channel, dimension: Int, randomness: RandomSource = .system) {
        self.channel = channel
        self.dimension = dimension
        self.rng = randomness.generator()
    }

    /// Handshake, key upload and OT setup.
    /// - Throws: `FaceMatchError` if the server's parameters are unknown or the channel fails.
    public func connect() throws(FaceMatchError) {
        channel.setPhase("hello")
        try channel.post(.hello, Hello(dimension: dimension).bytes)
        let replyBytes: [UInt8]
        do { replyBytes = try channel.receive(.helloReply) } catch {
            switch error {
            case .unexpectedMessage(expected: _, received: MessageType.clusterChallenge.rawValue):
                throw FaceMatchError.protocolViolation("the peer is a shard of a CryptoMask cluster; query the cluster's front instead")
            case .frameTooLarge, .unexpectedMessage:
                // Whatever answered does not frame messages as CryptoMask does.
                throw FaceMatchError.protocolViolation("the peer is not a CryptoMask server (its first reply is not a CryptoMask hello)")
            default: throw FaceMatchError.secureCompare(error)
            }
        }
        let reply = try HelloReply(replyBytes)
        guard reply.dimension == dimension else { throw FaceMatchError.protocolViolation("server dimension \(reply.dimension), ours \(dimension)") }
        let context = Contexts.of(reply.profile)
        let layout = try Layout(blocks: reply.blocks, dimension: dimension, degree: context.degree)
        guard reply.count <= layout.resultCount(reply.count) * layout.vectorsPerResult,
              layout.resultCount(reply.count) * layout.vectorsPerResult <= reply.profile.targetBudget else {
            throw FaceMatchError.protocolViolation("database size exceeds the key budget")
        }
        let cipher = QueryCipher(profile: reply.profile, layout: layout, dimension: dimension, shareBits: reply.shareBits, rng: &rng)
        channel.setPhase("keys")
        try channel.post(.publicKey, cipher.publicKey.serialized())
        let comparison = ComparisonClient(channel: channel, randomness: RandomSource(deterministicSeed: rng.nextSeed()))
        try FaceMatchError.wrap { () throws(SecureCompareError) in try comparison.setup(expectedValues: reply.count) }
        session = Session(reply: reply, cipher: cipher, comparison: comparison)
    }

    /// Queries this session's key may still ask (nil before `connect`); at 0, reconnect.
    public var queriesRemaining: Int? { session.map { $0.reply.queriesPerKey - $0.queries } }

    /// Whether `embedding` matches any template (cosine at least the server's threshold).
    /// - Throws: `FaceMatchError.invalidEmbedding` for a bad embedding; `.databaseUnavailable`
    ///   when this key's query budget is spent (reconnect); channel and protocol errors.
    public func query(_ embedding: [Double]) throws(FaceMatchError) -> MatchResult {
        guard var s = session else { throw FaceMatchError.protocolViolation("connect() first") }
        guard s.queries < s.reply.queriesPerKey else {
            throw FaceMatchError.databaseUnavailable("this key's query budget is spent; reconnect")
        }
        let clock = ContinuousClock()
        let before = channel.statistics
        var heBytes = 0
        let start = clock.now
        let template = try Embedding.quantized(embedding, dimension: dimension)
        let payload = try s.cipher.encryptQuery(template, rng: &rng)
        channel.setPhase("query")
        try channel.post(.query, payload)
        heBytes += payload.count + 5
        // Results: decrypt the targets with plaintext modulus 2^l: u = round((v + M) / 2^(17-l)).
        channel.setPhase("results")
        let n = s.reply.count
        let results = s.cipher.layout.resultCount(n)
        // Grown as result frames arrive: the server's claimed size never sizes a buffer up front.
        var shares: [UInt64] = []
        var received = 0
        while received < results {
            let frame = try channel.expect(.results)
            heBytes += frame.count + 5
            let (count, values) = try s.cipher.decryptFrame(frame, remaining: results - received)
            shares += values
            received += count
        }
        channel.setPhase("compare")
        let match = try FaceMatchError.wrap { () throws(SecureCompareError) in
            try s.comparison.anyNonNegative(shares: Array(shares.prefix(n)), bits: s.reply.shareBits)
        }
        s.queries += 1
        session = s
        let after = channel.statistics
        var stats = QueryStatistics()
        stats.seconds = Self.seconds(clock.now - start)
        stats.bytesSent = after.bytesSent - before.bytesSent
        stats.bytesReceived = after.bytesReceived - before.bytesReceived
        stats.heBytes = heBytes
        stats.compareBytes = stats.bytesSent + stats.bytesReceived - heBytes
        return MatchResult(isMatch: match, statistics: stats)
    }

    /// Ends the session politely.
    public func close() throws(FaceMatchError) {
        try channel.post(.bye, [])
        session = nil
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}

/// The answer of one query: one bit, and what it cost.
public struct MatchResult: Sendable, Equatable {
    /// Whether the probe matches at least one template.
    public let isMatch: Bool
    /// Bytes and seconds of this query at the client.
    public let statistics: QueryStatistics
}
