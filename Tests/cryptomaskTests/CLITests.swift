import Foundation
import Testing
import FaceMatch
import SecureCompare

@Suite("cryptomask processes", .serialized)
struct CLITests {
    @Test("enroll from .npy, serve on loopback, query genuine, impostor and near-threshold probes")
    func endToEnd() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var s = Synthetic(d: 128)
        let people = (0..<40).map { _ in s.unitVector() }
        let db = dir.appendingPathComponent("faces.cmdb").path
        // Two enroll runs: the second appends.
        try writeNPY(Array(people[0..<25]), to: dir.appendingPathComponent("a.npy"))
        try writeNPY(Array(people[25...]), to: dir.appendingPathComponent("b.npy"), float32: false)
        try "\((0..<15).map { "person \($0 + 25)" }.joined(separator: "\n"))\n".write(to: dir.appendingPathComponent("b.txt"), atomically: true, encoding: .utf8)
        var r = try runCLI(["enroll", "--db", db, "--embeddings", dir.appendingPathComponent("a.npy").path])
        #expect(r.0 == 0, "\(r.2)")
        r = try runCLI(["enroll", "--db", db, "--embeddings", dir.appendingPathComponent("b.npy").path, "--labels", dir.appendingPathComponent("b.txt").path])
        #expect(r.0 == 0, "\(r.2)")
        #expect(try DatabaseFile.load(path: db).database.count == 40)

        let tau = 0.5
        let server = try ServerProcess(db: db, threshold: tau)
        defer { server.stop() }
        #expect(server.port > 0)
        let probes = [s.near(people[3], cosine: 0.8), s.unitVector(), s.near(people[30], cosine: tau + 0.03), s.near(people[7], cosine: tau - 0.03)]
        try writeNPY(probes, to: dir.appendingPathComponent("probes.npy"))
        for (i, p) in probes.enumerated() {
            let out = try runCLI(["query", "--server", "127.0.0.1:\(server.port)", "--embedding", dir.appendingPathComponent("probes.npy").path, "--row", "\(i)"])
            #expect(out.0 == 0, "\(out.2)")
            let best = people.map { Embedding.cosine($0, p) }.max()!
            let last = out.1.split(separator: "\n").last.map(String.init)
            #expect(last == (best >= tau ? "match" : "no match"), "probe \(i) max cosine \(best)")
        }
        let json = try runCLI(["query", "--server", "127.0.0.1:\(server.port)", "--embedding", dir.appendingPathComponent("probes.npy").path, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.1.utf8)) as? [String: Any]
        #expect(object?["match"] as? Bool == true)
        #expect((object?["bytesSent"] as? Int ?? 0) > 0 && (object?["seconds"] as? Double ?? -1) >= 0)
        // Concurrent sessions: three verifiers at once all get the right answer.
        let answers = LogBuffer()
        let port = server.port, probesPath = dir.appendingPathComponent("probes.npy").path
        DispatchQueue.concurrentPerform(iterations: 3) { i in
            let r = try? runCLI(["query", "--server", "127.0.0.1:\(port)", "--embedding", probesPath, "--row", "\(i % 2)"])
            answers.append("\(i % 2):\(r?.1.split(separator: "\n").last ?? "failed");")
        }
        #expect(answers.text.components(separatedBy: ";").filter { $0 == "0:match" }.count == 2, "\(answers.text)")
        #expect(answers.text.components(separatedBy: ";").filter { $0 == "1:no match" }.count == 1, "\(answers.text)")
        #expect(server.isRunning)
        // The log names each session's outcome and nothing about queries.
        #expect(server.log.contains("session 1 from"))
    }

    @Test("bad inputs give one clear error line and a non-zero exit")
    func errors() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data([1, 2, 3]).write(to: dir.appendingPathComponent("bad.npy"))
        let r = try runCLI(["enroll", "--db", dir.appendingPathComponent("x.cmdb").path, "--embeddings", dir.appendingPathComponent("bad.npy").path])
        #expect(r.0 != 0)
        #expect(r.2.contains("not a .npy file"))
        #expect(r.2.split(separator: "\n").count == 1)
        let missing = try runCLI(["serve", "--db", dir.appendingPathComponent("none.cmdb").path, "--port", "0", "--threshold", "0.5"])
        #expect(missing.0 != 0 && missing.2.contains("none.cmdb"))
        let usage = try runCLI(["query"])
        #expect(usage.0 != 0 && usage.2.contains("--server"))
        for command in ["demo", "enroll", "serve", "query"] {
            let help = try runCLI([command, "--help"])
            #expect(help.0 == 0 && help.1.contains("usage: cryptomask \(command)"))
        }
        // NaN row: refused with the row number.
        var s = Synthetic(d: 8)
        var rows = [s.unitVector(), s.unitVector()]
        rows[1][2] = .nan
        try writeNPY(rows, to: dir.appendingPathComponent("nan.npy"))
        let nan = try runCLI(["enroll", "--db", dir.appendingPathComponent("y.cmdb").path, "--embeddings", dir.appendingPathComponent("nan.npy").path])
        #expect(nan.0 != 0 && nan.2.contains("row 1") && nan.2.contains("NaN"))
    }

    @Test("the demo prints the right answers")
    func demo() throws {
        let r = try runCLI(["demo"])
        #expect(r.0 == 0, "\(r.2)")
        #expect(r.1.contains("genuine probe (a new sample of person 17): match"))
        #expect(r.1.contains("impostor probe (a person never enrolled): no match"))
    }
}
