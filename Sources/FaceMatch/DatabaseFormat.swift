/// The byte layout of a database file (docs/DESIGN.md section 6). Little-endian.
///
/// - Header, version 2 (40 bytes): `"CMDB" | version (1) | 0 (3) | d (4) | sigma = 128 (2) |
///   0 (2) | committed record count (8) | next id (8) | FNV-1a-64 of the previous 32 bytes (8)`.
///   `next id` is above every id the file has ever held, so an id is never given twice, even
///   after its row was removed and compacted away.
/// - Record, version 2: `id (8) | flags (1) | label length (2, at most 1024) | label (UTF-8) |
///   template (d int8) | FNV-1a-64 of the record so far (8)`. Flags: `0x00` live; `0xA5` being
///   removed (the removal's first, synced step; label and template may still be there); `0x5A`
///   removed (label and template bytes are zero). The two removal values differ from 0 in four
///   bits, so no single flipped bit turns a live row into a removed one (it reads as corrupted).
/// - Version 1 (read only; writers upgrade such a file first): a 32-byte header without
///   `next id`, and records without `flags`.
///
/// Records past the committed count are an interrupted append (a torn tail), never data.
enum DatabaseFormat {
    static let magic: [UInt8] = Array("CMDB".utf8)
    static let currentVersion: UInt8 = 2
    /// Bytes read to parse any version's header.
    static let maxHeaderSize = 40
    static let maxLabelBytes = 1024
    static let live: UInt8 = 0x00
    static let removing: UInt8 = 0xA5
    static let removed: UInt8 = 0x5A

    struct Header: Equatable {
        var version: UInt8
        var dimension: Int
        var count: Int
        /// The next id to give (version 2; version 1 files: 0, unknown).
        var nextID: UInt64 = 0

        /// Bytes of this version's header: where the records start.
        var size: Int { version >= 2 ? 40 : 32 }
    }

    static func header(_ h: Header) -> [UInt8] {
        var b = magic + [h.version, 0, 0, 0]
        b += le(UInt64(h.dimension), 4) + le(128, 2) + [0, 0] + le(UInt64(h.count), 8)
        if h.version >= 2 { b += le(h.nextID, 8) }
        return b + le(fnv(b), 8)
    }

    /// Reads and validates the header of `f`.
    static func readHeader(_ f: PosixFile) throws(FaceMatchError) -> Header {
        try parseHeader(f.read(at: 0, count: maxHeaderSize), path: f.path)
    }

    static func le(_ v: UInt64, _ width: Int) -> [UInt8] { (0..<width).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }

    static func readLE<C: Collection>(_ b: C) -> UInt64 where C.Element == UInt8 {
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

    /// Bytes of a record without its label and template: id, flags (version 2), label length, checksum.
    static func fixedBytes(_ version: UInt8) -> Int { version >= 2 ? 19 : 18 }

    /// One version-2 record. Labels longer than 1024 bytes are cut at a character boundary.
    static func record(id: UInt64, flags: UInt8 = live, label: [UInt8], template: some Collection<UInt8>) -> [UInt8] {
        var r = le(id, 8) + [flags] + le(UInt64(label.count), 2) + label
        r += template
        return r + le(fnv(r), 8)
    }

    /// UTF-8 of `label`, cut to at most `maxLabelBytes` without splitting a character.
    static func labelBytes(_ label: String) -> [UInt8] {
        var out: [UInt8] = []
        for ch in label.unicodeScalars {
            let u = Array(String(ch).utf8)
            if out.count + u.count > maxLabelBytes { break }
            out += u
        }
        return out
    }

    static func parseHeader(_ h: [UInt8], path: String) throws(FaceMatchError) -> Header {
        guard h.count >= 32 else { throw FaceMatchError.databaseDamaged("\(path): truncated header (not a CryptoMask database?)") }
        guard Array(h[0..<4]) == magic else { throw FaceMatchError.databaseDamaged("\(path): not a CryptoMask database (bad magic)") }
        guard h[4] == 1 || h[4] == 2 else {
            throw FaceMatchError.databaseDamaged("\(path): database format version \(h[4]) is newer than this build reads (1 ... \(currentVersion))")
        }
        let size = h[4] >= 2 ? 40 : 32
        guard h.count >= size else { throw FaceMatchError.databaseDamaged("\(path): truncated header") }
        guard readLE(h[size - 8 ..< size]) == fnv(h[0 ..< size - 8]) else { throw FaceMatchError.databaseDamaged("\(path): corrupted header (checksum mismatch)") }
        let d = Int(readLE(h[8..<12]))
        guard d >= 1, d <= 4096, readLE(h[12..<14]) == 128 else { throw FaceMatchError.databaseDamaged("\(path): corrupted header (dimension \(d))") }
        return Header(version: h[4], dimension: d, count: Int(readLE(h[16..<24])), nextID: size == 40 ? readLE(h[24..<32]) : 0)
    }

    /// One record as the scan sees it.
    struct RecordView {
        /// 0-based position among the committed records.
        var index: Int
        /// Byte offset of the record and its length.
        var offset: Int, length: Int
        var id: UInt64
        var removed: Bool
        /// Whether the checksum matches (a tombstone whose erasure was interrupted does not).
        var intact: Bool
        var labelOffset: Int, labelLength: Int
        var bytes: ArraySlice<UInt8>

        var labelBytes: ArraySlice<UInt8> { bytes.dropFirst(labelOffset).prefix(labelLength) }
        var label: String { String(decoding: labelBytes, as: UTF8.self) }
        /// The record's own checksum (its last 8 bytes).
        var checksum: UInt64 { DatabaseFormat.readLE(bytes.suffix(8)) }
        func template(dimension d: Int) -> ArraySlice<UInt8> { bytes.dropFirst(labelOffset + labelLength).prefix(d) }
    }

    /// Reads the committed records in order, 1 MiB at a time (memory: one chunk), and hands
    /// each to `body`. Returns the offset just past the last committed record.
    /// - Throws: `.databaseDamaged` for a file cut short or a record whose framing is broken.
    static func scan(_ f: PosixFile, _ h: Header, _ body: (RecordView) throws(FaceMatchError) -> Void) throws(FaceMatchError) -> Int {
        let fixed = fixedBytes(h.version)
        let fileSize = f.size
        // Each record takes at least `fixed + d` bytes: a count the file cannot hold is truncation.
        guard h.count <= (fileSize - h.size) / (fixed + h.dimension) else {
            throw FaceMatchError.databaseDamaged("\(f.path): truncated: the header commits \(h.count) records but the file is too short")
        }
        var offset = h.size
        var buffer: [UInt8] = []
        var bufferStart = offset
        func need(_ k: Int, _ i: Int) throws(FaceMatchError) -> ArraySlice<UInt8> {
            if offset + k > bufferStart + buffer.count {
                buffer = Array(buffer[(offset - bufferStart)...]) + (try f.read(at: bufferStart + buffer.count, count: max(1 << 20, k)))
                bufferStart = offset
                guard buffer.count >= k else {
                    throw FaceMatchError.databaseDamaged("\(f.path): truncated at record \(i + 1) of \(h.count)")
                }
            }
            return buffer[(offset - bufferStart) ..< (offset - bufferStart + k)]
        }
        let labelAt = h.version >= 2 ? 11 : 10
        for i in 0..<h.count {
            let head = try need(labelAt, i)
            let labelLength = Int(readLE(head.suffix(2)))
            let flags = h.version >= 2 ? head[head.startIndex + 8] : live
            guard labelLength <= maxLabelBytes, flags == live || flags == removing || flags == removed else {
                throw FaceMatchError.databaseDamaged("\(f.path): corrupted record \(i + 1) (framing)")
            }
            let total = fixed + labelLength + h.dimension
            let rec = try need(total, i)
            let intact = readLE(rec.suffix(8)) == fnv(rec.dropLast(8))
            try body(RecordView(index: i, offset: offset, length: total, id: readLE(rec.prefix(8)), removed: flags != live,
                                intact: intact, labelOffset: labelAt, labelLength: labelLength, bytes: rec))
            offset += total
        }
        return offset
    }
}
