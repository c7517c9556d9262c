#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The on-disk database: versioned, append-only for new rows, torn-write detecting, with
/// tombstones for removed rows (layout in `DatabaseFormat`, rules in docs/DESIGN.md section 6).
///
/// Readers (`load`, `info`) hold a shared lock and see only committed records; writers go
/// through `DatabaseWriter`, which holds the exclusive lock. Appending writes the new records
/// after the committed ones, syncs, then rewrites only the header's count and syncs again.
/// Removal marks the record's tombstone, syncs, then overwrites its label and template with
/// zeros and syncs again. Compaction writes a new file and renames it over the old one.
public enum DatabaseFile {
    /// Longest label in bytes (longer labels are cut at a character boundary).
    public static let maxLabelBytes = DatabaseFormat.maxLabelBytes
    /// The format version that writers produce (version 1 files are read and upgraded on write).
    public static let formatVersion = Int(DatabaseFormat.currentVersion)

    /// A loaded database: the live rows' templates and ids, plus their labels.
    public struct Contents: Sendable {
        /// Templates and ids of the rows not removed.
        public var database: FaceDatabase
        /// One label per row of `database` (empty string when none).
        public var labels: [String]
        /// Rows removed (tombstones still in the file until `compact`).
        public var removed: Int
        /// Bytes after the last commit that a lenient load passed over (0 for a strict load).
        public var tornBytes = 0
    }

    /// Whether a file exists at `path`.
    public static func exists(path: String) -> Bool { PosixFile.exists(path) }

    /// The file's identity and change marks (nil if missing): compare two to notice a change.
    public static func signature(path: String) -> FileSignature? { PosixFile.signature(path) }

    /// Creates an empty database file (atomically: it appears complete or not at all).
    /// - Throws: `FaceMatchError.fileUnavailable` if the file exists or cannot be written,
    ///   `.invalidParameter` for a dimension outside 1 ... 4096.
    public static func create(path: String, dimension: Int) throws(FaceMatchError) {
        _ = try FaceDatabase(dimension: dimension)
        let writer = try DatabaseWriter(path: path)
        defer { writer.close() }
        guard !exists(path: path) else { throw FaceMatchError.fileUnavailable("\(path): already exists") }
        try writer.publishNew(dimension: dimension, records: [], count: 0)
    }

    /// Loads and validates a database file, waiting while a writer holds its lock.
    /// - Throws: `.fileUnavailable` (missing, unreadable), `.databaseDamaged` naming the problem
    ///   and the record (truncation, a torn tail, a checksum mismatch, an invalid template).
    public static func load(path: String) throws(FaceMatchError) -> Contents {
        guard let c = try load(path: path, waitForWriter: true) else { throw FaceMatchError.databaseLocked("\(path) is locked") }
        return c
    }

    /// Loads like `load(path:)`; with `waitForWriter` false returns nil at once while a writer
    /// holds the lock (what a server polling for changes wants). With `lenient`, a torn tail
    /// (never committed, left by a writer that died) is passed over and counted in `tornBytes`,
    /// and rows whose erasure was interrupted count as removed: the committed rows are served.
    public static func load(path: String, waitForWriter: Bool, lenient: Bool = false) throws(FaceMatchError) -> Contents? {
        let f = try PosixFile(path: path, mode: .read)
        let lock: DatabaseLock?
        switch try DatabaseLock.reader(for: path, wait: waitForWriter) {
        case .busy: return nil
        case .unneeded: lock = nil
        case .held(let l): lock = l
        }
        defer { lock?.release() }
        // Reopen under the lock: a compaction may have renamed a new file over the path.
        let current = lock == nil ? f : try PosixFile(path: path, mode: .read)
        let r = try read(current, strict: !lenient)
        var c = r.contents
        c.tornBytes = r.info.tornBytes
        return c
    }

    /// Whether a writer (enroll, remove, compact, repair) holds the file's lock right now.
    public static func isLockedByWriter(path: String) -> Bool {
        guard let f = try? PosixFile(path: DatabaseLock.path(of: path), mode: .read) else { return false }
        guard (try? f.lock(exclusive: false, wait: false)) == true else { return true }
        f.unlock()
        return false
    }

    /// What a database file holds, without loading templates into memory for serving.
    public struct Info: Sendable, Equatable {
        /// Live rows.
        public var rows: Int
        /// Removed rows whose tombstones are still in the file.
        public var removed: Int
        /// Removed rows whose erasure was interrupted (`repair` completes it).
        public var unerased: Int
        /// Template dimension `d`.
        public var dimension: Int
        /// Format version of the file (1 or 2).
        public var formatVersion: Int
        /// File size in bytes.
        public var fileSize: Int
        /// Bytes after the last committed record (an interrupted enroll; `repair` cuts them).
        public var tornBytes: Int
    }

    /// Reads the header and every committed record's framing and checksum.
    /// - Throws: as `load`, except that a torn tail and interrupted erasures are reported in
    ///   the result rather than thrown.
    public static func info(path: String) throws(FaceMatchError) -> Info {
        let f = try PosixFile(path: path, mode: .read)
        let lock: DatabaseLock?
        if case .held(let l) = try DatabaseLock.reader(for: path) { lock = l } else { lock = nil }
        defer { lock?.release() }
        let current = lock == nil ? f : try PosixFile(path: path, mode: .read)
        return try read(current, strict: false, keepTemplates: false).info
    }

    /// The scan behind `load` and `info`. Strict: a torn tail or an interrupted erasure throws.
    static func read(_ f: PosixFile, strict: Bool, keepTemplates: Bool = true) throws(FaceMatchError) -> (contents: Contents, info: Info, header: DatabaseFormat.Header, end: Int) {
        let h = try DatabaseFormat.parseHeader(f.read(at: 0, count: DatabaseFormat.headerSize), path: f.path)
        var db = try FaceDatabase(dimension: h.dimension)
        var labels: [String] = []
        var removed = 0, unerased = 0
        if keepTemplates { db.reserve(h.count); labels.reserveCapacity(h.count) }
        let end = try DatabaseFormat.scan(f, h) { (r) throws(FaceMatchError) in
            if r.removed {
                removed += 1
                if !r.intact { unerased += 1 }
                return
            }
            guard r.intact else { throw FaceMatchError.databaseDamaged("\(f.path): corrupted record \(r.index + 1) (checksum mismatch)") }
            let template = r.template(dimension: h.dimension).map { Int8(bitPattern: $0) }
            do throws(FaceMatchError) {
                if keepTemplates { try db.append(id: r.id, template: template) } else { try FaceDatabase.validate(template, dimension: h.dimension) }
            } catch {
                throw FaceMatchError.databaseDamaged("\(f.path): invalid record \(r.index + 1) (id \(r.id)): \(error.reason)")
            }
            if keepTemplates { labels.append(r.label) }
        }
        let fileSize = f.size
        let info = Info(rows: h.count - removed, removed: removed, unerased: unerased, dimension: h.dimension,
                        formatVersion: Int(h.version), fileSize: fileSize, tornBytes: fileSize - end)
        if strict {
            guard end == fileSize else {
                throw FaceMatchError.databaseDamaged("\(f.path): torn write: \(fileSize - end) bytes after the last committed record (an interrupted enroll); `cryptomask db repair --db \(f.path)` cuts them")
            }
            guard unerased == 0 else {
                throw FaceMatchError.databaseDamaged("\(f.path): \(unerased) removal(s) interrupted before the template bytes were erased; `cryptomask db repair --db \(f.path)` completes them")
            }
        }
        return (Contents(database: db, labels: labels, removed: removed), info, h, end)
    }

    /// Appends templates (with ids and labels) under the writer's lock, creating the file if it
    /// does not exist. See `DatabaseWriter.append`.
    public static func append(path: String, ids: [UInt64], labels: [String], templates: [[Int8]], wait: Bool = false) throws(FaceMatchError) {
        let writer = try DatabaseWriter(path: path, wait: wait)
        defer { writer.close() }
        guard exists(path: path) else { throw FaceMatchError.fileUnavailable("\(path): no such database (create it first)") }
        try writer.append(ids: ids, labels: labels, templates: templates)
    }
}
