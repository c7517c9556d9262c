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
    /// Results per frame (the frame size; parallelism is set separately, by the cores).
    public let groupSize = 16
    /// The refusal a query gets when its session's database snapshot is no longer current
    /// (`SessionHost`'s `isCurrent`): the verifier should reconnect and ask again.
    public static let databaseChangedMessage = "the database changed since this session started; reconnect and ask again"
    /// Concurrent queries' shared sweeps over the database.
    let sweeper = QuerySweeper()
    let prepared: PreparedDatabase
    /// Masking, flooding and switching of accumulated results.
    let masking: ResultMasking
    let frames: SessionFrames
    /// Queries one client key may ask: the target budget divided by the targets of one query,
    /// or less when the host asked for less.
    public let queriesPerKey: Int

    /// Prepares a server for templates held in memory.
    /// - Parameters:
    ///   - database: the enrolled templates (dimension must equal `parameters.dimension`).
    ///   - layout: override the byte-optimal layout (`Layout.optimal`).
    ///   - memoryBudget: bytes for precomputed plaintexts (`MatchServer.automaticCacheBudget` by
    ///     default: half the physical memory); the first results that fit are cached, the
    ///     others rebuilt per query from the int8 templates.
    ///   - queriesPerKey: at most this many queries per client key (default: as many as the
    ///     key's target budget allows; a larger value is lowered to that).
    /// - Throws: `FaceMatchError` for an empty or mismatched database, or a layout that does
    ///   not fit the profile's flooding budget.
    public convenience init(database: FaceDatabase, parameters: MatchParameters, layout: Layout? = nil, memoryBudget: Int? = nil,
                            queriesPerKey: Int? = nil) throws(FaceMatchError) {
        try self.init(rows: .memory(database), parameters: parameters, layout: layout, memoryBudget: memoryBudget, queriesPerKey: queriesPerKey)
    }

    /// Prepares a server for the templates of a memory-mapped database file (see
    /// `MappedTemplates`); the other parameters as for `init(database:...)`.
    public convenience init(mapped: MappedTemplates, parameters: MatchParameters, layout: Layout? = nil, memoryBudget: Int? = nil,
                            queriesPerKey: Int? = nil) throws(FaceMatchError) {
        try self.init(rows: .mapped(mapped), parameters: parameters, layout: layout, memoryBudget: memoryBudget, queriesPerKey: queriesPerKey)
    }

    init(rows: TemplateRows, parameters: MatchParameters, layout: Layout?, memoryBudget: Int?, queriesPerKey: Int?,
         profile chosenProfile: MatchProfile? = nil) throws(FaceMatchError) {
        guard rows.count > 0 else { throw FaceMatchError.databaseUnavailable("the database is empty") }
        guard rows.dimension == parameters.dimension else {
            throw FaceMatchError.databaseUnavailable("database dimension \(rows.dimension) differs from \(parameters.dimension)")
        }
        // The small profile while at least 16 queries of this size fit its target budget.
        let profile = chosenProfile ?? MatchServer.profile(templates: rows.count)
        let chosen: Layout
        if let layout { chosen = layout } else { chosen = try Layout.optimal(n: rows.count, parameters: parameters, profile: profile) }
        guard chosen.degree == profile.parameters.degree else {
            throw FaceMatchError.invalidParameter("layout degree \(chosen.degree) differs from the profile's \(profile.parameters.degree)")
        }
        guard let f = chosen.floodingBound(parameters, profile: profile) else {
            throw FaceMatchError.invalidParameter("layout \(chosen) needs more flooding than the modulus allows")
        }
        guard chosen.resultCount(rows.count) * chosen.vectorsPerResult <= profile.targetBudget else {
            throw FaceMatchError.databaseUnavailable("database too large for one key's target budget (\(profile.targetBudget))")
        }
        self.parameters = parameters
        self.profile = profile
        self.layout = chosen
        self.masking = ResultMasking(parameters: parameters, profile: profile, layout: chosen, flooding: f)
        self.prepared = PreparedDatabase(rows: rows, layout: chosen, context: Contexts.of(profile),
                                         memoryBudget: memoryBudget ?? PreparedDatabase.automaticBudget(templates: rows.count))
        self.frames = SessionFrames(profile: profile, blocks: chosen.blocks, count: rows.count)
        let most = max(1, profile.targetBudget / (chosen.resultCount(rows.count) * chosen.vectorsPerResult))
        if let queriesPerKey, queriesPerKey < 1 { throw FaceMatchError.invalidParameter("queries per key must be at least 1") }
        self.queriesPerKey = min(most, queriesPerKey ?? most)
    }

    /// The profile for `n` templates: the small one while at least 16 queries of this size fit
    /// its target budget.
    static func profile(templates n: Int) -> MatchProfile {
        n.nextPowerOfTwo * 16 <= MatchProfile.small.targetBudget ? .small : .large
    }

    /// The default plaintext cache budget for `n` templates on this machine: half the physical
    /// memory, less the server's other needs (bytes).
    public static func automaticCacheBudget(templates n: Int) -> Int { PreparedDatabase.automaticBudget(templates: n) }

    /// Result ciphertexts per query, and how many of them have cached plaintexts.
    public var results: (total: Int, cached: Int) { (layout.resultCount(templateCount), prepared.cached.count) }

    /// Bytes of the plaintext cache.
    public var cacheBytes: Int { prepared.cached.count * PreparedDatabase.bytesPerResult(layout, Contexts.of(profile)) }

    /// The number of templates `n` served.
    public var templateCount: Int { prepared.rows.count }

    /// Targets one query decrypts under the client's key (all result slots, padding included).
    public var targetsPerQuery: Int { layout.resultCount(prepared.rows.count) * layout.vectorsPerResult }

    /// Runs one session on `channel` until the client's goodbye. On a protocol error it sends an
    /// error frame and rethrows; the server object stays usable for other sessions.
    /// - Parameters:
    ///   - randomness: where the session takes its one generator (fresh system randomness by
    ///     default). Masks and flooding must never repeat across sessions: a generator value
    ///     copied into two sessions would repeat them (see `RandomSource`).
    ///   - policy: admission decisions and the audit record (rate limit, key budget); `nil`
    ///     keeps only the per-session key budget.
    /// - Returns: the number of queries answered.
    @discardableResult
    public func serve(channel: Channel, randomness: RandomSource = .system, policy: SessionPolicy? = nil) throws(FaceMatchError) -> Int {
        do {
            return try runSession(channel: channel, rng: randomness.generator(), policy: policy)
        } catch {
            let text: String
            switch error {
            case .refused(let reason): text = reason
            // The server's files are its own business: their paths never reach the verifier.
            case .databaseDamaged, .fileUnavailable, .databaseLocked: text = "the server's database is unavailable; try again later"
            default: text = "\(error)"
            }
            try? channel.send(.error, Array(text.utf8.prefix(FrameLimits.errorText)))
            throw error
        }
    }

    func runSession(channel: Channel, rng: ChaChaDRBG, policy: SessionPolicy?) throws(FaceMatchError) -> Int {
        try VerifierSession.run(LocalSession(server: self), channel: channel, rng: rng, policy: policy)
    }

    /// A short reason for the audit log (the error's kind and text; never query data).
    static func reason(_ error: FaceMatchError) -> String {
        if case .refused(let text) = error { return text }
        return "\(error)"
    }

    /// The server side of one query without a channel: decodes the client's query payload,
    /// evaluates every result group (all cores) and returns the result frames, the server's
    /// additive shares of the `n` truncated scores and the masks `M` at the targets. For
    /// embedding the protocol in another transport, and for tests of what the client sees.
    /// `rng` must be used for one query only and never restarted from a copy: the masks and
    /// flooding of two queries drawn from equal generator states are equal, and the difference
    /// of their answers reveals partial sums (take generators from a `RandomSource`).
    public func evaluateQuery(_ payload: [UInt8], publicKey: PublicKey, rng: inout ChaChaDRBG) throws(FaceMatchError) -> EvaluatedQuery {
        let queries = try VerifierSession.decodeQuery(payload, context: Contexts.of(profile), blocks: layout.blocks)
        let job = SweepJob(queries: queries, publicKey: publicKey, rng: ChaChaDRBG(seed: rng.nextSeed()), keepMasks: true,
                           tauHat: parameters.scaledThreshold, results: layout.resultCount(templateCount), targets: templateCount, packed: prepared.cached.count > 0)
        sweep([job])
        var frames: [[UInt8]] = []
        while let frame = try job.nextFrame() { frames.append(frame) }
        return EvaluatedQuery(frames: frames, shares: job.shares.map { UInt64($0) }, masks: job.masks ?? [])
    }

    /// Streams the frames of `job` (queued on the shared sweep) to `channel` as they are ready;
    /// returns the job's shares.
    func stream(_ job: SweepJob, to channel: Channel, type: MessageType = .results) throws(FaceMatchError) -> [UInt16] {
        let transport = channel as? SessionTransport
        sweeper.submit(job, server: self)
        do throws(FaceMatchError) {
            while let frame = try job.nextFrame() {
                try FaceMatchError.wrap { () throws(SecureCompareError) in
                    try channel.send(type, frame)
                    try transport?.checkAlive()
                }
            }
        } catch {
            job.cancel(error)
            throw error
        }
        return job.shares
    }
}

/// One verifier session of a `MatchServer`: the shared sweep evaluates its queries.
final class LocalSession: SessionBackend {
    let server: MatchServer
    var publicKey: PublicKey?

    init(server: MatchServer) { self.server = server }

    var reply: HelloReply {
        HelloReply(profile: server.profile, fingerprint: server.profile.parameters.fingerprint, dimension: server.parameters.dimension,
                   count: server.templateCount, blocks: server.layout.blocks, shareBits: server.parameters.shareBits,
                   queriesPerKey: server.queriesPerKey)
    }
    var parameters: MatchParameters { server.parameters }
    var layout: Layout { server.layout }
    var frames: SessionFrames { server.frames }
    var targetsPerQuery: Int { server.targetsPerQuery }

    func accept(publicKey: PublicKey, serialized: [UInt8]) throws(FaceMatchError) { self.publicKey = publicKey }

    func answer(_ payload: [UInt8], channel: Channel, rng: inout ChaChaDRBG) throws(FaceMatchError) -> [UInt16] {
        let queries = try VerifierSession.decodeQuery(payload, context: Contexts.of(server.profile), blocks: server.layout.blocks)
        let n = server.templateCount
        let job = SweepJob(queries: queries, publicKey: publicKey!, rng: ChaChaDRBG(seed: rng.nextSeed()), keepMasks: false,
                           tauHat: server.parameters.scaledThreshold, results: server.layout.resultCount(n), targets: n, packed: server.prepared.cached.count > 0)
        return try server.stream(job, to: channel)
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
