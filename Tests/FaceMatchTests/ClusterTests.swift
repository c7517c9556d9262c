import Dispatch
import FaceMatch
import RingArithmetic
import SecureCompare
import Synchronization
import Testing

/// A front and its shards in this process, each on its own loopback `SessionHost`.
final class LocalCluster: @unchecked Sendable {
    var hosts: [SessionHost] = []
    let front: FrontServer
    let frontPort: Int
    let shardPorts: [Int]

    /// Rows dealt round robin to `shards` shards (as `cryptomask db split` does); `empty` more
    /// shards hold no rows; `listed` overrides the addresses the front is given.
    init(_ vectors: [[Double]], shards: Int, threshold: Double, key: ClusterKey, empty: Int = 0,
         listed: (([Int]) -> [ShardAddress])? = nil) throws {
        let d = vectors[0].count
        var ports: [Int] = []
        for s in 0..<shards + empty {
            var db = try FaceDatabase(dimension: d)
            if s < shards {
                for i in stride(from: s, to: vectors.count, by: shards) { try db.enroll(id: UInt64(i), embedding: vectors[i]) }
            }
            let shard = try ShardServer(database: db, key: key)
            var c = SessionHost.Configuration()
            c.queriesPerMinute = nil
            let listener = try TCPListener(host: "127.0.0.1", port: 0)
            ports.append(listener.port)
            hosts.append(SessionHost(listener: listener, configuration: c, log: { _ in }, audit: { _ in }, server: { shard }))
        }
        shardPorts = ports
        front = try FrontServer(shards: listed?(ports) ?? ports.map { ShardAddress(host: "127.0.0.1", port: $0) }, key: key, threshold: threshold, timeout: 30)
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        frontPort = listener.port
        var c = SessionHost.Configuration()
        c.queriesPerMinute = nil
        let front = self.front
        hosts.append(SessionHost(listener: listener, configuration: c, log: { _ in }, audit: { _ in }, server: { front }))
        for h in hosts { DispatchQueue.global().async { h.run() } }
    }

    func stop() { for h in hosts { h.stop() } }
}

/// A server on a loopback `SessionHost`.
func serveLocally(_ server: MatchServer) throws -> (SessionHost, Int) {
    var c = SessionHost.Configuration()
    c.queriesPerMinute = nil
    let listener = try TCPListener(host: "127.0.0.1", port: 0)
    let host = SessionHost(listener: listener, configuration: c, log: { _ in }, audit: { _ in }, server: { server })
    DispatchQueue.global().async { host.run() }
    return (host, listener.port)
}

/// Records every frame a client sends and receives: (sent?, type, payload bytes).
final class RecordingChannel: Channel, @unchecked Sendable {
    let inner: TCPChannel
    let frames = Mutex<[String]>([])
    init(_ inner: TCPChannel) { self.inner = inner }
    func send(_ type: MessageType, _ payload: [UInt8]) throws(SecureCompareError) {
        frames.withLock { $0.append("> \(type.rawValue) \(payload.count)") }
        try inner.send(type, payload)
    }
    func receiveAny() throws(SecureCompareError) -> (MessageType, [UInt8]) {
        let (t, p) = try inner.receiveAny()
        frames.withLock { $0.append("< \(t.rawValue) \(p.count)") }
        return (t, p)
    }
    var statistics: ChannelStatistics { inner.statistics }
    func setPhase(_ name: String) { inner.setPhase(name) }
}

/// Answers of one verifier session at `port` for `probes`, and the frames it exchanged.
func ask(port: Int, dimension: Int, probes: [[Double]], seed: UInt64) throws -> (answers: [Bool], frames: [String], statistics: ChannelStatistics) {
    let channel = RecordingChannel(try TCPChannel.connect(host: "127.0.0.1", port: port, timeoutSeconds: 60))
    defer { channel.inner.close() }
    let client = MatchClient(channel: channel, dimension: dimension, randomness: testSource(seed))
    try client.connect()
    let answers = try probes.map { try client.query($0).isMatch }
    try client.close()
    return (answers, channel.frames.withLock { $0 }, channel.statistics)
}

let clusterKey = try! ClusterKey(bytes: Array("a cluster key of at least thirty-two bytes, for tests".utf8))

@Suite("Sharded serving")
struct ClusterTests {
    @Test("the plan gives ceil(n/K) results: the shards' full results and the merged leftovers", arguments: [1, 2, 3, 4, 7])
    func plan(shards: Int) throws {
        var g = testRNG(UInt64(900 + shards))
        let parameters = try MatchParameters(dimension: 512, threshold: 0.5)
        for _ in 0..<50 {
            let counts = (0..<shards).map { _ in 1 + Int(g.next() % 5000) }
            let plan = try ClusterPlan(counts: counts, parameters: parameters)
            let k = plan.layout.vectorsPerResult, n = counts.reduce(0, +)
            #expect(plan.templates == n)
            #expect(plan.fullResults.reduce(0, +) + plan.mergedResults == plan.layout.resultCount(n))
            #expect(plan.layout == (try Layout.optimal(n: n, parameters: parameters, profile: plan.profile)))
            #expect(plan.fullResults == counts.map { $0 / k })
        }
    }

    @Test("a front over 1, 2 and 4 shards answers as one server over the same rows", arguments: [1, 2, 4])
    func sameAnswers(shards: Int) throws {
        var g = testRNG(UInt64(910 + shards))
        let d = 64, n = 1003, threshold = 0.6
        let (db, vectors) = try enrolledDatabase(n: n, d: d, &g)
        // Genuine rows in the first shard, the middle, the last shard's leftovers and the last
        // row; an impostor; probes 0.06 above and below the threshold.
        var probes = [0, 501, n - 3, n - 1].map { probe(near: vectors[$0], cosine: 0.9, &g) }
        probes.append(unitVector(d, &g))
        probes.append(probe(near: vectors[777], cosine: threshold + 0.06, &g))
        probes.append(probe(near: vectors[778], cosine: threshold - 0.06, &g))
        let expected = probes.map { p in vectors.contains { v in zip(p, v).reduce(0) { $0 + $1.0 * $1.1 } >= threshold } }
        #expect(expected == [true, true, true, true, false, true, false])
        let server = try MatchServer(database: db, parameters: MatchParameters(dimension: d, threshold: threshold))
        let (single, singlePort) = try serveLocally(server)
        defer { single.stop() }
        let cluster = try LocalCluster(vectors, shards: shards, threshold: threshold, key: clusterKey)
        defer { cluster.stop() }
        let viaFront = try ask(port: cluster.frontPort, dimension: d, probes: probes, seed: 1)
        let viaServer = try ask(port: singlePort, dimension: d, probes: probes, seed: 2)
        #expect(viaFront.answers == expected)
        #expect(viaServer.answers == expected)
        // The topology is invisible: the same frames, of the same sizes, in the same order.
        #expect(viaFront.frames == viaServer.frames)
        #expect(viaFront.statistics.bytesSent == viaServer.statistics.bytesSent)
        #expect(viaFront.statistics.bytesReceived == viaServer.statistics.bytesReceived)
    }

    @Test("a shard port gives nothing to anyone but an authenticated front, and stays up")
    func shardRefusesStrangers() throws {
        var g = testRNG(930)
        let d = 32
        let (_, vectors) = try enrolledDatabase(n: 100, d: d, &g)
        let cluster = try LocalCluster(vectors, shards: 2, threshold: 0.6, key: clusterKey)
        defer { cluster.stop() }
        let port = cluster.shardPorts[1]
        // A verifier at the shard port: the first frame it gets is the challenge, not a reply.
        let channel = try TCPChannel.connect(host: "127.0.0.1", port: port, timeoutSeconds: 30)
        let client = MatchClient(channel: channel, dimension: d, randomness: testSource(931))
        #expect(throws: FaceMatchError.self) { try client.connect() }
        channel.close()
        // A front with the wrong key is refused with one error frame and nothing else.
        let wrong = try ClusterKey(bytes: Array("another key of at least thirty-two bytes, not ours".utf8))
        let impostor = try FrontServer(shards: [ShardAddress(host: "127.0.0.1", port: port)], key: wrong, threshold: 0.6, timeout: 30)
        #expect(throws: FaceMatchError.self) { try impostor.prepare() }
        // Raw frames a stranger might try (a setup, a query) before authenticating.
        for type in [0x34, 0x36, 0x05] as [UInt8] {
            let raw = try TCPChannel.connect(host: "127.0.0.1", port: port, timeoutSeconds: 30)
            var received: [UInt8] = []
            if let (t, _) = try? raw.receiveAny() { received.append(t.rawValue) }  // the challenge
            try? raw.send(MessageType(rawValue: type), [UInt8](repeating: 1, count: 64))
            while let (t, _) = try? raw.receiveAny() { received.append(t.rawValue) }
            raw.close()
            // Only the challenge and an error frame: never a status, a result or a share.
            #expect(received.allSatisfy { $0 == 0x30 || $0 == 0x7F }, "frames \(received)")
        }
        // The cluster still answers.
        let probe = probe(near: vectors[99], cosine: 0.9, &g)
        #expect(try ask(port: cluster.frontPort, dimension: d, probes: [probe], seed: 932).answers == [true])
    }

    @Test("an emptied shard counts as 0 rows: the others still answer")
    func emptyShard() throws {
        var g = testRNG(940)
        let d = 32
        let (_, vectors) = try enrolledDatabase(n: 150, d: d, &g)
        let cluster = try LocalCluster(vectors, shards: 2, threshold: 0.6, key: clusterKey, empty: 1)
        defer { cluster.stop() }
        let probes = [probe(near: vectors[149], cosine: 0.9, &g), unitVector(d, &g)]
        #expect(try ask(port: cluster.frontPort, dimension: d, probes: probes, seed: 941).answers == [true, false])
        #expect(cluster.front.plan?.templates == 150)
    }

    @Test("a shard listed twice is refused: by its address, and by its answer under a second name")
    func shardListedTwice() throws {
        var g = testRNG(950)
        let (_, vectors) = try enrolledDatabase(n: 60, d: 16, &g)
        let a = ShardAddress(host: "127.0.0.1", port: 7999)
        #expect(throws: FaceMatchError.self) { try FrontServer(shards: [a, a], key: clusterKey, threshold: 0.6) }
        // Two names of one shard process: the second link reports the same snapshot.
        let cluster = try LocalCluster(vectors, shards: 2, threshold: 0.6, key: clusterKey, listed: { ports in
            [ShardAddress(host: "127.0.0.1", port: ports[0]), ShardAddress(host: "localhost", port: ports[0])]
        })
        defer { cluster.stop() }
        do {
            try cluster.front.prepare()
            Issue.record("a shard counted twice was accepted")
        } catch {
            #expect(error.reason.contains("serve the same rows"), "\(error)")
        }
    }

    @Test("key fingerprints: equal for one key, different for another, never the key's bytes")
    func fingerprints() throws {
        let text = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        let a = try ClusterKey(bytes: Array(text.utf8)), b = try ClusterKey(bytes: Array((text + "\n").utf8))
        let c = try ClusterKey(bytes: Array(String(text.map { $0 == "f" ? "e" : $0 }).utf8))
        #expect(a.fingerprint == b.fingerprint)
        #expect(a.fingerprint != c.fingerprint)
        #expect(a.fingerprint.count == 8 && !text.contains(a.fingerprint))
    }
}
