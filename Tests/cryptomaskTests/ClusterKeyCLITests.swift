import Foundation
import Testing
import FaceMatch

@Suite("cryptomask cluster-key")
struct ClusterKeyCLITests {
    @Test("writes 64 hex characters in a new 0600 file, refuses to overwrite it, and the key loads")
    func generate() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("cluster.key").path
        let first = try runCLI(["cluster-key", "--out", path])
        #expect(first.0 == 0, "\(first.2)")
        #expect(first.1.contains(path) && first.1.contains("--cluster-key") && first.1.contains("CRYPTOMASK_CLUSTER_KEY"), "\(first.1)")
        #expect(first.1.split(separator: "\n").count == 1)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.count == 65 && text.last == "\n")
        #expect(text.dropLast().allSatisfy { "0123456789abcdef".contains($0) })
        // Nothing of the key on the terminal.
        #expect(!first.1.contains(text.prefix(8)) && !first.2.contains(text.prefix(8)))
        _ = try ClusterKey.load(path: path)

        let second = try runCLI(["cluster-key", "--out", path])
        #expect(second.0 == 1 && isReadableError(second.2) && second.2.contains("already exists"), "\(second.2)")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == text, "the first key was changed")

        // A fresh key every time.
        let other = dir.appendingPathComponent("other.key").path
        #expect(try runCLI(["cluster-key", "--out", other]).0 == 0)
        #expect(try String(contentsOfFile: other, encoding: .utf8) != text)

        #expect(try runCLI(["cluster-key"]).0 == 2)
        let help = try runCLI(["cluster-key", "--help"])
        #expect(help.0 == 0 && help.1.contains("usage: cryptomask cluster-key --out FILE"))
        #expect(try runCLI(["--help"]).1.contains("cluster-key --out FILE"))
    }
}
