import FaceMatch
import SecureCompare
import Foundation
import Testing

/// A cluster of real processes on loopback: `serve --shard` per shard file, one `serve --front`.
final class ClusterProcesses {
    var shards: [ServerProcess]
    let front: ServerProcess
    let files: [String]
    let key: String

    init(files: [String], key: String, threshold: Double, frontOptions: [String] = []) throws {
        self.files = files
        self.key = key
        shards = try files.map { try ClusterProcesses.shard($0, key: key, port: 0) }
        let list = shards.map { "127.0.0.1:\($0.port)" }.joined(separator: ",")
        front = try ServerProcess(arguments: ["serve", "--front", "--shards", list, "--cluster-key", key, "--threshold", "\(threshold)",
                                              "--port", "0"] + frontOptions, log: files[0] + ".front.log")
    }

    static func shard(_ file: String, key: String, port: Int) throws -> ServerProcess {
        try ServerProcess(arguments: ["serve", "--shard", "--db", file, "--cluster-key", key, "--port", "\(port)"], log: file + ".shard.log")
    }

    func stop() {
        front.stop()
        for s in shards where s.isRunning { s.stop() }
    }
}

/// `cryptomask query` over every row of `probes`: the answers, one per row.
func queryAll(port: Int, probes: URL) throws -> [Bool] {
    let (status, out, err) = try runCLI(["query", "--server", "127.0.0.1:\(port)", "--embedding", probes.path, "--rows", "all", "--json"])
    #expect(status == 0, "\(err)")
    return out.split(separator: "\n").map { $0.contains("\"match\":true") }
}

@Suite("Sharded serving with real processes", .serialized)
struct ClusterCLITests {
    /// A database of `n` rows, its probes (genuine in the first and last shard, impostor,
    /// near-threshold) and the expected answers from float64 cosine.
    static func fixture(n: Int, d: Int, threshold: Double) throws -> (URL, String, URL, [Bool]) {
        let dir = try temporaryDirectory()
        var s = Synthetic(d: d)
        let rows = (0..<n).map { _ in s.unitVector() }
        try writeNPY(rows, to: dir.appendingPathComponent("rows.npy"))
        let db = dir.appendingPathComponent("all.cmdb").path
        let (status, _, err) = try runCLI(["enroll", "--db", db, "--embeddings", dir.appendingPathComponent("rows.npy").path])
        #expect(status == 0, "\(err)")
        var probes = [0, 1, n / 2, n - 4, n - 1].map { s.near(rows[$0], cosine: 0.9) }
        probes.append(s.unitVector())
        probes.append(s.near(rows[n / 3], cosine: threshold + 0.06))
        probes.append(s.near(rows[n / 3 + 1], cosine: threshold - 0.06))
        try writeNPY(probes, to: dir.appendingPathComponent("probes.npy"))
        let expected = probes.map { p in rows.contains { r in zip(p, r).reduce(0) { $0 + $1.0 * $1.1 } >= threshold } }
        return (dir, db, dir.appendingPathComponent("probes.npy"), expected)
    }

    static func keyFile(in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("cluster.key").path
        let (status, _, err) = try runCLI(["cluster-key", "--out", path])
        #expect(status == 0, "\(err)")
        return path
    }

    @Test("a database split into 1, 2 and 4 shards behind a front answers as one server; a shard port gives a stranger nothing", arguments: [1, 2, 4])
    func splitAnswersAsOne(shards k: Int) throws {
        let threshold = 0.6
        let (dir, db, probes, expected) = try Self.fixture(n: 1003, d: 128, threshold: threshold)
        #expect(expected == [true, true, true, true, true, false, true, false])
        let out = dir.appendingPathComponent("shards").path
        let (status, _, err) = try runCLI(["db", "split", "--db", db, "--shards", "\(k)", "--out", out])
        #expect(status == 0, "\(err)")
        let single = try ServerProcess(db: db, threshold: threshold, options: ["--rate", "off"])
        defer { single.stop() }
        let cluster = try ClusterProcesses(files: (0..<k).map { "\(out)/shard-\($0).cmdb" }, key: try Self.keyFile(in: dir), threshold: threshold,
                                           frontOptions: ["--rate", "off"])
        defer { cluster.stop() }
        #expect(try queryAll(port: single.port, probes: probes) == expected)
        #expect(try queryAll(port: cluster.front.port, probes: probes) == expected)
        // The same bytes both ways as a single server (one query each).
        let one = ["--rows", "0", "--json"]
        let (_, viaFront, _) = try runCLI(["query", "--server", "127.0.0.1:\(cluster.front.port)", "--embedding", probes.path] + one)
        let (_, viaServer, _) = try runCLI(["query", "--server", "127.0.0.1:\(single.port)", "--embedding", probes.path] + one)
        func bytes(_ json: String) -> [Substring] { json.split(separator: ",").filter { $0.contains("bytes") } }
        #expect(bytes(viaFront) == bytes(viaServer) && !bytes(viaFront).isEmpty, "\(viaFront) vs \(viaServer)")
        #expect(cluster.front.log.contains("front serving 1003 templates from \(k) shard"))
        // A verifier at a shard's port gets no result and no share: only the challenge, so the
        // query fails with a pointer to the front; a stranger's raw frames change nothing.
        let shardPort = cluster.shards[k - 1].port
        let (direct, directOut, directErr) = try runCLI(["query", "--server", "127.0.0.1:\(shardPort)", "--embedding", probes.path, "--rows", "0"])
        #expect(direct != 0 && directOut.isEmpty && directErr.contains("query the cluster's front"), "\(directErr)")
        let raw = try TCPChannel.connect(host: "127.0.0.1", port: shardPort, timeoutSeconds: 30)
        var received: [UInt8] = []
        if let (t, _) = try? raw.receiveAny() { received.append(t.rawValue) }
        try? raw.send(MessageType(rawValue: 0x36), [UInt8](repeating: 7, count: 100))
        while let (t, _) = try? raw.receiveAny() { received.append(t.rawValue) }
        raw.close()
        #expect(received.allSatisfy { $0 == 0x30 || $0 == 0x7F }, "frames \(received)")
        #expect(try runCLI(["ping", "--connect", "127.0.0.1:\(shardPort)"]).0 == 0)
        #expect(cluster.shards[k - 1].isRunning)
        #expect(try queryAll(port: cluster.front.port, probes: probes) == expected)
    }

    @Test("a shard killed mid-session fails that query clearly; after its restart the next query succeeds")
    func shardKilled() throws {
        let threshold = 0.6
        let (dir, db, probes, _) = try Self.fixture(n: 301, d: 64, threshold: threshold)
        let out = dir.appendingPathComponent("shards").path
        #expect(try runCLI(["db", "split", "--db", db, "--shards", "2", "--out", out]).0 == 0)
        let key = try Self.keyFile(in: dir)
        let cluster = try ClusterProcesses(files: ["\(out)/shard-0.cmdb", "\(out)/shard-1.cmdb"], key: key, threshold: threshold,
                                           frontOptions: ["--rate", "off", "--shard-timeout", "5"])
        defer { cluster.stop() }
        #expect(try queryAll(port: cluster.front.port, probes: probes).first == true)
        // A verifier asking 200 queries in one session; shard 1 dies once the session has
        // answered its first query (the front logs one line per query).
        var s = Synthetic(d: 64)
        let many = dir.appendingPathComponent("many.npy")
        try writeNPY((0..<200).map { _ in s.unitVector() }, to: many)
        func answered() -> Int { cluster.front.log.components(separatedBy: "query: shards").count - 1 }
        let before = answered()
        let verifier = try BackgroundCLI(["query", "--server", "127.0.0.1:\(cluster.front.port)", "--embedding", many.path, "--rows", "all"],
                                         in: dir, name: "killed")
        let port = cluster.shards[1].port
        let deadline = Date().addingTimeInterval(60)
        while answered() == before && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        kill(cluster.shards[1].process.processIdentifier, SIGKILL)
        cluster.shards[1].process.waitUntilExit()
        let status = verifier.wait()
        let stderr = (try? String(contentsOf: verifier.err, encoding: .utf8)) ?? ""
        #expect(status != 0)
        #expect(stderr.contains("temporarily unavailable"), "\(stderr)")
        #expect(isReadableError(stderr))
        #expect(cluster.front.waitForLog("shard 127.0.0.1:\(port)"), "\(cluster.front.log)")
        // While the shard is down every query fails the same way; the front itself stays up.
        let (down, _, downErr) = try runCLI(["query", "--server", "127.0.0.1:\(cluster.front.port)", "--embedding", probes.path, "--rows", "0"])
        #expect(down != 0 && downErr.contains("temporarily unavailable"))
        // The shard restarts on its port; the front reconnects by itself.
        cluster.shards[1] = try ClusterProcesses.shard("\(out)/shard-1.cmdb", key: key, port: port)
        #expect(cluster.shards[1].port == port)
        #expect(try queryAll(port: cluster.front.port, probes: probes).first == true)
        #expect(cluster.front.isRunning)
    }

    @Test("rows enrolled into a shard during a batch: the verifier reconnects and every probe is answered")
    func shardChangesDuringBatch() throws {
        let (dir, db, _, _) = try Self.fixture(n: 301, d: 64, threshold: 0.6)
        let out = dir.appendingPathComponent("shards").path
        #expect(try runCLI(["db", "split", "--db", db, "--shards", "2", "--out", out]).0 == 0)
        let cluster = try ClusterProcesses(files: ["\(out)/shard-0.cmdb", "\(out)/shard-1.cmdb"], key: try Self.keyFile(in: dir),
                                           threshold: 0.6, frontOptions: ["--rate", "off"])
        defer { cluster.stop() }
        var s = Synthetic(d: 64)
        let rows = (0..<120).map { _ in s.unitVector() }
        let batch = dir.appendingPathComponent("batch.npy"), extra = dir.appendingPathComponent("extra.npy")
        try writeNPY(rows, to: batch)
        try writeNPY([rows[119]], to: extra)
        func answered() -> Int { cluster.front.log.components(separatedBy: "query: shards").count - 1 }
        let verifier = try BackgroundCLI(["query", "--server", "127.0.0.1:\(cluster.front.port)", "--embedding", batch.path, "--rows", "all"],
                                         in: dir, name: "batch")
        let deadline = Date().addingTimeInterval(60)
        while answered() == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        // The last probe of the batch is enrolled into shard 1 while the batch runs.
        #expect(try runCLI(["enroll", "--db", "\(out)/shard-1.cmdb", "--embeddings", extra.path]).0 == 0)
        #expect(verifier.wait() == 0, "\(verifier.stderr)")
        let lines = verifier.stdout.split(separator: "\n")
        #expect(lines.count == 120)
        #expect(lines.last == "row 119: match", "\(lines.suffix(2))")
        #expect(cluster.front.log.contains("front serving 301 templates"))
    }
}
