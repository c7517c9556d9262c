import BFV
import RingArithmetic
import SecureCompare

/// One verifier session at a front: the `SessionBackend` whose queries the shards evaluate.
final class FrontSession: SessionBackend {
    let front: FrontServer
    let plan: ClusterPlan
    let links: [ShardLink]
    let parameters: MatchParameters
    let masking: ResultMasking
    let reply: HelloReply
    let frames: SessionFrames
    var publicKey: PublicKey?
    /// The timing of the query being answered (completed by `compared`).
    var pending: ClusterQueryReport?
    /// Results per frame, as a single server sends them.
    static let groupSize = 16

    init(front: FrontServer, plan: ClusterPlan, links: [ShardLink]) throws(FaceMatchError) {
        self.front = front
        self.plan = plan
        self.links = links
        let parameters = try MatchParameters(dimension: links[0].status.dimension, threshold: front.threshold)
        self.parameters = parameters
        guard let f = plan.layout.floodingBound(parameters, profile: plan.profile) else {
            throw FaceMatchError.invalidParameter("layout \(plan.layout) needs more flooding than the modulus allows")
        }
        masking = ResultMasking(parameters: parameters, profile: plan.profile, layout: plan.layout, flooding: f)
        reply = HelloReply(profile: plan.profile, fingerprint: plan.profile.parameters.fingerprint, dimension: parameters.dimension,
                           count: plan.templates, blocks: plan.layout.blocks, shareBits: parameters.shareBits,
                           queriesPerKey: front.queriesPerKey)
        frames = SessionFrames(profile: plan.profile, blocks: plan.layout.blocks, count: plan.templates)
    }

    var layout: Layout { plan.layout }
    var targetsPerQuery: Int { plan.layout.resultCount(plan.templates) * plan.layout.vectorsPerResult }

    func accept(publicKey: PublicKey, serialized: [UInt8]) throws(FaceMatchError) {
        self.publicKey = publicKey
        try front.setup(links, plan: plan, publicKey: serialized)
    }

    func answer(_ payload: [UInt8], channel: Channel, rng: inout ChaChaDRBG) throws(FaceMatchError) -> [UInt16] {
        // Validated here (a malformed query never reaches the shards); each shard transforms it.
        try VerifierSession.decodeQuery(payload, context: Contexts.of(plan.profile), blocks: plan.layout.blocks, evaluationForm: false)
        let k = plan.layout.vectorsPerResult
        let bits = parameters.downloadBits
        let resultBytes = (k * bits + 7) / 8 + (plan.layout.degree * bits + 7) / 8
        let tauHat = parameters.scaledThreshold
        let clock = ContinuousClock(), started = clock.now
        let before = links.map { $0.bytes }
        var shardSeconds = [Double](repeating: 0, count: links.count)
        for (s, link) in links.enumerated() {
            try link.send(.shardQuery, ShardQuery(tauHat: tauHat, pieces: plan.pieces[s].map(\.piece), payload: payload).bytes)
            link.startReading()
        }
        let transport = channel as? SessionTransport
        var out = ResultReframer(channel: channel, transport: transport, groupSize: FrontSession.groupSize)
        // Where each relayed result came from: (shard, its result index).
        var origins: [(shard: Int, result: Int)] = []
        origins.reserveCapacity(plan.layout.resultCount(plan.templates))
        var taken = [Int](repeating: 0, count: links.count)
        var partials = [[UInt8]](repeating: [], count: links.count)
        var open = Set(links.indices)
        // Round robin by frame: a fixed order that keeps every shard's link flowing.
        while !open.isEmpty {
            for s in links.indices where open.contains(s) {
                let (type, frame) = try links[s].next()
                if type == .shardPartials {
                    guard taken[s] == plan.fullResults[s] else { throw wrong(s, "sent \(taken[s]) of \(plan.fullResults[s]) results") }
                    partials[s] = frame
                    open.remove(s)
                    continue
                }
                guard type == .results, frame.count >= 4 else { throw wrong(s, "sent message \(type.rawValue) among its results") }
                let count = Int(frame[0]) | Int(frame[1]) << 8 | Int(frame[2]) << 16 | Int(frame[3]) << 24
                guard count >= 1, count <= FrontSession.groupSize, taken[s] + count <= plan.fullResults[s],
                      frame.count == 4 + count * resultBytes else { throw wrong(s, "sent a malformed result frame") }
                for i in 0..<count {
                    try out.append(frame[4 + i * resultBytes ..< 4 + (i + 1) * resultBytes])
                    origins.append((s, taken[s] + i))
                }
                taken[s] += count
            }
        }
        var shardShares: [[UInt16]] = []
        for (s, link) in links.enumerated() {
            let (type, bytes) = try link.next()
            guard type == .shardShares, bytes.count == 2 * plan.fullResults[s] * k else { throw wrong(s, "sent malformed shares") }
            shardSeconds[s] = MatchClient.seconds(clock.now - started)
            shardShares.append((0..<bytes.count / 2).map { UInt16(bytes[2 * $0]) | UInt16(bytes[2 * $0 + 1]) << 8 })
        }
        // The merged results: the pieces' sums added, then finished as a single server would.
        let merging = clock.now
        let merged = try mergedSums(partials)
        var mergedShares: [[UInt64]] = []
        for sum in merged {
            var g = ChaChaDRBG(seed: rng.nextSeed())
            let (ct, shares, _) = try masking.finish(sum, tauHat: tauHat, publicKey: publicKey!, rng: &g)
            try out.append(ResultCodec.encode([ct], bits: bits)[4...])
            mergedShares.append(shares)
        }
        let mergeSeconds = MatchClient.seconds(clock.now - merging)
        try out.flush()
        pending = ClusterQueryReport(shardSeconds: shardSeconds, shardBytes: zip(links, before).map { $0.bytes - $1 },
                                     mergeSeconds: mergeSeconds, resultSeconds: MatchClient.seconds(clock.now - started), compareSeconds: 0)
        var shares: [UInt16] = []
        shares.reserveCapacity((origins.count + merged.count) * k)
        for (s, r) in origins { shares += shardShares[s][r * k ..< (r + 1) * k] }
        for m in mergedShares { shares += m.map { UInt16(truncatingIfNeeded: $0) } }
        shares.removeLast(shares.count - plan.templates)
        return shares
    }

    /// Decodes every shard's piece sums and adds those of each merged result.
    func mergedSums(_ partials: [[UInt8]]) throws(FaceMatchError) -> [Ciphertext] {
        let context = Contexts.of(plan.profile)
        let ev = Evaluator(context: context)
        var sums = [Ciphertext?](repeating: nil, count: plan.mergedResults)
        for (s, bytes) in partials.enumerated() {
            var r = ByteReader(bytes)
            do {
                let count = Int(try r.read(width: 4, "pieces"))
                guard count == plan.pieces[s].count else { throw wrong(s, "sent \(count) piece sums, expected \(plan.pieces[s].count)") }
                for (_, merged) in plan.pieces[s] {
                    let length = Int(try r.read(width: 4, "length"))
                    let ct = try Ciphertext(serialized: try r.readBytes(length, "piece sum"), context: context)
                    guard ct.size == 2, ct.level == 0 else { throw wrong(s, "sent a piece sum of the wrong shape") }
                    sums[merged] = try sums[merged].map { try ev.add($0, ct) } ?? ct
                }
                try r.finish("piece sums")
            } catch let e as FaceMatchError { throw e } catch { throw wrong(s, "sent malformed piece sums") }
        }
        return try sums.map { sum throws(FaceMatchError) in
            guard let sum else { throw FaceMatchError.shardFailed("a merged result received no piece") }
            return sum
        }
    }

    func compared(seconds: Double) {
        guard var r = pending else { return }
        r.compareSeconds = seconds
        pending = nil
        front.report?(r)
    }

    func wrong(_ shard: Int, _ what: String) -> FaceMatchError {
        .shardFailed("shard \(links[shard].address) answered wrongly: it \(what)")
    }
}

/// Re-packs relayed results into frames of `groupSize` (`4-byte count | results`), the framing a
/// single server uses, and sends each frame as soon as it is full.
struct ResultReframer {
    let channel: Channel
    let transport: SessionTransport?
    let groupSize: Int
    private var pending: [UInt8] = []
    private var count = 0

    init(channel: Channel, transport: SessionTransport?, groupSize: Int) {
        self.channel = channel
        self.transport = transport
        self.groupSize = groupSize
    }

    mutating func append(_ result: ArraySlice<UInt8>) throws(FaceMatchError) {
        if count == 0 { pending = [0, 0, 0, 0] }
        pending += result
        count += 1
        if count == groupSize { try flush() }
    }

    /// Sends the frame being filled, if any.
    mutating func flush() throws(FaceMatchError) {
        guard count > 0 else { return }
        pending[0] = UInt8(truncatingIfNeeded: count)
        pending[1] = UInt8(truncatingIfNeeded: count >> 8)
        let frame = pending
        count = 0
        pending = []
        try FaceMatchError.wrap { () throws(SecureCompareError) in
            try channel.send(.results, frame)
            try transport?.checkAlive()
        }
    }
}
