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
        try writer.beginAppend(dimension: dimension).commit()
    }

    /// Loads and validates a database file. Takes no lock and waits for no writer: it reads
    /// the last commit (an append or removal in progress is not part of it).
    /// - Throws: `.fileUnavailable` (missing, unreadable), `.databaseDamaged` naming the problem
    ///   and the record (truncation, a torn tail or an interrupted erasure left by a writer that
    ///   died, a checksum mismatch, an invalid template).
    public static func load(path: String) throws(FaceMatchError) -> Contents { try load(path: path, lenient: false) }

    /// Loads like `load(path:)`; with `lenient`, a torn tail (never committed, left by a writer
    /// that died) is passed over and counted in `tornBytes`, and rows whose erasure was
    /// interrupted count as removed: the committed rows are returned, as a server serves them.
    public static func load(path: String, lenient: Bool) throws(FaceMatchError) -> Contents {
        try consistentRead(path) { (f, writing) throws(FaceMatchError) in
            let r = try read(f, strict: !lenient && !writing)
            var c = r.contents
            c.tornBytes = r.info.tornBytes
            return c
        }
    }

    /// Whether a writer (enroll, remove, compact, repair) holds the file's lock right now.
    public static func isLockedByWriter(path: String) -> Bool { DatabaseLock.isHeld(for: path) }

    /// Runs `body` on a fresh open of `path`, told whether a writer is at work. Readers take no
    /// lock: the last commit is always readable, because new records go after it and count only
    /// once the header says so, removals set their tombstone before erasing, and compaction
    /// renames a complete file into place. What a reader can meet is a writer's work in progress
    /// (bytes after the commit, a record being erased, a page read half before and half after a
    /// write): while a writer holds the lock such a read is not damage; a record that fails its
    /// checksum then is read again, up to about five seconds.
    static func consistentRead<T>(_ path: String, _ body: (PosixFile, Bool) throws(FaceMatchError) -> T) throws(FaceMatchError) -> T {
        var attempt = 0
        while true {
            let writing = DatabaseLock.isHeld(for: path)
            let f = try PosixFile(path: path, mode: .read)
            do throws(FaceMatchError) {
                return try body(f, writing)
            } catch {
                guard case .databaseDamaged = error, attempt < 100, writing || DatabaseLock.isHeld(for: path) || attempt == 0 else { throw error }
                attempt += 1
                usleep(50_000)
            }
        }
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
        /// Bytes after the last committed record (an interrupted enroll; `repair` cuts them),
        /// or the rows of a writer still at work when `writerActive`.
        public var tornBytes: Int
        /// Whether a writer held the lock while the file was read (a tail or an erasure is then
        /// work in progress, not damage).
        public var writerActive = false
        /// The id the next appended row gets: above every id the file has ever held.
        public var nextID: UInt64 = 0
    }

    /// Reads the header and every committed record's framing and checksum.
    /// - Throws: as `load`, except that a torn tail and interrupted erasures are reported in
    ///   the result rather than thrown.
    public static func info(path: String) throws(FaceMatchError) -> Info {
        try consistentRead(path) { (f, writing) throws(FaceMatchError) in
            var info = try read(f, strict: false, keepTemplates: false).info
            info.writerActive = writing
            return info
        }
    }

    /// The scan behind `load` and `info`. Strict: a torn tail or an interrupted erasure throws.
    /// `visit` sees every live, validated row: writers do their own work in the same pass.
    static func read(_ f: PosixFile, strict: Bool, keepTemplates: Bool = true,
                     visit: (DatabaseFormat.RecordView) throws(FaceMatchError) -> Void = { _ in }) throws(FaceMatchError) -> (contents: Contents, info: Info, header: DatabaseFormat.Header, end: Int) {
        let h = try DatabaseFormat.readHeader(f)
        var nextID = h.nextID
        var db = try FaceDatabase(dimension: h.dimension)
        var labels: [String] = []
        var removed = 0, unerased = 0
        if keepTemplates { db.reserve(h.count); labels.reserveCapacity(h.count) }
        let end = try DatabaseFormat.scan(f, h) { (r) throws(FaceMatchError) in
            nextID = max(nextID, r.id &+ 1)
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
            try visit(r)
        }
        let fileSize = f.size
        let info = Info(rows: h.count - removed, removed: removed, unerased: unerased, dimension: h.dimension,
                        formatVersion: Int(h.version), fileSize: fileSize, tornBytes: fileSize - end, nextID: nextID)
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
