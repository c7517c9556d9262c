import Foundation
import Testing
import FaceMatch

/// The database as operators use it, through real `cryptomask` processes.
@Suite("database and tool lifecycle", .serialized)
struct DatabaseCLITests {
    /// Quantized bytes of an embedding, as they stand in a database file.
    func stored(_ e: [Double]) throws -> Data { Data(try Embedding.quantized(e).map { UInt8(bitPattern: $0) }) }

    func rows(_ db: String) throws -> Int { try DatabaseFile.info(path: db).rows }

    @Test("two concurrent enrolls never both succeed with a lost row; --wait serializes them")
    func concurrentEnrolls() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("f.cmdb").path
        try writeNPY(cheapRows(20000, d: 128, seed: 1), to: dir.appendingPathComponent("a.npy"))
        try writeNPY(cheapRows(15000, d: 128, seed: 2), to: dir.appendingPathComponent("b.npy"))
        for wait in [false, true] {
            let before = FileManager.default.fileExists(atPath: db) ? try rows(db) : 0
            let extra = wait ? ["--wait"] : []
            let a = try BackgroundCLI(["enroll", "--db", db, "--embeddings", dir.appendingPathComponent("a.npy").path] + extra, in: dir, name: "a\(wait)")
            let b = try BackgroundCLI(["enroll", "--db", db, "--embeddings", dir.appendingPathComponent("b.npy").path] + extra, in: dir, name: "b\(wait)")
            let (sa, sb) = (a.wait(), b.wait())
            var accepted = 0
            for (status, p, n) in [(sa, a, 20000), (sb, b, 15000)] {
                if status == 0 {
                    accepted += n
                    #expect(p.stdout.contains("enrolled \(n) templates"))
                } else {
                    #expect(!wait, "with --wait both must succeed: \(p.stderr)")
                    #expect(p.stderr.contains("is locked by") && isReadableError(p.stderr), "\(p.stderr)")
                }
            }
            #expect(accepted > 0)
            #expect(try rows(db) == before + accepted)
            #expect(try DatabaseFile.info(path: db).tornBytes == 0)
        }
    }

    @Test("an enroll killed mid-write leaves the last commit; db repair restores it; enroll and serve work after")
    func killedEnroll() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("f.cmdb").path
        var s = Synthetic(d: 256)
        let people = (0..<10).map { _ in s.unitVector() }
        try writeNPY(people, to: dir.appendingPathComponent("people.npy"))
        #expect(try runCLI(["enroll", "--db", db, "--embeddings", dir.appendingPathComponent("people.npy").path]).0 == 0)
        try writeNPY(cheapRows(60000, d: 256, seed: 3), to: dir.appendingPathComponent("big.npy"))
        let committedSize = try FileManager.default.attributesOfItem(atPath: db)[.size] as! Int
        var caught = false
        for attempt in 0..<6 where !caught {
            let enroll = try BackgroundCLI(["enroll", "--db", db, "--embeddings", dir.appendingPathComponent("big.npy").path], in: dir, name: "big\(attempt)")
            // Kill as soon as the file grows past its committed size: records written, header not yet.
            enroll.sigkill { ((try? FileManager.default.attributesOfItem(atPath: db)[.size] as? Int) ?? 0) > committedSize }
            if try rows(db) == 10 && (try DatabaseFile.info(path: db).tornBytes) > 0 {
                caught = true
            } else if try rows(db) > 10 {
                // Killed after the commit: undo through removal and compaction, then try again.
                let w = try DatabaseWriter(path: db)
                _ = try w.remove { id, _ in id >= 10 }
                _ = try w.compact()
                w.close()
            }
        }
        #expect(caught, "never caught the enroll between its record writes and its commit")
        guard caught else { return }
        // Strict readers name the repair command; enroll refuses the damaged file.
        let info = try runCLI(["db", "info", "--db", db])
        #expect(info.1.contains("torn tail") && info.1.contains("db repair"))
        let refused = try runCLI(["enroll", "--db", db, "--embeddings", dir.appendingPathComponent("people.npy").path])
        #expect(refused.0 != 0 && refused.2.contains("cryptomask db repair") && isReadableError(refused.2), "\(refused.2)")
        let repair = try runCLI(["db", "repair", "--db", db])
        #expect(repair.0 == 0 && repair.1.contains("cut ") && repair.1.contains("10 records"), "\(repair.1) \(repair.2)")
        #expect(try FileManager.default.attributesOfItem(atPath: db)[.size] as! Int == committedSize)
        // Enroll and serve work again.
        try writeNPY([s.unitVector()], to: dir.appendingPathComponent("one.npy"))
        #expect(try runCLI(["enroll", "--db", db, "--embeddings", dir.appendingPathComponent("one.npy").path]).0 == 0)
        #expect(try rows(db) == 11)
        let server = try ServerProcess(db: db, threshold: 0.5)
        defer { server.stop() }
        try writeNPY([s.near(people[2], cosine: 0.85)], to: dir.appendingPathComponent("probe.npy"))
        let q = try runCLI(["query", "--server", "127.0.0.1:\(server.port)", "--embedding", dir.appendingPathComponent("probe.npy").path])
        #expect(q.0 == 0 && q.1 == "match\n", "\(q.2)")
    }

    @Test("db remove by id and by label stops a genuine probe matching on a running server; bytes erased; compact keeps the rest")
    func removeWhileServing() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("f.cmdb").path
        var s = Synthetic(d: 64)
        let people = (0..<20).map { _ in s.unitVector() }
        try writeNPY(people, to: dir.appendingPathComponent("people.npy"))
        try (0..<20).map { "person \($0)\n" }.joined().write(to: dir.appendingPathComponent("labels.txt"), atomically: true, encoding: .utf8)
        #expect(try runCLI(["enroll", "--db", db, "--embeddings", dir.appendingPathComponent("people.npy").path,
                            "--labels", dir.appendingPathComponent("labels.txt").path]).0 == 0)
        let probes = (0..<8).map { s.near(people[$0], cosine: 0.85) } + [s.unitVector()]
        let probesPath = dir.appendingPathComponent("probes.npy").path
        try writeNPY(probes, to: URL(fileURLWithPath: probesPath))
        let server = try ServerProcess(db: db, threshold: 0.5, options: ["--reload-interval", "60", "--rate", "off"])
        defer { server.stop() }
        func answers() throws -> [Bool] {
            let r = try runCLI(["query", "--server", "127.0.0.1:\(server.port)", "--embedding", probesPath, "--rows", "all", "--json"])
            #expect(r.0 == 0, "\(r.2)")
            return r.1.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.map { $0["match"] as? Bool ?? false }
        }
        #expect(try answers() == [true, true, true, true, true, true, true, true, false])
        // By id: the very next session no longer matches person 3 (no restart, no waiting).
        let byID = try runCLI(["db", "remove", "--db", db, "--id", "3"])
        #expect(byID.0 == 0 && byID.1.contains("removed 1 row"), "\(byID.2)")
        #expect(try answers() == [true, true, true, false, true, true, true, true, false])
        let byLabel = try runCLI(["db", "remove", "--db", db, "--label", "person 6"])
        #expect(byLabel.0 == 0, "\(byLabel.2)")
        let expected = [true, true, true, false, true, true, false, true, false]
        #expect(try answers() == expected)
        let file = try Data(contentsOf: URL(fileURLWithPath: db))
        let (t3, t5, t6) = (try stored(people[3]), try stored(people[5]), try stored(people[6]))
        #expect(file.range(of: t3) == nil && file.range(of: t6) == nil)
        #expect(file.range(of: Data("person 6".utf8)) == nil)
        #expect(file.range(of: t5) != nil)
        let none = try runCLI(["db", "remove", "--db", db, "--id", "3"])
        #expect(none.0 != 0 && isReadableError(none.2), "\(none.2)")
        // Compaction: smaller file, same answers.
        let compact = try runCLI(["db", "compact", "--db", db])
        #expect(compact.0 == 0 && compact.1.contains("dropped 2 removed"), "\(compact.1)\(compact.2)")
        #expect(try answers() == expected)
        let info = try runCLI(["db", "info", "--db", db, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(info.1.utf8)) as? [String: Any]
        #expect(object?["rows"] as? Int == 18 && object?["removed"] as? Int == 0 && object?["dimension"] as? Int == 64)
        let list = try runCLI(["db", "list", "--db", db])
        #expect(list.1.split(separator: "\n").count == 18 && list.1.contains("4\tperson 4") && !list.1.contains("person 3"))
        #expect(server.log.contains("reloaded"))
    }

    @Test("a removal takes effect at once: while another writer holds the lock, and in a session already running")
    func removalAtOnce() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("f.cmdb").path
        var s = Synthetic(d: 512)
        let people = (0..<300).map { _ in s.unitVector() }
        try writeNPY(people, to: dir.appendingPathComponent("people.npy"))
        try (0..<300).map { "person \($0)\n" }.joined().write(to: dir.appendingPathComponent("labels.txt"), atomically: true, encoding: .utf8)
        #expect(try runCLI(["enroll", "--db", db, "--embeddings", dir.appendingPathComponent("people.npy").path,
                            "--labels", dir.appendingPathComponent("labels.txt").path]).0 == 0)
        let probes = (0..<200).map { _ in s.near(people[7], cosine: 0.85) }
        let probesPath = dir.appendingPathComponent("probes.npy").path
        try writeNPY(probes, to: URL(fileURLWithPath: probesPath))
        let server = try ServerProcess(db: db, threshold: 0.5, options: ["--rate", "off", "--reload-interval", "60"])
        defer { server.stop() }
        // A session asking 200 probes of person 7; person 7 is removed while it runs.
        let verifier = try BackgroundCLI(["query", "--server", "127.0.0.1:\(server.port)", "--embedding", probesPath, "--rows", "all"], in: dir, name: "v")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && !verifier.stdout.contains("row 2:") { usleep(5000) }
        let removal = try runCLI(["db", "remove", "--db", db, "--label", "person 7"])
        #expect(removal.0 == 0, "\(removal.2)")
        let answered = verifier.stdout.split(separator: "\n").count
        #expect(verifier.wait() == 0, "\(verifier.stderr)")
        let lines = verifier.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 200)
        // Matches up to the removal, none after it (the session was refused and reconnected).
        let firstMiss = lines.firstIndex { $0.hasSuffix("no match") } ?? lines.count
        #expect(answered < 200, "the session ended before the removal; the test proves less")
        #expect(firstMiss <= answered + 1 && lines[firstMiss...].allSatisfy { $0.hasSuffix("no match") }, "\(lines)")
        #expect(server.log.contains("database changed"))
        // Another writer holding the lock does not delay the removal's effect.
        try writeNPY([people[9]], to: dir.appendingPathComponent("nine.npy"))
        #expect(try runCLI(["query", "--server", "127.0.0.1:\(server.port)", "--embedding", dir.appendingPathComponent("nine.npy").path]).1 == "match\n")
        #expect(try runCLI(["db", "remove", "--db", db, "--label", "person 9"]).0 == 0)
        let holder = try DatabaseWriter(path: db)  // e.g. a long enroll starting right after
        defer { holder.close() }
        let after = try runCLI(["query", "--server", "127.0.0.1:\(server.port)", "--embedding", dir.appendingPathComponent("nine.npy").path])
        #expect(after.1 == "no match\n", "\(after.2)")
    }

    @Test("SIGTERM during three active sessions: queries in flight finish right, new ones are refused, the server logs one line and exits 0; an inherited ignored SIGINT still stops it")
    func gracefulStop() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("f.cmdb").path
        var s = Synthetic(d: 512)
        // Large enough that each query takes tens of milliseconds: the signal lands mid-stream.
        let people = (0..<500).map { _ in s.unitVector() }
        try writeNPY(people, to: dir.appendingPathComponent("people.npy"))
        #expect(try runCLI(["enroll", "--db", db, "--embeddings", dir.appendingPathComponent("people.npy").path]).0 == 0)
        let probes = (0..<300).map { $0 % 2 == 0 ? s.near(people[$0 % 20], cosine: 0.85) : s.unitVector() }
        let probesPath = dir.appendingPathComponent("probes.npy").path
        try writeNPY(probes, to: URL(fileURLWithPath: probesPath))
        let expected = (0..<300).map { "row \($0): \($0 % 2 == 0 ? "match" : "no match")" }.joined(separator: "\n") + "\n"
        let server = try ServerProcess(db: db, threshold: 0.5, options: ["--rate", "off"])
        defer { server.stop() }
        let queries = try (0..<3).map { try BackgroundCLI(["query", "--server", "127.0.0.1:\(server.port)", "--embedding", probesPath, "--rows", "all"], in: dir, name: "q\($0)") }
        // Every verifier has a session and answers flowing before the signal.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && !queries.allSatisfy({ $0.stdout.contains("row 0:") }) { usleep(5000) }
        #expect(queries.allSatisfy { !$0.stdout.contains("row 299:") }, "a query finished before the signal; the test proves less: \(queries.map { $0.stdout.split(separator: "\n").count })")
        let status = server.signalAndWait(SIGTERM)
        // The query in flight finishes with its right answer; the next is refused ("shutting down").
        for q in queries {
            let code = q.wait()
            #expect(expected.hasPrefix(q.stdout) && q.stdout.hasSuffix("\n") && !q.stdout.isEmpty, "\(q.stdout)")
            #expect(q.stdout == expected ? code == 0 : code == 1 && q.stderr.contains("shutting down") && isReadableError(q.stderr), "\(q.stderr)")
        }
        #expect(status == 0)
        #expect(server.log.contains("stopped on SIGTERM") && server.log.contains("every running session finished"), "\(server.log)")
        // Started from a shell that ignores SIGINT (as `cmd &` in a script does): SIGINT still stops it.
        let shell = Process()
        let log = dir.appendingPathComponent("sh.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "trap '' INT; exec \"$0\" serve --db \"$1\" --port 0 --threshold 0.5", cryptomaskBinary, db]
        shell.standardError = try FileHandle(forWritingTo: log)
        try shell.run()
        let started = Date().addingTimeInterval(30)
        while Date() < started && !((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("serving") { usleep(10000) }
        kill(shell.processIdentifier, SIGINT)
        let end = Date().addingTimeInterval(20)
        while shell.isRunning && Date() < end { usleep(10000) }
        if shell.isRunning { kill(shell.processIdentifier, SIGKILL) }
        shell.waitUntilExit()
        #expect(shell.terminationReason == .exit && shell.terminationStatus == 0)
        #expect(((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("stopped on SIGINT"))
    }

    @Test("query --rows all over 50 probes answers like 50 single queries, with one key and OT set-up")
    func manyProbes() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("f.cmdb").path
        var s = Synthetic(d: 64)
        let people = (0..<30).map { _ in s.unitVector() }
        try writeNPY(people, to: dir.appendingPathComponent("people.npy"))
        #expect(try runCLI(["enroll", "--db", db, "--embeddings", dir.appendingPathComponent("people.npy").path]).0 == 0)
        let probes = (0..<50).map { i in i % 3 == 0 ? s.unitVector() : s.near(people[i % 30], cosine: i % 3 == 1 ? 0.85 : 0.4) }
        let probesPath = dir.appendingPathComponent("probes.npy").path
        try writeNPY(probes, to: URL(fileURLWithPath: probesPath))
        let server = try ServerProcess(db: db, threshold: 0.5, options: ["--rate", "off"])
        defer { server.stop() }
        let address = "--server=127.0.0.1:\(server.port)"  // the --opt=value form
        let batch = try runCLI(["query", address, "--embedding=\(probesPath)", "--rows", "all", "--json"])
        #expect(batch.0 == 0, "\(batch.2)")
        let objects = batch.1.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == 50 && objects.enumerated().allSatisfy { $0.element["row"] as? Int == $0.offset })
        let together = objects.map { $0["match"] as? Bool ?? false }
        var single: [Bool] = []
        for i in 0..<50 {
            let r = try runCLI(["query", address, "--embedding", probesPath, "--row", "\(i)"])
            single.append(r.1 == "match\n")
        }
        #expect(together == single)
        #expect(together == probes.map { p in people.map { Embedding.cosine($0, p) }.max()! >= 0.5 })
        // One session answered all 50.
        #expect(server.waitForLog("ok, 50 queries"))
        let ranged = try runCLI(["query", address, "--embedding", probesPath, "--rows", "10-12"])
        #expect(ranged.1 == (10...12).map { "row \($0): \(together[$0] ? "match" : "no match")" }.joined(separator: "\n") + "\n")
    }

    @Test("CLI errors are one readable line; --exit-code, --version, 1-D arrays, CRLF and stdin labels")
    func cliContract() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("f.cmdb").path
        var s = Synthetic(d: 32)
        let people = (0..<6).map { _ in s.unitVector() }
        try writeNPY(people, to: dir.appendingPathComponent("people.npy"))
        let crlf = (0..<6).map { "name \($0)\r\n" }.joined()
        #expect(try runCLI(["enroll", "--db", db, "--embeddings", dir.appendingPathComponent("people.npy").path, "--labels", "-"], stdin: Data(crlf.utf8)).0 == 0)
        #expect(try DatabaseFile.load(path: db).labels == (0..<6).map { "name \($0)" })
        // A 1-D array enrolls as one row.
        var text = "{'descr': '<f8', 'fortran_order': False, 'shape': (32,), }"
        while (10 + text.utf8.count + 1) % 64 != 0 { text += " " }
        text += "\n"
        var oneD = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(text.utf8.count), 0] + Array(text.utf8)
        for v in s.unitVector() { withUnsafeBytes(of: v.bitPattern.littleEndian) { oneD += $0 } }
        try Data(oneD).write(to: dir.appendingPathComponent("vector.npy"))
        let enrolled = try runCLI(["enroll", "--db", db, "--embeddings", dir.appendingPathComponent("vector.npy").path])
        #expect(enrolled.0 == 0 && enrolled.1.contains("now 7 rows"), "\(enrolled.2)")
        // A failed first enroll leaves no file.
        var bad = [s.unitVector(), s.unitVector()]
        bad[1][0] = .nan
        try writeNPY(bad, to: dir.appendingPathComponent("nan.npy"))
        let fresh = dir.appendingPathComponent("new.cmdb").path
        let nan = try runCLI(["enroll", "--db", fresh, "--embeddings", dir.appendingPathComponent("nan.npy").path])
        #expect(nan.0 == 1 && isReadableError(nan.2) && nan.2.contains("row 1"), "\(nan.2)")
        #expect(!FileManager.default.fileExists(atPath: fresh) && !FileManager.default.fileExists(atPath: fresh + ".lock"))

        let server = try ServerProcess(db: db, threshold: 0.5)
        defer { server.stop() }
        try writeNPY([s.near(people[1], cosine: 0.9), s.unitVector()], to: dir.appendingPathComponent("probes.npy"))
        let probes = dir.appendingPathComponent("probes.npy").path
        let address = "127.0.0.1:\(server.port)"
        #expect(try runCLI(["query", "--server", address, "--embedding", probes, "--row", "0", "--exit-code"]).0 == 0)
        #expect(try runCLI(["query", "--server", address, "--embedding", probes, "--row", "1", "--exit-code"]).0 == 1)
        #expect(try runCLI(["query", "--server", address, "--embedding", probes, "--rows", "all", "--exit-code"]).0 == 0)
        let version = try runCLI(["--version"])
        #expect(version.0 == 0 && version.1.hasPrefix("cryptomask ") && version.1.contains("database format 2"))

        // Error cases: one line each, no raw enum values.
        try writeNPY([Array(s.unitVector().prefix(16))], to: dir.appendingPathComponent("short.npy"))
        try writeNPY([bad[1]], to: dir.appendingPathComponent("nanprobe.npy"))
        let peer = try NotCryptoMaskServer()
        defer { peer.close() }
        let cases: [([String], String, Int32)] = [
            (["query", "--server", address, "--embedding", dir.appendingPathComponent("missing.npy").path], "missing.npy", 1),
            (["query", "--server", address, "--embedding", dir.appendingPathComponent("short.npy").path], "dimension", 1),
            // Validated before connecting: nothing listens on port 1.
            (["query", "--server", "127.0.0.1:1", "--embedding", dir.appendingPathComponent("nanprobe.npy").path], "NaN", 1),
            (["query", "--server", "127.0.0.1:\(peer.port)", "--embedding", probes], "not a CryptoMask server", 1),
            (["query", "--server", address, "--embedding", dir.appendingPathComponent("missing.npy").path, "--exit-code"], "missing.npy", 2),
            (["query", "--server", address, "--embedding", probes, "--rows", "5-9"], "the file has rows 0 to 1", 2),
            (["db", "frobnicate", "--db", db], "unknown db command", 2),
            (["db", "info", "--db", dir.appendingPathComponent("none.cmdb").path], "none.cmdb", 1),
            (["serve", "--db", db, "--port", "0", "--threshold", "0.01"], "threshold", 1),
            (["enroll", "--db", db, "--embeddings", probes, "--labels", dir.appendingPathComponent("none.txt").path], "none.txt", 1),
            (["query", "--server", address, "--bogus=1"], "unknown option '--bogus'", 2),
        ]
        for (args, fragment, status) in cases {
            let r = try runCLI(args)
            #expect(r.0 == status, "\(args): status \(r.0), \(r.2)")
            #expect(r.2.contains(fragment) && isReadableError(r.2), "\(args): \(r.2)")
            #expect(!r.2.contains("database:") || args[0] == "db")
        }
    }
}

/// A TCP server that answers every connection like a web server would.
final class NotCryptoMaskServer: @unchecked Sendable {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        listen(fd, 4)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = Int(UInt16(bigEndian: addr.sin_port))
        Thread.detachNewThread {
            while true {
                let c = accept(fd, nil, nil)
                if c < 0 { return }
                let reply = Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".utf8)
                _ = reply.withUnsafeBytes { send(c, $0.baseAddress!, reply.count, Int32(MSG_NOSIGNAL)) }
                usleep(200_000)
                Glibc.close(c)
            }
        }
    }

    func close() { shutdown(fd, Int32(SHUT_RDWR)); Glibc.close(fd) }
}
