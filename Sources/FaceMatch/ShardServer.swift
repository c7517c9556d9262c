import BFV
import RingArithmetic
import SecureCompare
import Synchronization

/// A shard of a cluster: serves one database file's rows to its front only (docs/DESIGN.md,
/// "Sharded serving"). A connection must first prove it holds the cluster key
/// (`ClusterHandshake`); until then the shard sends nothing but its challenge, so a client that
/// reaches a shard port directly learns no result and no share.
///
/// Per query the shard evaluates its full results (multiply-accumulate, mask, flood, switch,
/// exactly as a single server does, in the front's layout and with the front's threshold),
/// streams their frames, then returns the unmasked sums of its leftover rows (`ShardPiece`)
/// and its shares. It keeps nothing between queries but its templates and plaintext cache.
public final class ShardServer: MatchService {
    let key: ClusterKey
    let rows: TemplateRows
    let memoryBudget: Int?
    /// Evaluators prepared for the layouts fronts asked for, by profile and blocks.
    private let evaluators = Mutex<[Int: MatchServer]>([:])
    /// One preparation at a time (each builds a plaintext cache).
    private let preparing = Mutex(())

    /// A shard of the memory-mapped rows `mapped`, answering fronts that hold `key`.
    /// - Parameters:
    ///   - memoryBudget: plaintext cache bytes per prepared layout (default: half the memory).
    ///   - previous: a shard whose prepared layouts are prepared again for these rows (after a
    ///     reload, so the next query does not wait for the cache).
    ///   An empty file is served too (its front counts it as 0 rows and asks it nothing).
    public convenience init(mapped: MappedTemplates, key: ClusterKey, memoryBudget: Int? = nil, previous: ShardServer? = nil) throws(FaceMatchError) {
        try self.init(rows: .mapped(mapped), key: key, memoryBudget: memoryBudget, previous: previous)
    }

    /// A shard of templates held in memory (tests, embedding).
    public convenience init(database: FaceDatabase, key: ClusterKey, memoryBudget: Int? = nil) throws(FaceMatchError) {
        try self.init(rows: .memory(database), key: key, memoryBudget: memoryBudget, previous: nil)
    }

    init(rows: TemplateRows, key: ClusterKey, memoryBudget: Int?, previous: ShardServer?) throws(FaceMatchError) {
        self.rows = rows
        self.instance = rows.identity
        self.key = key
        self.memoryBudget = memoryBudget
        for server in previous?.prepared ?? [] where rows.count > 0 {
            _ = try prepare(profile: server.profile, blocks: server.layout.blocks)
        }
    }

    /// What tells these rows from another shard's (see `ShardStatus.instance`).
    let instance: UInt64

    /// Templates in this shard.
    public var templateCount: Int { rows.count }
    /// The evaluators prepared so far (one per layout a front asked for).
    public var prepared: [MatchServer] { evaluators.withLock { Array($0.values) } }
    /// A shard answers one front, not verifiers: no key budget of its own.
    public var queriesPerKey: Int { 1 }
    public var targetsPerQuery: Int { 0 }

    /// The evaluator for the front's layout, built (with its cache) on first use.
    public func prepare(profile: MatchProfile, blocks: Int) throws(FaceMatchError) -> MatchServer {
        guard rows.count > 0 else { throw FaceMatchError.databaseUnavailable("the shard holds no templates") }
        let slot = Int(profile.rawValue) << 32 | blocks
        if let s = evaluators.withLock({ $0[slot] }) { return s }
        return try preparing.withLock { _ throws(FaceMatchError) -> MatchServer in
            if let s = evaluators.withLock({ $0[slot] }) { return s }
            let parameters = try MatchParameters(dimension: rows.dimension, threshold: 0.5)
            let layout = try Layout(blocks: blocks, dimension: rows.dimension, degree: profile.parameters.degree)
            let server = try MatchServer(rows: rows, parameters: parameters, layout: layout, memoryBudget: memoryBudget,
                                         queriesPerKey: nil, profile: profile)
            evaluators.withLock { $0[slot] = server }
            return server
        }
    }

    /// One link from a front: authentication, status, then setups and queries until its goodbye.
    /// Before authentication nothing but the challenge is sent; after it, errors go back to the
    /// front as error frames (the front names this shard in its log).
    @discardableResult
    public func serve(channel: Channel, randomness: RandomSource = .system, policy: SessionPolicy? = nil) throws(FaceMatchError) -> Int {
        let transport = channel as? SessionTransport
        transport?.expect(.handshake, frames: FrameLimits([(MessageType(rawValue: 0x31), 256), (.ping, 0), (.error, FrameLimits.errorText)]))
        // A readiness probe is answered in place of the proof (nil): it learns only that we are up.
        guard let link = try ClusterHandshake.asShard(channel, key: key) else { return 0 }
        do {
            return try run(link, transport: transport, rng: randomness.generator(), policy: policy)
        } catch {
            try? link.send(.error, Array("\(error)".utf8.prefix(FrameLimits.errorText)))
            throw error
        }
    }

    private func run(_ link: SealedChannel, transport: SessionTransport?, rng: ChaChaDRBG, policy: SessionPolicy?) throws(FaceMatchError) -> Int {
        var rng = rng
        try link.post(.shardStatus, ShardStatus(templates: rows.count, dimension: rows.dimension, instance: instance).bytes)
        let largest = MatchProfile.large.parameters
        let poly = (largest.degree * Int(largest.logModulus.rounded(.up)) + 7) / 8
        let sealing = 64
        // The largest setup and query the front can send (the large profile, B <= d).
        let limits = FrameLimits([(.shardSetup, 5 + 14 + poly + 32 + sealing),
                                  (.shardQuery, 12 + 16 * ShardQuery.maxPieces + rows.dimension.nextPowerOfTwo * (4 + 18 + 2 * poly) + sealing),
                                  (.bye, sealing), (.error, FrameLimits.errorText + sealing)])
        var server: MatchServer?
        var publicKey: PublicKey?
        var answered = 0
        while true {
            transport?.expect(.idle, frames: limits)
            let (type, payload) = try link.next()
            switch type {
            case .bye:
                return answered
            case .error:
                throw FaceMatchError.peerError(String(decoding: payload, as: UTF8.self))
            case .shardSetup:
                let setup = try ShardSetup(payload)
                let s = try prepare(profile: setup.profile, blocks: setup.blocks)
                if !setup.publicKey.isEmpty {
                    publicKey = try FaceMatchError.wrap { () throws(BFVError) in
                        try PublicKey(serialized: setup.publicKey, context: Contexts.of(setup.profile))
                    }
                }
                server = s
                try link.post(.shardReady, [])
            case .shardQuery:
                guard let server, let publicKey else { throw FaceMatchError.protocolViolation("a query before the shard's setup") }
                // A changed file means a new snapshot: the front's plan (its n) is stale.
                try policy?.checkCurrent()
                transport?.expect(.active, frames: limits)
                try answer(ShardQuery(payload), server: server, publicKey: publicKey, link: link, rng: &rng)
                answered += 1
            default:
                throw FaceMatchError.protocolViolation("unexpected message \(type.rawValue) on a shard link")
            }
        }
    }

    /// Full results streamed, then the pieces' sums, then the shares of the full results.
    private func answer(_ query: ShardQuery, server: MatchServer, publicKey: PublicKey, link: SealedChannel,
                        rng: inout ChaChaDRBG) throws(FaceMatchError) {
        let context = Contexts.of(server.profile)
        let layout = server.layout
        let k = layout.vectorsPerResult
        let full = rows.count / k
        for p in query.pieces {
            guard p.rows >= 1, p.slot >= 0, p.slot + p.rows <= k, p.firstRow >= full * k, p.firstRow + p.rows <= rows.count else {
                throw FaceMatchError.protocolViolation("shard piece out of range")
            }
        }
        let queries = try VerifierSession.decodeQuery(query.payload, context: context, blocks: layout.blocks)
        let job = SweepJob(queries: queries, publicKey: publicKey, rng: ChaChaDRBG(seed: rng.nextSeed()), keepMasks: false,
                           tauHat: query.tauHat, results: full, targets: full * k, packed: server.prepared.cached.count > 0)
        let shares = try server.stream(job, to: link)
        var partials = ByteWriter()
        partials.write(UInt64(query.pieces.count), width: 4)
        for p in query.pieces {
            try rows.checkIntact()
            let plaintexts = PreparedDatabase.build(firstRow: p.firstRow, rows: p.rows, slot: p.slot, rows, layout, context)
            let sum = try FaceMatchError.wrap { () throws(BFVError) in try Evaluator(context: context).multiplyAccumulate(queries, plaintexts) }
            let bytes = sum.serialized()
            partials.write(UInt64(bytes.count), width: 4)
            partials.write(bytes: bytes)
        }
        try link.post(.shardPartials, partials.bytes)
        var w = ByteWriter()
        for s in shares { w.write(UInt64(s), width: 2) }
        try link.post(.shardShares, w.bytes)
    }
}
