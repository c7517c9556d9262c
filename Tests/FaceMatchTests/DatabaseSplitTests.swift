import Foundation
import Testing
import FaceMatch

@Suite("Database split (library)")
struct DatabaseSplitTests {
    /// Distinct legal templates: quantized rows of a fixed pattern.
    func templates(_ count: Int, d: Int) -> [[Int8]] {
        (0..<count).map { i in try! Embedding.quantized((0..<d).map { j in Double((i * 37 + j * 11) % 199) - 99.5 }) }
    }

    @Test("a format-1 source splits into format-2 shards: rows, labels and the next id (from the ids) kept; the source untouched")
    func formatOneSource() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("split-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let source = dir.appendingPathComponent("old.cmdb").path
        let t = templates(5, d: 16)
        let file = Data(formatOneFile(t, labels: ["a", "b", "", "d", "é"]))
        try file.write(to: URL(fileURLWithPath: source))
        let out = dir.appendingPathComponent("shards").path
        var dealt: [Int] = []
        let report = try DatabaseSplit.split(path: source, shards: 2, directory: out) { dealt.append($0) }
        #expect(report.shards.map(\.path) == ["\(out)/shard-0.cmdb", "\(out)/shard-1.cmdb"] && report.shards.map(\.rows) == [3, 2])
        #expect(report.rows == 5 && report.removedSkipped == 0 && report.nextID == 5)
        #expect(dealt.isEmpty)  // progress comes every 65,536 rows
        for (k, expected) in [[0, 2, 4], [1, 3]].enumerated() {
            let path = DatabaseSplit.shardPath(directory: out, index: k)
            let info = try DatabaseFile.info(path: path)
            #expect(info.formatVersion == 2 && info.nextID == 5 && info.rows == expected.count)
            let c = try DatabaseFile.load(path: path)
            #expect(c.database.ids == expected.map(UInt64.init))
            #expect(c.labels == expected.map { ["a", "b", "", "d", "é"][$0] })
            #expect(expected.indices.allSatisfy { Array(c.database.template($0)) == t[expected[$0]] })
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: source)) == file)
    }
}
