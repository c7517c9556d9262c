import BFV
import RingArithmetic
import SecureCompare
import Synchronization

/// Where one query's time went at a front, and its traffic with the shards.
public struct ClusterQueryReport: Sendable {
    /// Per shard: seconds from sending the query until its shares arrived (its evaluation,
    /// streamed as it goes), and bytes exchanged with it for this query (both directions).
    public var shardSeconds: [Double]
    public var shardBytes: [Int]
    /// Seconds the front spent finishing the merged results.
    public var mergeSeconds: Double
    /// Seconds from the query's arrival until the last result frame went to the verifier.
    public var resultSeconds: Double
    /// Seconds of the comparison and OR with the verifier.
    public var compareSeconds: Double
}

/// The front of a cluster: one logical server made of shards (docs/DESIGN.md, "Sharded
/// serving"). It holds no templates. It speaks the client protocol exactly as a `MatchServer`
/// of the shards' total `n` would (one hello, one layout chosen from `n`, the same result
/// frames in the same sizes, one comparison and OR over all `n` shares), so a verifier cannot
/// tell a front from a single server and still learns one bit.
///
/// Each verifier session opens one authenticated link to every shard (`ClusterHandshake`),
/// forwards the verifier's public key and queries with the front's threshold, relays the
/// shards' result frames in a fixed order (round robin by frame, re-packed 16 results per
/// frame), finishes the results merged from the shards' leftover rows (`ClusterPlan`), and
/// runs the comparison with the shards' shares. A shard that is down, slower than `timeout`
/// or answers wrongly ends the query with an error (a partial OR would be a wrong answer); the
/// next session connects again.
public final class FrontServer: MatchService {
    /// The shards, in the order their rows are counted.
    public let shards: [ShardAddress]
    /// Matching parameters (the front's threshold; dimension from the shards).
    public let threshold: Double
    /// Seconds a shard may take to connect and for each of its frames.
    public let timeout: Double
    let key: ClusterKey
    let configuredQueriesPerKey: Int?
    /// Called after each answered query with its timing and traffic (for the operator's log).
    let report: (@Sendable (ClusterQueryReport) -> Void)?
    private let latest = Mutex<(plan: ClusterPlan?, queriesPerKey: Int)>((nil, 1))

    /// A front for `shards` that authenticates with `key`.
    /// - Throws: `.invalidParameter` for no shards, a bad threshold, timeout or queries per key.
    public init(shards: [ShardAddress], key: ClusterKey, threshold: Double, timeout: Double = 60,
                queriesPerKey: Int? = nil, report: (@Sendable (ClusterQueryReport) -> Void)? = nil) throws(FaceMatchError) {
        self.report = report
        guard !shards.isEmpty else { throw FaceMatchError.invalidParameter("a front needs at least one shard") }
        if let twice = shards.first(where: { s in shards.filter { $0 == s }.count > 1 }) {
            throw FaceMatchError.invalidParameter("shard \(twice) is listed twice")
        }
        _ = try MatchParameters(dimension: 1, threshold: threshold)
        guard timeout > 0 else { throw FaceMatchError.invalidParameter("the shard timeout must be positive") }
        if let q = queriesPerKey, q < 1 { throw FaceMatchError.invalidParameter("queries per key must be at least 1") }
        self.shards = shards
        self.key = key
        self.threshold = threshold
        self.timeout = timeout
        self.configuredQueriesPerKey = queriesPerKey
    }

    /// Seconds a readiness probe waits for each shard (at most `timeout`).
    static let pingTimeout = 3.0

    /// The plan of the latest session (or `prepare`), nil before the first.
    public var plan: ClusterPlan? { latest.withLock { $0.plan } }
    public var queriesPerKey: Int { latest.withLock { $0.queriesPerKey } }
    public var targetsPerQuery: Int {
        latest.withLock { s in s.plan.map { $0.layout.resultCount($0.templates) * $0.layout.vectorsPerResult } ?? 0 }
    }

    /// Connects to every shard, reads their sizes and has each prepare the cluster's layout
    /// (its plaintext cache), so the first verifier does not wait for it. Returns the plan.
    /// - Throws: `.shardFailed` naming a shard that cannot be reached or refused the front.
    @discardableResult
    public func prepare() throws(FaceMatchError) -> ClusterPlan {
        let links = try connect()
        defer { for l in links { l.close(politely: true) } }
        let plan = try makePlan(links)
        try setup(links, plan: plan, publicKey: [])
        return plan
    }

    /// One verifier session over fresh links to every shard.
    @discardableResult
    public func serve(channel: Channel, randomness: RandomSource = .system, policy: SessionPolicy? = nil) throws(FaceMatchError) -> Int {
        var links: [ShardLink] = []
        var healthy = false
        defer { for l in links { l.close(politely: healthy) } }
        do {
            // The first frame before the shards: a readiness probe gets a quick answer (it waits
            // at most `pingTimeout` for the shards), and a verifier that never says hello costs
            // no shard links.
            let transport = channel as? SessionTransport
            transport?.expect(.handshake, frames: FrameLimits([(.hello, 64), (.ping, 0), (.error, FrameLimits.errorText)]))
            let first = try channel.next()
            if first.0 == .ping {
                links = try connect(timeout: min(timeout, FrontServer.pingTimeout))
                _ = try makePlan(links)
                try channel.post(.pong, Array(PingAnswer.ready.utf8))
                healthy = true
                return 0
            }
            links = try connect()
            let plan = try makePlan(links)
            let session = try FrontSession(front: self, plan: plan, links: links)
            let answered = try VerifierSession.run(session, channel: channel, rng: randomness.generator(), policy: policy, first: first)
            healthy = true
            return answered
        } catch {
            let text: String
            switch error {
            case .refused(let reason): text = reason
            // The cluster's inside (shard addresses, their files) is the server's own business.
            case .shardFailed, .notAuthenticated, .databaseDamaged, .fileUnavailable, .databaseLocked, .databaseUnavailable:
                text = "the server is temporarily unavailable; try again later"
            default: text = "\(error)"
            }
            try? channel.send(.error, Array(text.utf8.prefix(FrameLimits.errorText)))
            throw error
        }
    }

    /// Links to every shard, opened concurrently; the first failure (in shard order) is thrown.
    /// Links to every shard that holds rows (an emptied shard is closed and counts as 0 rows).
    func connect(timeout: Double? = nil) throws(FaceMatchError) -> [ShardLink] {
        let links = try connectAll(timeout: timeout ?? self.timeout)
        let empty = links.filter { $0.status.templates == 0 }
        for l in empty { l.close(politely: true) }
        let live = links.filter { $0.status.templates > 0 }
        guard !live.isEmpty else { throw FaceMatchError.databaseUnavailable("every shard is empty") }
        return live
    }

    func connectAll(timeout: Double) throws(FaceMatchError) -> [ShardLink] {
        let opened = parallelMap(shards.count) { i in
            Result { () throws(FaceMatchError) in try ShardLink(self.shards[i], key: self.key, timeout: timeout) }
        }
        var links: [ShardLink] = []
        for case .success(let l) in opened { links.append(l) }
        for case .failure(let e) in opened {
            for l in links { l.close(politely: true) }
            throw e
        }
        return links
    }

    func makePlan(_ links: [ShardLink]) throws(FaceMatchError) -> ClusterPlan {
        for (i, l) in links.enumerated() {
            if let j = links[..<i].firstIndex(where: { $0.status.instance == l.status.instance }) {
                throw FaceMatchError.shardFailed("shards \(links[j].address) and \(l.address) serve the same rows (one shard listed twice, or two copies of one shard file)")
            }
        }
        let dimension = links[0].status.dimension
        for l in links where l.status.dimension != dimension {
            throw FaceMatchError.shardFailed("shard \(l.address) holds dimension \(l.status.dimension), shard \(links[0].address) \(dimension)")
        }
        let plan = try ClusterPlan(counts: links.map(\.status.templates), parameters: try MatchParameters(dimension: dimension, threshold: threshold))
        let most = max(1, plan.profile.targetBudget / (plan.layout.resultCount(plan.templates) * plan.layout.vectorsPerResult))
        latest.withLock { $0 = (plan, min(most, configuredQueriesPerKey ?? most)) }
        return plan
    }

    /// Sends every shard the layout (and the verifier's key) and waits until all are ready.
    func setup(_ links: [ShardLink], plan: ClusterPlan, publicKey: [UInt8]) throws(FaceMatchError) {
        let setup = ShardSetup(profile: plan.profile, blocks: plan.layout.blocks, publicKey: publicKey).bytes
        for l in links { try l.send(.shardSetup, setup) }
        for l in links { _ = try l.receive(.shardReady) }
    }
}
