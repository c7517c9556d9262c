import Foundation
import Testing
import FaceMatch

/// `cryptomask db split` through real processes: the shards hold exactly the source's live rows.
@Suite("db split into shard files", .serialized)
struct ShardSplitTests {
    /// One live row as the library reads it.
    struct Row: Hashable { var id: UInt64; var label: String; var template: [Int8] }

    func rows(_ path: String) throws -> [Row] {
        let c = try DatabaseFile.load(path: path)
        return c.database.ids.indices.map { Row(id: c.database.ids[$0], label: c.labels[$0], template: Array(c.database.template($0))) }
    }

    /// A source of 105 enrolled rows (labelled `person I`, ids 0 ... 104) with ids 3 and 50
    /// removed: 103 live rows, not a multiple of 2 or 4.
    func source(in dir: URL) throws -> (db: String, people: [[Double]]) {
        let db = dir.appendingPathComponent("all.cmdb").path
        var s = Synthetic(d: 32)
        let people = (0..<105).map { _ in s.unitVector() }
        try writeNPY(people, to: dir.appendingPathComponent("people.npy"))
        try (0..<105).map { "person \($0)\n" }.joined().write(to: dir.appendingPathComponent("labels.txt"), atomically: true, encoding: .utf8)
        let e = try runCLI(["enroll", "--db", db, "--embeddings", dir.appendingPathComponent("people.npy").path,
                            "--labels", dir.appendingPathComponent("labels.txt").path])
        #expect(e.0 == 0, "\(e.2)")
        for id in ["3", "50"] { #expect(try runCLI(["db", "remove", "--db", db, "--id", id]).0 == 0) }
        return (db, people)
    }

    func mode(_ path: String) throws -> Int { (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! NSNumber).intValue }

    @Test("1, 2 and 4 round-robin shards hold exactly the live rows (tombstones not copied), each valid, sizes within 1")
    func roundRobin() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (db, _) = try source(in: dir)
        let live = try rows(db)
        #expect(live.count == 103 && !live.contains { $0.id == 3 || $0.id == 50 })
        for k in [1, 2, 4] {
            let out = dir.appendingPathComponent("k\(k)/nested").path
            let r = try runCLI(["db", "split", "--db", db, "--shards", "\(k)", "--out", out])
            #expect(r.0 == 0 && r.2.isEmpty, "\(r.2)")
            let lines = r.1.split(separator: "\n")
            #expect(lines.count == k + 1 && lines.last!.contains("103 live rows, 2 removed not copied"), "\(r.1)")
            #expect(try mode(out) == 0o700)
            var union: [Row] = []
            for i in 0..<k {
                let shard = "\(out)/shard-\(i).cmdb"
                let info = try runCLI(["db", "info", "--db", shard, "--json"])
                #expect(info.0 == 0 && info.1.contains("\"removed\":0") && info.1.contains("\"tornBytes\":0"), "\(info.1) \(info.2)")
                #expect(try mode(shard) == 0o600)
                let got = try rows(shard)
                // Round-robin in file order: shard i holds live rows i, i + k, i + 2k, ... in order.
                #expect(got == stride(from: i, to: live.count, by: k).map { live[$0] })
                #expect(lines[i] == "\(shard): \(got.count) rows")
                #expect(abs(got.count - live.count / k) <= 1)
                union += got
            }
            #expect(Set(union) == Set(live) && union.count == live.count)
            // The listing agrees with the library's reader: (id, label) over the shards.
            let listed = try (0..<k).flatMap { try runCLI(["db", "list", "--db", "\(out)/shard-\($0).cmdb"]).1.split(separator: "\n").map(String.init) }
            #expect(listed.sorted() == live.map { "\($0.id)\t\($0.label)" }.sorted())
            #expect(!FileManager.default.fileExists(atPath: "\(out)/shard-\(k).cmdb"))
        }
    }

    @Test("id-hash: every row sits in shard SHA-256(id)[0..<8] mod K (checked with sha256sum), and the split is reproducible")
    func idHash() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (db, _) = try source(in: dir)
        let live = try rows(db)
        // Independent hashes: sha256sum over each id's 8 little-endian bytes.
        var names: [String] = []
        for row in live {
            let name = dir.appendingPathComponent("id\(row.id)").path
            try Data((0..<8).map { UInt8(truncatingIfNeeded: row.id >> (8 * UInt64($0))) }).write(to: URL(fileURLWithPath: name))
            names.append(name)
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["sha256sum"] + names
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let digests = text.split(separator: "\n").map { String($0.prefix(16)) }
        #expect(digests.count == live.count)
        let expected = digests.map { hex -> UInt64 in
            // The first 8 digest bytes, little-endian.
            stride(from: 0, to: 16, by: 2).enumerated().reduce(UInt64(0)) { v, e in
                v | UInt64(hex.dropFirst(e.element).prefix(2), radix: 16)! << (8 * UInt64(e.offset))
            }
        }
        for (k, out) in [(4, "a"), (4, "b"), (3, "c")] {
            let r = try runCLI(["db", "split", "--db", db, "--shards", "\(k)", "--out", dir.appendingPathComponent(out).path, "--by", "id-hash"])
            #expect(r.0 == 0, "\(r.2)")
            var union: [Row] = []
            for i in 0..<k {
                let got = try rows(dir.appendingPathComponent("\(out)/shard-\(i).cmdb").path)
                #expect(!got.isEmpty)
                for row in got { #expect(expected[live.firstIndex(of: row)!] % UInt64(k) == UInt64(i), "id \(row.id) in shard \(i)") }
                union += got
            }
            #expect(Set(union) == Set(live) && union.count == live.count)
        }
        for i in 0..<4 {
            let a = try Data(contentsOf: dir.appendingPathComponent("a/shard-\(i).cmdb"))
            #expect(a == (try Data(contentsOf: dir.appendingPathComponent("b/shard-\(i).cmdb"))))
        }
    }

    @Test("refused: an existing shard file (named, nothing written), more shards than live rows, a locked source, bad options")
    func refusals() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (db, _) = try source(in: dir)
        let out = dir.appendingPathComponent("out").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: "\(out)/shard-2.cmdb"))
        let taken = try runCLI(["db", "split", "--db", db, "--shards", "2", "--out", out])
        #expect(taken.0 == 1 && taken.2.contains("\(out)/shard-2.cmdb") && isReadableError(taken.2), "\(taken.2)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out) == ["shard-2.cmdb"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(out)/shard-2.cmdb")) == Data("keep".utf8))

        let fresh = dir.appendingPathComponent("fresh").path
        for k in ["104", "105", "1024"] {
            let r = try runCLI(["db", "split", "--db", db, "--shards", k, "--out", fresh])
            #expect(r.0 == 1 && r.2.contains("every shard needs at least one row") && isReadableError(r.2), "\(r.2)")
            #expect(!FileManager.default.fileExists(atPath: fresh))
        }
        for bad in [["--shards", "0"], ["--shards", "1025"], ["--shards", "two"], ["--shards", "2", "--by", "random"], ["--shards", "2", "--force"]] {
            let r = try runCLI(["db", "split", "--db", db, "--out", fresh] + bad)
            #expect(r.0 == 2 && isReadableError(r.2), "\(bad): \(r.2)")
        }
        let missing = try runCLI(["db", "split", "--db", dir.appendingPathComponent("none.cmdb").path, "--shards", "2", "--out", fresh])
        #expect(missing.0 == 1 && missing.2.contains("no such database"), "\(missing.2)")

        // The split takes the source's writer lock: it fails at once while a writer works.
        let writer = try DatabaseWriter(path: db)
        let locked = try runCLI(["db", "split", "--db", db, "--shards", "2", "--out", fresh])
        writer.close()
        #expect(locked.0 == 1 && locked.2.contains("is locked by") && isReadableError(locked.2), "\(locked.2)")
        #expect(!FileManager.default.fileExists(atPath: fresh))

        // Temporary files of a split that died are deleted by the next one; it then succeeds.
        try FileManager.default.createDirectory(atPath: fresh, withIntermediateDirectories: true)
        let stale = "\(fresh)/shard-0.cmdb.split-2147483646"
        try Data("partial".utf8).write(to: URL(fileURLWithPath: stale))
        #expect(try runCLI(["db", "split", "--db", db, "--shards", "103", "--out", fresh]).0 == 0)
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(try FileManager.default.contentsOfDirectory(atPath: fresh).count == 103)
    }

    @Test("a split killed while writing leaves no shard file under a final name; the next split cleans up and succeeds")
    func killedSplit() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("big.cmdb").path
        try writeNPY(cheapRows(150_000, d: 128, seed: 4), to: dir.appendingPathComponent("big.npy"))
        #expect(try runCLI(["enroll", "--db", db, "--embeddings", dir.appendingPathComponent("big.npy").path]).0 == 0)
        let out = dir.appendingPathComponent("shards")
        var caught = false
        for attempt in 0..<5 where !caught {
            let split = try BackgroundCLI(["db", "split", "--db", db, "--shards", "3", "--out", out.path], in: dir, name: "split\(attempt)")
            // Kill as soon as a temporary shard file exists: rows being written, nothing published.
            split.sigkill { ((try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []).contains { $0.contains(".split-") } }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []
            if split.process.terminationReason == .uncaughtSignal && names.contains(where: { $0.contains(".split-") }) {
                caught = true
                #expect(!names.contains { $0.hasSuffix(".cmdb") }, "\(names)")
            } else {
                try? FileManager.default.removeItem(at: out)
            }
        }
        #expect(caught, "never caught the split while it wrote")
        let again = try runCLI(["db", "split", "--db", db, "--shards", "3", "--out", out.path])
        #expect(again.0 == 0 && again.1.contains("150000 live rows"), "\(again.2)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted() == ["shard-0.cmdb", "shard-1.cmdb", "shard-2.cmdb"])
    }

    @Test("a shard takes new enrollments (ids continue from the source's next id) and serves its rows")
    func enrollIntoShard() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (db, people) = try source(in: dir)
        let out = dir.appendingPathComponent("shards").path
        #expect(try runCLI(["db", "split", "--db", db, "--shards", "2", "--out", out]).0 == 0)
        let shard = "\(out)/shard-1.cmdb"
        var s = Synthetic(d: 32)
        // The same generator as `source`: the 106th vector is nobody enrolled yet.
        let newcomer = (0...105).map { _ in s.unitVector() }.last!
        try writeNPY([newcomer], to: dir.appendingPathComponent("new.npy"))
        let e = try runCLI(["enroll", "--db", shard, "--embeddings", dir.appendingPathComponent("new.npy").path])
        #expect(e.0 == 0 && e.1.contains("as ids 105 ... 105") && e.1.contains("now 52 rows"), "\(e.1) \(e.2)")
        // Live rows 0, 1, 2, 4, ...: shard 1 holds ids 1, 4, 6, ...; person 0 is in shard 0.
        let ids = try rows(shard).map(\.id)
        #expect(ids.contains(4) && !ids.contains(0) && ids.last == 105)
        let server = try ServerProcess(db: shard, threshold: 0.5, options: ["--rate", "off"])
        defer { server.stop() }
        try writeNPY([s.near(people[4], cosine: 0.85), s.near(newcomer, cosine: 0.85), s.near(people[0], cosine: 0.85)],
                     to: dir.appendingPathComponent("probes.npy"))
        let q = try runCLI(["query", "--server", "127.0.0.1:\(server.port)", "--embedding", dir.appendingPathComponent("probes.npy").path, "--rows", "all"])
        #expect(q.0 == 0 && q.1 == "row 0: match\nrow 1: match\nrow 2: no match\n", "\(q.1) \(q.2)")
    }
}
