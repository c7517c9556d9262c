import Foundation
import Testing
import FaceMatch

@Suite("Database file and .npy input")
struct DatabaseFileTests {
    func temp() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("db-\(UUID().uuidString).cmdb").path }

    func templates(_ count: Int, d: Int, seed: Int) -> [[Int8]] {
        // Values in -20 ... 20: within the norm bound sigma + sqrt(d)/2 for d <= 32.
        (0..<count).map { i in (0..<d).map { Int8(truncatingIfNeeded: (i * 31 + $0 * 7 + seed) % 41 - 20) } }
    }

    @Test("append, reopen, append again: every record, id and label survives")
    func appendReopen() throws {
        let path = temp()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try DatabaseFile.create(path: path, dimension: 16)
        #expect(throws: FaceMatchError.self) { try DatabaseFile.create(path: path, dimension: 16) }
        let a = templates(5, d: 16, seed: 1), b = templates(3, d: 16, seed: 2)
        try DatabaseFile.append(path: path, ids: [0, 1, 2, 3, 4], labels: ["a", "b", "", "d", "é"], templates: a)
        var loaded = try DatabaseFile.load(path: path)
        #expect(loaded.database.count == 5 && loaded.labels[4] == "é")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        try DatabaseFile.append(path: path, ids: [5, 6, 7], labels: ["x", "y", "z"], templates: b)
        loaded = try DatabaseFile.load(path: path)
        #expect(loaded.database.count == 8)
        #expect(loaded.database.ids == Array(0...7))
        #expect((0..<8).allSatisfy { Array(loaded.database.template($0)) == (a + b)[$0] })
        // Appending never rewrote existing records (only the header's count changed).
        let after = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(after.prefix(before.count).dropFirst(40) == before.dropFirst(40))
        #expect(throws: FaceMatchError.self) { try DatabaseFile.append(path: path, ids: [9], labels: [""], templates: [[1, 2]]) }
    }

    @Test("truncation, torn writes and corrupted bytes are detected with clear errors")
    func damage() throws {
        let path = temp()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try DatabaseFile.create(path: path, dimension: 32)
        try DatabaseFile.append(path: path, ids: Array(0..<10), labels: (0..<10).map { "p\($0)" }, templates: templates(10, d: 32, seed: 3))
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        var flipped = good
        flipped[200] ^= 0x40
        var header = good
        header[9] ^= 1
        var magic = good
        magic[0] = 0
        let damaged: [(Data, String)] = [
            (good.prefix(good.count - 20), "truncated"), (good.prefix(20), "truncated header"),
            (good + Data([1, 2, 3]), "torn write"), (flipped, "corrupted record"),
            (header, "corrupted header"), (magic, "not a CryptoMask database"),
        ]
        for (bytes, fragment) in damaged {
            try bytes.write(to: URL(fileURLWithPath: path))
            let message = loadError(path)
            #expect(message?.contains(fragment) == true, "\(message ?? "loaded") for \(fragment)")
        }
        // Appending to a damaged file is refused.
        try (good + Data([7])).write(to: URL(fileURLWithPath: path))
        #expect(throws: FaceMatchError.self) { try DatabaseFile.append(path: path, ids: [1], labels: [""], templates: templates(1, d: 32, seed: 0)) }
    }

    @Test(".npy: float32 and float64 read back exactly; other layouts are refused by name")
    func numpy() throws {
        let values = (0..<12).map { Double($0) * 0.25 - 1 }
        for f32 in [true, false] {
            let a = try NumpyArray(npy: NumpyArray.encode(rows: 3, columns: 4, values: values, float32: f32))
            #expect(a.rows == 3 && a.columns == 4 && a.values == values)
        }
        func header(_ text: String, data: Int) -> [UInt8] {
            var h = text
            while (10 + h.utf8.count + 1) % 64 != 0 { h += " " }
            h += "\n"
            return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(h.utf8.count), 0] + Array(h.utf8) + [UInt8](repeating: 0, count: data)
        }
        let cases: [([UInt8], String)] = [
            (header("{'descr': '<f2', 'fortran_order': False, 'shape': (2, 2), }", data: 8), "dtype"),
            (header("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }", data: 16), "dtype"),
            (header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", data: 16), "Fortran"),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2), }", data: 32), "2-D"),
            (header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", data: 15), "data holds"),
            (Array("not numpy at all".utf8), "magic"),
        ]
        for (bytes, fragment) in cases {
            do {
                _ = try NumpyArray(npy: bytes)
                Issue.record("accepted bad .npy (\(fragment))")
            } catch {
                #expect("\(error)".contains(fragment), "\(error)")
            }
        }
    }

    @Test("embeddings: NaN, infinity, zero vectors and wrong dimensions are refused")
    func embeddings() throws {
        #expect(throws: FaceMatchError.self) { try Embedding.quantized([1, .nan]) }
        #expect(throws: FaceMatchError.self) { try Embedding.quantized([1, .infinity]) }
        #expect(throws: FaceMatchError.self) { try Embedding.quantized([0, 0, 0]) }
        #expect(throws: FaceMatchError.self) { try Embedding.quantized([1, 2], dimension: 3) }
        // Huge finite values normalize without overflow; quantization is clamped to +-127.
        #expect(try Embedding.quantized([1e300, 1e300]) == [91, 91])
        #expect(try Embedding.quantized([5, 0, 0]) == [127, 0, 0])
    }

    @Test("the score bound |<x, y> - tau_hat| < t/2 holds for the largest legal inputs")
    func scoreBound() throws {
        for d in [1, 128, 512, 4096] {
            let p = try MatchParameters(dimension: d, threshold: 0.99)
            #expect(p.maxScore + Double(p.scaledThreshold) < 65536)
            // Worst case in practice: identical templates maximize the inner product.
            let x = try Embedding.quantized((0..<d).map { Double($0 % 7) - 3 + 0.5 })
            let dot = x.reduce(0) { $0 + Int($1) * Int($1) }
            #expect(Double(dot) <= p.maxScore)
        }
    }
}
