/// The on-disk database (DESIGN section 6): versioned, append-only, torn-write detecting.
///
/// Layout, little-endian:
/// - header (32 bytes): `"CMDB" | version 1 (1) | 0 (3) | d (4) | sigma (2) | 0 (2) | count (8) |
///   FNV-1a-64 of the previous 24 bytes (8)`; `count` is the number of committed records.
/// - records: `id (8) | label length (2, at most 1024) | label (UTF-8) | template (d int8) |
///   FNV-1a-64 of the record so far (8)`.
///
/// Appending writes the new records after the committed ones, syncs, then rewrites only the
/// header's count and syncs again; existing records are never rewritten. Loading reads
/// sequentially in 1 MiB chunks (memory: the compact templates only) and reports a file cut
/// short ("truncated"), bytes after the last committed record ("torn write"), or any record or
/// header whose checksum fails ("corrupted").
public enum DatabaseFile {
    static let magic: [UInt8] = Array("CMDB".utf8)
    static let version: UInt8 = 1
    static let headerSize = 32
    /// Longest label in bytes.
    public static let maxLabelBytes = 1024

    /// A loaded database: templates and ids, plus the labels (empty string when none).
    public struct Contents: Sendable {
        /// Templates and ids.
        public var database: FaceDatabase
        /// One label per template.
        public var labels: [String]
    }

    /// Whether a file exists at `path`.
    public static func exists(path: String) -> Bool { PosixFile.exists(path) }

    /// Creates an empty database file.
    /// - Throws: `FaceMatchError.databaseUnavailable` if the file exists or cannot be written.
    public static func create(path: String, dimension: Int) throws(FaceMatchError) {
        _ = try FaceDatabase(dimension: dimension)
        let f = try PosixFile(path: path, mode: .create)
        try f.write(header(dimension: dimension, count: 0), at: 0)
        try f.sync()
    }

    static func header(dimension: Int, count: Int) -> [UInt8] {
        var h = magic + [version, 0, 0, 0]
        h += le(UInt64(dimension), 4) + le(128, 2) + [0, 0] + le(UInt64(count), 8)
        return h + le(fnv(h), 8)
    }

    static func le(_ v: UInt64, _ width: Int) -> [UInt8] { (0..<width).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
    static func readLE(_ b: ArraySlice<UInt8>) -> UInt64 {
        var v: UInt64 = 0
        for (k, x) in b.enumerated() { v |= UInt64(x) << (8 * UInt64(k)) }
        return v
    }

    /// FNV-1a, 64-bit: detects accidental corruption (not an adversary).
    static func fnv<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h ^= UInt64(b); h = h &* 0x0000_0100_0000_01b3 }
        return h
    }

    static func record(id: UInt64, label: String, template: [Int8]) -> [UInt8] {
        let l = Array(label.utf8.prefix(maxLabelBytes))
        var r = le(id, 8) + le(UInt64(l.count), 2) + l + template.map { UInt8(bitPattern: $0) }
        r += le(fnv(r), 8)
        return r
    }

    /// Validates the header; returns (dimension, committed count).
    static func readHeader(_ f: PosixFile) throws(FaceMatchError) -> (Int, Int) {
        let h = try f.read(at: 0, count: headerSize)
        guard h.count == headerSize else { throw FaceMatchError.databaseUnavailable("\(f.path): truncated header (not a CryptoMask database?)") }
        guard Array(h[0..<4]) == magic else { throw FaceMatchError.databaseUnavailable("\(f.path): not a CryptoMask database (bad magic)") }
        guard h[4] == version else { throw FaceMatchError.databaseUnavailable("\(f.path): unsupported database version \(h[4])") }
        guard readLE(h[24..<32]) == fnv(h[0..<24]) else { throw FaceMatchError.databaseUnavailable("\(f.path): corrupted header (checksum mismatch)") }
        let d = Int(readLE(h[8..<12]))
        guard d >= 1, d <= 4096, readLE(h[12..<14]) == 128 else { throw FaceMatchError.databaseUnavailable("\(f.path): corrupted header (dimension \(d))") }
        return (d, Int(readLE(h[16..<24])))
    }

    /// Loads and validates a database file.
    /// - Throws: `FaceMatchError.databaseUnavailable` naming the problem and the record.
    public static func load(path: String) throws(FaceMatchError) -> Contents {
        let f = try PosixFile(path: path, mode: .read)
        let (d, count) = try readHeader(f)
        var db = try FaceDatabase(dimension: d)
        var labels: [String] = []
        let fileSize = f.size
        // Each record takes at least 18 + d bytes: a count the file cannot hold is truncation.
        guard count <= (fileSize - headerSize) / (18 + d) else {
            throw FaceMatchError.databaseUnavailable("\(path): truncated: the header commits \(count) records but the file is too short")
        }
        db.reserve(count)
        labels.reserveCapacity(count)
        var offset = headerSize
        var buffer: [UInt8] = []
        var bufferStart = offset
        func need(_ k: Int) throws(FaceMatchError) -> ArraySlice<UInt8> {
            if offset + k > bufferStart + buffer.count {
                buffer = Array(buffer[(offset - bufferStart)...]) + (try f.read(at: bufferStart + buffer.count, count: max(1 << 20, k)))
                bufferStart = offset
                guard buffer.count >= k else {
                    throw FaceMatchError.databaseUnavailable("\(path): truncated at record \(labels.count + 1) of \(count)")
                }
            }
            return buffer[(offset - bufferStart) ..< (offset - bufferStart + k)]
        }
        for i in 0..<count {
            let head = try need(10)
            let labelLength = Int(readLE(head.suffix(2)))
            guard labelLength <= maxLabelBytes else { throw FaceMatchError.databaseUnavailable("\(path): corrupted record \(i + 1) (label length)") }
            let total = 10 + labelLength + d + 8
            let rec = try need(total)
            guard readLE(rec.suffix(8)) == fnv(rec.dropLast(8)) else {
                throw FaceMatchError.databaseUnavailable("\(path): corrupted record \(i + 1) (checksum mismatch)")
            }
            let id = readLE(rec.prefix(8))
            let label = String(decoding: rec.dropFirst(10).prefix(labelLength), as: UTF8.self)
            let template = rec.dropFirst(10 + labelLength).prefix(d).map { Int8(bitPattern: $0) }
            do { try db.append(id: id, template: template) } catch {
                throw FaceMatchError.databaseUnavailable("\(path): invalid record \(i + 1) (id \(id)): \(error)")
            }
            labels.append(label)
            offset += total
        }
        guard offset == fileSize else {
            throw FaceMatchError.databaseUnavailable("\(path): torn write: \(fileSize - offset) bytes after the last committed record (an interrupted enroll?)")
        }
        return Contents(database: db, labels: labels)
    }

    /// Appends templates (with ids and labels) to an existing, valid database file.
    /// - Throws: `FaceMatchError` if the file is invalid, the dimension differs or a write fails.
    public static func append(path: String, ids: [UInt64], labels: [String], templates: [[Int8]]) throws(FaceMatchError) {
        precondition(ids.count == templates.count && labels.count == templates.count)
        _ = try load(path: path)  // refuse to append to a damaged file
        let f = try PosixFile(path: path, mode: .readWrite)
        let (d, count) = try readHeader(f)
        for t in templates where t.count != d {
            throw FaceMatchError.invalidEmbedding("template of \(t.count) values, database dimension \(d)")
        }
        // Never write a record that `load` would refuse.
        for (i, t) in templates.enumerated() {
            do { try TemplateNorm.check(t) } catch { throw FaceMatchError.invalidEmbedding("template \(i + 1) (id \(ids[i])): \(error)") }
        }
        var offset = f.size
        var chunk: [UInt8] = []
        for i in 0..<templates.count {
            chunk += record(id: ids[i], label: labels[i], template: templates[i])
            if chunk.count >= 1 << 20 { try f.write(chunk, at: offset); offset += chunk.count; chunk.removeAll(keepingCapacity: true) }
        }
        try f.write(chunk, at: offset)
        try f.sync()
        // Commit: only now does the header count the new records.
        try f.write(header(dimension: d, count: count + templates.count), at: 0)
        try f.sync()
    }
}
