import Foundation
import Testing
import FaceMatch

/// Removal, compaction, repair, locking and format-1 compatibility of database files.
@Suite("Database lifecycle")
struct DatabaseLifecycleTests {
    func temp() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("db-\(UUID().uuidString).cmdb").path }

    /// Distinct legal templates: quantized unit vectors.
    func templates(_ count: Int, d: Int, seed: Int) -> [[Int8]] {
        (0..<count).map { (i: Int) -> [Int8] in
            let values: [Double] = (0..<d).map { (j: Int) -> Double in Double((i * 31 + j * 7 + seed) % 251) - 125.5 }
            return try! Embedding.quantized(values)
        }
    }

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    func cleanup(_ path: String) {
        for p in [path, path + ".lock"] { try? FileManager.default.removeItem(atPath: p) }
    }

    func contains(_ haystack: Data, _ needle: [UInt8]) -> Bool { haystack.range(of: Data(needle)) != nil }

    @Test("a writer creates the file atomically; appending to a missing file through DatabaseFile is refused")
    func create() throws {
        let path = temp()
        defer { cleanup(path) }
        #expect(throws: FaceMatchError.self) { try DatabaseFile.append(path: path, ids: [1], labels: [""], templates: templates(1, d: 8, seed: 0)) }
        #expect(!FileManager.default.fileExists(atPath: path))
        // An invalid row refuses the whole first append: no file, no lock file left behind.
        let w = try DatabaseWriter(path: path)
        #expect(throws: FaceMatchError.self) { try w.append(ids: [1, 2], labels: ["", ""], templates: [[1, 2, 3], [1, 2]]) }
        w.close()
        #expect(!FileManager.default.fileExists(atPath: path) && !FileManager.default.fileExists(atPath: path + ".lock"))
        let w2 = try DatabaseWriter(path: path)
        try w2.append(ids: [7], labels: ["x"], templates: [[1, 2, 3]])
        w2.close()
        let c = try DatabaseFile.load(path: path)
        #expect(c.database.ids == [7] && c.labels == ["x"] && Array(c.database.template(0)) == [1, 2, 3])
    }

    @Test("remove by id and by label: rows gone from later loads, their template and label bytes erased")
    func removeErases() throws {
        let path = temp()
        defer { cleanup(path) }
        let t = templates(6, d: 64, seed: 5)
        let labels = ["ann", "bob", "ann", "cy", "dee", "eve-unique-label"]
        let w = try DatabaseWriter(path: path)
        try w.append(ids: (0..<6).map { UInt64($0) + 100 }, labels: labels, templates: t)
        func raw(_ i: Int) -> [UInt8] { t[i].map { UInt8(bitPattern: $0) } }
        let original = try bytes(path)
        #expect(contains(original, raw(5)) && contains(original, Array("eve-unique-label".utf8)))
        #expect(try w.remove { id, _ in id == 105 } == [105])
        #expect(try w.remove { _, label in label == "ann" } == [100, 102])
        #expect(try w.remove { id, _ in id == 105 } == [])  // already removed
        w.close()
        let file = try bytes(path)
        for i in [0, 2, 5] { #expect(!contains(file, raw(i)), "template \(i) still in the file") }
        #expect(!contains(file, Array("eve-unique-label".utf8)))
        for i in [1, 3, 4] { #expect(contains(file, raw(i))) }
        let c = try DatabaseFile.load(path: path)
        #expect(c.database.ids == [101, 103, 104] && c.labels == ["bob", "cy", "dee"] && c.removed == 3)
        let info = try DatabaseFile.info(path: path)
        #expect(info.rows == 3 && info.removed == 3 && info.dimension == 64 && info.formatVersion == 2 && info.tornBytes == 0)
    }

    @Test("compact drops removed rows atomically and keeps every other row, id and label")
    func compact() throws {
        let path = temp()
        defer { cleanup(path) }
        let t = templates(9, d: 16, seed: 2)
        let w = try DatabaseWriter(path: path)
        try w.append(ids: Array(0..<9), labels: (0..<9).map { "p\($0)" }, templates: t)
        _ = try w.remove { id, _ in id % 3 == 0 }
        let before = try #require(try w.contents())
        let report = try w.compact()
        w.close()
        #expect(report.kept == 6 && report.dropped == 3 && report.bytesAfter < report.bytesBefore)
        let after = try DatabaseFile.load(path: path)
        #expect(after.database == before.database && after.labels == before.labels && after.removed == 0)
        #expect(try bytes(path).count == report.bytesAfter)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
            .filter { $0.hasPrefix((path as NSString).lastPathComponent + ".compact") || $0.hasPrefix((path as NSString).lastPathComponent + ".new") }
        #expect(leftovers.isEmpty)
    }

    @Test("repair cuts a torn tail (reporting it) and completes an interrupted erasure; committed rows survive")
    func repair() throws {
        let path = temp()
        defer { cleanup(path) }
        let t = templates(5, d: 32, seed: 9)
        try DatabaseWriter(path: path).append(ids: Array(0..<5), labels: (0..<5).map { "q\($0)" }, templates: t)
        let committed = try bytes(path)
        // An append that died after writing two whole records and part of a third.
        let more = try { () throws -> Data in
            let other = temp()
            defer { cleanup(other) }
            try DatabaseWriter(path: other).append(ids: [50, 51, 52], labels: ["a", "b", "c"], templates: templates(3, d: 32, seed: 4))
            return try bytes(other).dropFirst(40)
        }()
        try (committed + more.dropLast(10)).write(to: URL(fileURLWithPath: path))
        #expect(loadError(path)?.contains("cryptomask db repair") == true)
        #expect(try DatabaseFile.info(path: path).tornBytes == more.count - 10)
        // The server's lenient load serves the committed rows.
        #expect(try DatabaseFile.load(path: path, lenient: true).database.count == 5)
        let r = try DatabaseWriter(path: path).repair()
        #expect(r.tornBytes == more.count - 10 && r.uncommittedRecords == 2 && r.committedRecords == 5 && r.erasuresCompleted == 0)
        #expect(try bytes(path) == committed)
        // An erasure interrupted after its tombstone: flag set, template still there, checksum stale.
        var data = try bytes(path)
        let recordSize = 19 + 2 + 32
        data[40 + recordSize + 8] = 0xA5
        try data.write(to: URL(fileURLWithPath: path))
        #expect(loadError(path)?.contains("interrupted") == true)
        #expect(try DatabaseFile.load(path: path, lenient: true).database.ids == [0, 2, 3, 4])
        // A killed compaction's complete copy is deleted by the next writer, and repair says so.
        let copy = path + ".compact-999999"
        try data.write(to: URL(fileURLWithPath: copy))
        let r2 = try DatabaseWriter(path: path).repair()
        #expect(r2.staleFilesRemoved == [copy] && !FileManager.default.fileExists(atPath: copy))
        #expect(r2.erasuresCompleted == 1 && r2.tornBytes == 0)
        #expect(!contains(try bytes(path), t[1].map { UInt8(bitPattern: $0) }))
        #expect(try DatabaseFile.load(path: path).database.ids == [0, 2, 3, 4])
    }

    @Test("a second writer is refused at once, naming the holder's process; after close it may write")
    func locking() throws {
        let path = temp()
        defer { cleanup(path) }
        let first = try DatabaseWriter(path: path)
        do {
            _ = try DatabaseWriter(path: path)
            Issue.record("second writer got the lock")
        } catch {
            #expect(error.description.contains("locked by process \(getpid())"), "\(error)")
        }
        first.close()
        let second = try DatabaseWriter(path: path)
        second.close()
    }

    @Test("a format-1 file opens as before and is upgraded to format 2 by its first write")
    func formatOne() throws {
        let path = temp()
        defer { cleanup(path) }
        try Data(formatOneFile(templates(3, d: 8, seed: 1), labels: ["v0", "v1", "v2"])).write(to: URL(fileURLWithPath: path))
        let old = try DatabaseFile.load(path: path)
        let oldVersion = try DatabaseFile.info(path: path).formatVersion
        #expect(old.database.ids == [0, 1, 2] && old.labels == ["v0", "v1", "v2"] && oldVersion == 1)
        let w = try DatabaseWriter(path: path)
        #expect(try w.remove { id, _ in id == 1 } == [1])
        w.close()
        let new = try DatabaseFile.load(path: path)
        let newVersion = try DatabaseFile.info(path: path).formatVersion
        #expect(new.database.ids == [0, 2] && new.labels == ["v0", "v2"] && newVersion == 2)
    }

    @Test("a flipped bit in a live record's flags reads as corruption, never as a removal")
    func flagsBitFlip() throws {
        let path = temp()
        defer { cleanup(path) }
        try DatabaseWriter(path: path).append(ids: [0, 1], labels: ["a", "b"], templates: templates(2, d: 16, seed: 3))
        for bit in 0..<8 {
            var data = try bytes(path)
            data[40 + 8] ^= UInt8(1 << bit)
            let damaged = temp()
            defer { cleanup(damaged) }
            try data.write(to: URL(fileURLWithPath: damaged))
            #expect(loadError(damaged)?.contains("corrupted record 1") == true, "bit \(bit): \(loadError(damaged) ?? "loaded")")
            #expect(throws: FaceMatchError.self) { try DatabaseWriter(path: damaged).repair() }
        }
    }

    @Test("ids are never given twice, even after removal and compaction")
    func idsNeverReused() throws {
        let path = temp()
        defer { cleanup(path) }
        let w = try DatabaseWriter(path: path)
        try w.append(ids: [0, 1, 2], labels: ["", "", ""], templates: templates(3, d: 16, seed: 1))
        _ = try w.remove { id, _ in id == 2 }
        #expect(try w.nextID() == 3)
        try w.compact()
        #expect(try w.nextID() == 3)
        w.close()
    }

    @Test("compaction keeps the file's mode; new files are 0600; the lock file is never followed through a link")
    func permissionsAndLinks() throws {
        let path = temp()
        defer { cleanup(path) }
        try DatabaseWriter(path: path).append(ids: [0, 1], labels: ["a", "b"], templates: templates(2, d: 16, seed: 5))
        func mode(_ p: String) throws -> Int { (try FileManager.default.attributesOfItem(atPath: p)[.posixPermissions] as! NSNumber).intValue & 0o777 }
        #expect(try mode(path) & 0o077 == 0)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
        let w = try DatabaseWriter(path: path)
        _ = try w.remove { id, _ in id == 0 }
        try w.compact()
        w.close()
        #expect(try mode(path) == 0o640)
        // Two paths to one file share one lock.
        let link = temp()
        defer { try? FileManager.default.removeItem(atPath: link) }
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        let holder = try DatabaseWriter(path: path)
        #expect(throws: FaceMatchError.self) { try DatabaseWriter(path: link) }
        holder.close()
        // A lock file planted as a link to another file is refused, and that file is untouched.
        let victim = temp()
        defer { try? FileManager.default.removeItem(atPath: victim) }
        try Data("precious".utf8).write(to: URL(fileURLWithPath: victim))
        try FileManager.default.removeItem(atPath: path + ".lock")
        try FileManager.default.createSymbolicLink(atPath: path + ".lock", withDestinationPath: victim)
        #expect(throws: FaceMatchError.self) { try DatabaseWriter(path: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: victim)) == Data("precious".utf8))
    }
}
