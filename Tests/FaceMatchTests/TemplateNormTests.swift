import Foundation
import Testing
import FaceMatch
import RingArithmetic

@Suite("Template norm bound")
struct TemplateNormTests {
    @Test("append refuses a template above sigma + sqrt(d)/2; every quantized unit vector passes")
    func append() throws {
        var db = try FaceDatabase(dimension: 64)
        #expect(throws: FaceMatchError.self) { try db.append(id: 1, template: [Int8](repeating: 127, count: 64)) }
        // Just above the bound (132 for d = 64): 133 in the first coordinate alone cannot be
        // written, so use 17 values of 33 (norm 136.1) against 16 values of 33 (132.0).
        #expect(throws: FaceMatchError.self) { try db.append(id: 2, template: [Int8](repeating: 33, count: 17) + [Int8](repeating: 0, count: 47)) }
        try db.append(id: 3, template: [Int8](repeating: 33, count: 16) + [Int8](repeating: 0, count: 48))
        #expect(db.count == 1)
        var g = testRNG(510)
        for d in [1, 3, 64, 512, 4096] {
            var big = try FaceDatabase(dimension: d)
            for i in 0..<20 {
                // Unit vectors, including ones concentrated on few coordinates.
                var v = unitVector(d, &g)
                if i % 4 == 0 { v = v.indices.map { $0 < 2 ? 1 : v[$0] * 1e-3 } }
                try big.enroll(id: UInt64(i), embedding: v)
            }
            #expect(big.count == 20)
        }
    }

    @Test("loading a file whose record holds an over-norm template fails and names the record")
    func load() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("norm-\(UUID().uuidString).cmdb").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let d = 16
        try DatabaseFile.create(path: path, dimension: d)
        let ok = [Int8](repeating: 10, count: d)
        #expect(throws: FaceMatchError.self) {
            try DatabaseFile.append(path: path, ids: [1], labels: [""], templates: [[Int8](repeating: 127, count: d)])
        }
        try DatabaseFile.append(path: path, ids: [1, 2, 3], labels: ["", "x", ""], templates: [ok, ok, ok])
        // Overwrite record 2's template with 127s and fix its checksum: correct checksums,
        // illegal content.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let recordSize = 8 + 2 + d + 8
        let second = 32 + recordSize
        let start = second + 8 + 2 + 1  // label "x"
        for j in 0..<d { bytes[start + j] = 127 }
        let end = second + recordSize + 1
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes[second ..< end - 8] { h ^= UInt64(b); h = h &* 0x0000_0100_0000_01b3 }
        for k in 0..<8 { bytes[end - 8 + k] = UInt8(truncatingIfNeeded: h >> (8 * UInt64(k))) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            _ = try DatabaseFile.load(path: path)
            Issue.record("loaded an over-norm template")
        } catch {
            let text = "\(error)"
            #expect(text.contains("record 2") && text.contains("norm"), "\(text)")
        }
    }
}
