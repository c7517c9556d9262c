import BFV
import Dispatch
import RingArithmetic
import SecureCompare

/// The server of private 1:N matching: holds the database, answers queries over any `Channel`,
/// learns nothing about the query (it sees only ciphertexts and OT messages of fixed sizes).
///
/// One `MatchServer` serves any number of sessions, concurrently (it is immutable after
/// `init`); `serve(channel:)` runs one session until the client says goodbye or fails.
/// Per query it computes, for every result group, `sum_b Q_b * P_{r,b}`, subtracts `tau_hat`
/// at the targets, adds `Delta * M` with `M` uniform on all `N` coefficients, re-randomizes with
/// flooding, switches to `2^(l+10)` and sends `c1` plus `c0` at the targets; then it runs the
/// comparison and OR as the non-receiving party.
public final class MatchServer: Sendable {
    /// Matching parameters (dimension, threshold, share width).
    public let parameters: MatchParameters
    /// The BFV profile used for this database.
    public let profile: MatchProfile
    /// The layout used for this database.
    public let layout: Layout
    /// Result groups per frame.
    public let groupSize = 16
    let prepared: PreparedDatabase
    let flooding: UInt128

    /// Prepares a server.
    /// - Parameters:
    ///   - database: the enrolled templates (dimension must equal `parameters.dimension`).
    ///   - layout: override the byte-optimal layout (`Layout.optimal`).
    ///   - memoryBudget: bytes allowed for precomputed plaintexts (default 4 GiB); above it
    ///     they are rebuilt per query from the int8 templates.
    /// - Throws: `FaceMatchError` for an empty or mismatched database, or a layout that does
    ///   not fit the profile's flooding budget.
    public init(database: FaceDatabase, parameters: MatchParameters, layout: Layout? = nil, memoryBudget: Int = 4 << 30) throws(FaceMatchError) {
        guard database.count > 0 else { throw FaceMatchError.databaseUnavailable("the database is empty") }
        guard database.dimension == parameters.dimension else {
            throw FaceMatchError.databaseUnavailable("database dimension \(database.dimension) differs from \(parameters.dimension)")
        }
        // The small profile while at least 16 queries of this size fit its target budget.
        let profile: MatchProfile = database.count.nextPowerOfTwo * 16 <= MatchProfile.small.targetBudget ? .small : .large
        let chosen: Layout
        if let layout { chosen = layout } else { chosen = try Layout.optimal(n: database.count, parameters: parameters, profile: profile) }
        guard chosen.degree == profile.parameters.degree else {
            throw FaceMatchError.invalidParameter("layout degree \(chosen.degree) differs from the profile's \(profile.parameters.degree)")
        }
        guard let f = chosen.floodingBound(parameters, profile: profile) else {
            throw FaceMatchError.invalidParameter("layout \(chosen) needs more flooding than the modulus allows")
        }
        guard chosen.resultCount(database.count) * chosen.vectorsPerResult <= profile.targetBudget else {
            throw FaceMatchError.databaseUnavailable("database too large for one key's target budget (\(profile.targetBudget))")
        }
        self.parameters = parameters
        self.profile = profile
        self.layout = chosen
        self.flooding = f
        self.prepared = PreparedDatabase(database: database, layout: chosen, context: Contexts.of(profile), memoryBudget: memoryBudget)
    }

    /// Templates per session key: the target budget divided by the targets of one query.
    public var queriesPerKey: Int {
        max(1, profile.targetBudget / (layout.resultCount(prepared.database.count) * layout.vectorsPerResult))
    }

    /// Runs one session on `channel` until the client's goodbye. On a protocol error it sends an
    /// error frame and rethrows; the server object stays usable for other sessions.
    /// - Returns: the number of queries answered.
    @discardableResult
    public func serve(channel: Channel, rng: ChaChaDRBG = .fresh()) throws(FaceMatchError) -> Int {
        do {
            return try runSession(channel: channel, rng: rng)
        } catch {
            try? channel.send(.error, Array("\(error)".utf8))
            throw error
        }
    }

    func runSession(channel: Channel, rng: ChaChaDRBG) throws(FaceMatchError) -> Int {
        var rng = rng
        let context = Contexts.of(profile)
        channel.setPhase("hello")
        let hello = try Hello(FaceMatchError.wrap { () throws(SecureCompareError) in try channel.receive(.hello) })
        guard hello.dimension == parameters.dimension else {
            throw FaceMatchError.protocolViolation("query dimension \(hello.dimension), database dimension \(parameters.dimension)")
        }
        let reply = HelloReply(profile: profile, fingerprint: profile.parameters.fingerprint, dimension: parameters.dimension,
                               count: prepared.database.count, blocks: layout.blocks, shareBits: parameters.shareBits,
                               queriesPerKey: queriesPerKey)
        try FaceMatchError.wrap { () throws(SecureCompareError) in try channel.send(.helloReply, reply.bytes) }
        channel.setPhase("keys")
        let keyBytes = try FaceMatchError.wrap { () throws(SecureCompareError) in try channel.receive(.publicKey) }
        let publicKey = try FaceMatchError.wrap { () throws(BFVError) in try PublicKey(serialized: keyBytes, context: context) }
        let comparison = ComparisonServer(channel: channel, rng: rng.split())
        try FaceMatchError.wrap { () throws(SecureCompareError) in try comparison.setup(expectedValues: reply.count) }
        var answered = 0
        while true {
            channel.setPhase("query")
            let (type, payload) = try FaceMatchError.wrap { () throws(SecureCompareError) in try channel.receiveAny() }
            if type == .bye { return answered }
            guard type == .query else { throw FaceMatchError.protocolViolation("expected a query, got message \(type.rawValue)") }
            guard answered < queriesPerKey else {
                throw FaceMatchError.protocolViolation("this key's target budget is spent; reconnect for a fresh key")
            }
            let queries = try decodeQuery(payload, context: context)
            let shares = try answer(queries, publicKey: publicKey, channel: channel, rng: &rng)
            channel.setPhase("compare")
            try FaceMatchError.wrap { () throws(SecureCompareError) in
                try comparison.anyNonNegative(shares: shares, bits: parameters.shareBits)
            }
            answered += 1
        }
    }

    /// The `B` query ciphertexts: each a length-prefixed fresh symmetric ciphertext.
    func decodeQuery(_ payload: [UInt8], context: BFVContext) throws(FaceMatchError) -> [Ciphertext] {
        var queries: [Ciphertext] = []
        var offset = 0
        while offset < payload.count {
            guard payload.count - offset >= 4 else { throw FaceMatchError.protocolViolation("truncated query") }
            let length = Int(payload[offset]) | Int(payload[offset + 1]) << 8 | Int(payload[offset + 2]) << 16 | Int(payload[offset + 3]) << 24
            offset += 4
            guard length <= payload.count - offset else { throw FaceMatchError.protocolViolation("truncated query ciphertext") }
            let ct = try FaceMatchError.wrap { () throws(BFVError) in
                try Ciphertext(serialized: Array(payload[offset ..< offset + length]), context: context)
            }
            guard ct.size == 2, ct.level == 0 else { throw FaceMatchError.protocolViolation("query ciphertexts must be fresh") }
            var e = ct
            e.toEvaluationForm()
            queries.append(e)
            offset += length
            guard queries.count <= layout.blocks else { throw FaceMatchError.protocolViolation("too many query ciphertexts") }
        }
        guard queries.count == layout.blocks else {
            throw FaceMatchError.protocolViolation("\(queries.count) query ciphertexts, expected \(layout.blocks)")
        }
        return queries
    }

    /// Evaluates and streams every result group; returns the server's shares of the first `n`
    /// truncated scores.
    func answer(_ queries: [Ciphertext], publicKey: PublicKey, channel: Channel, rng: inout ChaChaDRBG) throws(FaceMatchError) -> [UInt64] {
        channel.setPhase("results")
        let answered = try evaluate(queries, publicKey: publicKey, rng: &rng) { (frame: [UInt8]) throws(FaceMatchError) in
            try FaceMatchError.wrap { () throws(SecureCompareError) in try channel.send(.results, frame) }
        }
        return answered.shares
    }

    /// The server side of one query without a channel: decodes the client's query payload,
    /// evaluates every result group (both cores) and returns the result frames, the server's
    /// additive shares of the `n` truncated scores and the masks `M` at the targets. For
    /// embedding the protocol in another transport, and for tests of what the client sees.
    public func evaluateQuery(_ payload: [UInt8], publicKey: PublicKey, rng: inout ChaChaDRBG) throws(FaceMatchError) -> EvaluatedQuery {
        let queries = try decodeQuery(payload, context: Contexts.of(profile))
        var frames: [[UInt8]] = []
        var answered = try evaluate(queries, publicKey: publicKey, rng: &rng) { (frame: [UInt8]) throws(FaceMatchError) in frames.append(frame) }
        answered.frames = frames
        return answered
    }

    func evaluate(_ queries: [Ciphertext], publicKey: PublicKey, rng: inout ChaChaDRBG,
                  emit: ([UInt8]) throws(FaceMatchError) -> Void) throws(FaceMatchError) -> EvaluatedQuery {
        let n = prepared.database.count
        let results = layout.resultCount(n)
        var shares: [UInt64] = [], masks: [UInt64] = []
        shares.reserveCapacity(results * layout.vectorsPerResult)
        masks.reserveCapacity(results * layout.vectorsPerResult)
        var start = 0
        while start < results {
            let count = min(groupSize, results - start)
            let seeds = (0..<count).map { _ in rng.nextSeed() }
            let first = start
            let evaluated = parallelMap(count) { i in
                var g = ChaChaDRBG(seed: seeds[i])
                return Result { () throws(FaceMatchError) in try self.evaluate(first + i, queries, publicKey, &g) }
            }
            var group: [PowerOfTwoCiphertext] = []
            for e in evaluated {
                let (ct, s, m) = try e.get()
                group.append(ct)
                shares += s
                masks += m
            }
            try emit(ResultCodec.encode(group, bits: parameters.downloadBits))
            start += count
        }
        return EvaluatedQuery(frames: [], shares: Array(shares.prefix(n)), masks: Array(masks.prefix(n)))
    }

    /// One result: multiply-accumulate, mask, flood, switch; and the server's shares
    /// `-round(M_target / 2^(17-l)) mod 2^l`.
    func evaluate(_ r: Int, _ queries: [Ciphertext], _ publicKey: PublicKey, _ rng: inout ChaChaDRBG) throws(FaceMatchError) -> (PowerOfTwoCiphertext, [UInt64], [UInt64]) {
        let context = Contexts.of(profile)
        let ev = Evaluator(context: context)
        let n = context.degree
        let t = context.plaintextModulus
        let tauHat = UInt64(parameters.scaledThreshold)
        let targets = layout.targetCoefficients
        // M uniform in Z_t on every coefficient: partial sums elsewhere stay hidden.
        var masks = [UInt64](repeating: 0, count: n)
        for j in 0..<n { masks[j] = rng.next() & (t - 1) }
        var shifted = masks
        for j in targets { shifted[j] = (masks[j] + t - tauHat) % t }
        return try FaceMatchError.wrap { () throws(BFVError) in
            var acc = try ev.multiplyAccumulate(queries, prepared.plaintexts(r))
            acc = try ev.add(acc, plain: Plaintext(context: context, coefficients: shifted))
            acc = try ev.rerandomize(acc, publicKey: publicKey, flooding: flooding, rng: &rng)
            let ct = try ev.switchToPowerOfTwo(acc, bits: parameters.downloadBits).keepingCoefficients(targets)
            let shift = UInt64(MatchParameters.plaintextBits - parameters.shareBits)
            let modulus = UInt64(1) << UInt64(parameters.shareBits)
            let shares = targets.map { j -> UInt64 in
                let rounded = ((masks[j] + (1 << (shift - 1))) >> shift) & (modulus - 1)
                return (modulus - rounded) & (modulus - 1)
            }
            return (ct, shares, targets.map { masks[$0] })
        }
    }
}

/// The server's side of one evaluated query (see `MatchServer.evaluateQuery`).
public struct EvaluatedQuery: Sendable {
    /// The result frames, in order, as sent to the client.
    public var frames: [[UInt8]]
    /// The server's shares `-round(M / 2^(17-l)) mod 2^l` of the `n` truncated scores.
    public var shares: [UInt64]
    /// The masks `M` (mod t) at the `n` targets: server-private randomness.
    public var masks: [UInt64]
}
