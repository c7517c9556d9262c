#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one writer of a database file at a time: holds the file's exclusive lock from `init`
/// to `close` (or deinit), so its reads and writes see no other writer. Every method leaves the
/// file committed (a crash at any point leaves the last commit readable, at worst with a torn
/// tail or an interrupted erasure that `repair` cleans) and reports what it did.
///
/// New files are created with mode 0600 (biometric data); rewrites keep the file's mode and
/// owner. Temporary files of a writer that died (`FILE.new-PID`, `FILE.compact-PID`, complete
/// copies of templates) are deleted by the next writer, which holds the lock and so knows no
/// writer is using them.
public final class DatabaseWriter {
    /// The database path.
    public let path: String
    private var lock: DatabaseLock?
    /// Temporary files of dead writers deleted when the lock was taken.
    public let staleFilesRemoved: [String]

    /// Takes the exclusive lock of the database at `path` (the file need not exist yet).
    /// - Parameter wait: wait for another writer to finish instead of failing.
    /// - Throws: `.databaseLocked` naming the process that holds the lock; `.fileUnavailable`.
    public init(path: String, wait: Bool = false) throws(FaceMatchError) {
        self.path = path
        lock = try DatabaseLock.writer(for: path, wait: wait)
        let stale = PosixFile.siblings(of: path, prefixedWith: ".new-") + PosixFile.siblings(of: path, prefixedWith: ".compact-")
        for s in stale { PosixFile.remove(s) }
        staleFilesRemoved = stale
    }

    deinit { close() }

    /// Releases the lock (idempotent).
    public func close() {
        lock?.release()
        lock = nil
    }

    /// Throws unless this writer still holds its lock (it is checked before every commit).
    func checkLock() throws(FaceMatchError) {
        guard let lock else { throw FaceMatchError.databaseLocked("\(path): this writer was closed") }
        try lock.checkHeld()
    }

    /// The committed contents (validated strictly), or nil when the file does not exist yet.
    public func contents() throws(FaceMatchError) -> DatabaseFile.Contents? {
        guard PosixFile.exists(path) else { return nil }
        return try DatabaseFile.read(PosixFile(path: path, mode: .read), strict: true).contents
    }

    /// The id the next appended row should get: above every id the file has ever held (removed
    /// and compacted rows included), 0 for a new file.
    public func nextID() throws(FaceMatchError) -> UInt64 {
        guard PosixFile.exists(path) else { return 0 }
        return try DatabaseFile.read(PosixFile(path: path, mode: .read), strict: false, keepTemplates: false).info.nextID
    }

    /// Appends rows. A missing file is created (with dimension `templates[0].count`) through a
    /// temporary file linked into place only when complete, so a failed first enroll leaves
    /// nothing behind. An existing file must be undamaged (run `repair` first otherwise); a
    /// version 1 file is upgraded to version 2 first.
    /// - Throws: `.invalidEmbedding` for a template of the wrong dimension or outside the norm
    ///   bound (nothing is committed then), `.databaseDamaged`, `.fileUnavailable`.
    public func append(ids: [UInt64], labels: [String], templates: [[Int8]]) throws(FaceMatchError) {
        guard ids.count == templates.count, labels.count == templates.count else {
            throw FaceMatchError.invalidParameter("\(ids.count) ids, \(labels.count) labels and \(templates.count) templates differ in count")
        }
        guard let first = templates.first else { return }
        let batch = try beginAppend(dimension: first.count)
        for i in templates.indices {
            do throws(FaceMatchError) { try batch.add(id: ids[i], label: labels[i], template: templates[i]) } catch {
                batch.abort()
                throw FaceMatchError.invalidEmbedding("row \(i): \(error.reason)")
            }
        }
        try batch.commit()
    }

    /// Starts an append of any number of rows, written as they come (memory: one 1 MiB buffer)
    /// and committed at once by `commit()`; until then no reader sees them, and `abort()` (or an
    /// error, or a crash) leaves the file as it was. `dimension` is used for a new file; an
    /// existing file must have it.
    /// The file is validated in one streaming pass, which also shows every live row to
    /// `visit(id, label, template)` (e.g. to find duplicates) and finds `PendingAppend.nextID`.
    /// - Throws: `.databaseDamaged` (run `repair`), `.invalidParameter` for another dimension.
    public func beginAppend(dimension: Int, visit: (UInt64, String, ArraySlice<UInt8>) -> Void = { _, _, _ in }) throws(FaceMatchError) -> PendingAppend {
        if PosixFile.exists(path) {
            try upgradeIfNeeded()
            let f = try PosixFile(path: path, mode: .readWrite)
            let h = try DatabaseFormat.readHeader(f)
            guard h.dimension == dimension else {
                throw FaceMatchError.invalidParameter("\(path) holds dimension \(h.dimension), the rows have \(dimension)")
            }
            let (_, info, header, end) = try DatabaseFile.read(f, strict: true, keepTemplates: false) { r in
                visit(r.id, r.label, r.template(dimension: h.dimension))
            }
            let batch = PendingAppend(file: f, header: header, start: end, publishAt: nil, lockCheck: checkLock)
            batch.nextID = info.nextID
            return batch
        }
        _ = try FaceDatabase(dimension: dimension)
        let temp = "\(path).new-\(getpid())"
        PosixFile.remove(temp)
        let f = try PosixFile(path: temp, mode: .create)
        let header = DatabaseFormat.Header(version: DatabaseFormat.currentVersion, dimension: dimension, count: 0)
        try f.write(DatabaseFormat.header(header), at: 0)
        return PendingAppend(file: f, header: header, start: header.size, publishAt: path, lockCheck: checkLock)
    }

    /// Removes every live row for which `matches(id, label)` holds: marks each record as being
    /// removed and syncs (from then on no reader serves the row), then overwrites its label and
    /// template with zeros, marks it removed and syncs again (the biometric is gone from the
    /// file, not hidden).
    /// - Returns: the ids removed, in file order (empty when nothing matched).
    public func remove(where matches: (UInt64, String) -> Bool) throws(FaceMatchError) -> [UInt64] {
        guard PosixFile.exists(path) else { throw FaceMatchError.fileUnavailable("\(path): no such database") }
        try upgradeIfNeeded()
        let f = try PosixFile(path: path, mode: .readWrite)
        var hits: [DatabaseFormat.RecordView] = []
        let (_, _, h, _) = try DatabaseFile.read(f, strict: true, keepTemplates: false) { r in
            if matches(r.id, r.label) { hits.append(r) }
        }
        guard !hits.isEmpty else { return [] }
        try checkLock()
        // Step 1: "being removed" (one byte each; from the sync on, no reader serves these rows).
        for r in hits { try f.write([DatabaseFormat.removing], at: r.offset + 8) }
        try f.sync()
        // Step 2: erase label and template; the checksum covers the zeroed record.
        try erase(hits, in: f, dimension: h.dimension)
        return hits.map(\.id)
    }

    private func erase(_ records: [DatabaseFormat.RecordView], in f: PosixFile, dimension: Int) throws(FaceMatchError) {
        for r in records {
            let zeroed = DatabaseFormat.record(id: r.id, flags: DatabaseFormat.removed, label: [UInt8](repeating: 0, count: r.labelLength),
                                               template: [UInt8](repeating: 0, count: dimension))
            try f.write(zeroed, at: r.offset)
        }
        try f.sync()
    }

    /// What `compact` did.
    public struct CompactReport: Sendable, Equatable {
        /// Rows kept, and removed rows dropped.
        public var kept: Int, dropped: Int
        /// File size before and after, in bytes.
        public var bytesBefore: Int, bytesAfter: Int
    }

    /// Rewrites the file without removed rows (and in the current format, keeping its mode,
    /// owner and next id): a new file written beside it, synced, then renamed over it. Readers
    /// see the old file or the new one.
    /// - Throws: `.databaseDamaged` if the file needs `repair` first; `.fileUnavailable`.
    @discardableResult
    public func compact() throws(FaceMatchError) -> CompactReport {
        let f = try PosixFile(path: path, mode: .read)
        let before = f.size
        let (_, info, h, _) = try DatabaseFile.read(f, strict: true, keepTemplates: false)
        let next = info.nextID
        let temp = "\(path).compact-\(getpid())"
        PosixFile.remove(temp)
        do throws(FaceMatchError) {
            let out = try PosixFile(path: temp, mode: .create)
            try out.copyOwnership(of: path)
            let header = DatabaseFormat.Header(version: DatabaseFormat.currentVersion, dimension: h.dimension, count: info.rows, nextID: next)
            var offset = header.size
            var records: [UInt8] = []
            _ = try DatabaseFormat.scan(f, h) { (r) throws(FaceMatchError) in
                guard !r.removed else { return }
                records += DatabaseFormat.record(id: r.id, label: Array(r.labelBytes),
                                                 template: r.template(dimension: h.dimension))
                if records.count >= 1 << 20 { try out.write(records, at: offset); offset += records.count; records.removeAll(keepingCapacity: true) }
            }
            try out.write(records, at: offset)
            try out.write(DatabaseFormat.header(header), at: 0)
            try out.sync()
            let after = out.size
            try checkLock()
            try PosixFile.rename(temp, over: path)
            return CompactReport(kept: info.rows, dropped: info.removed, bytesBefore: before, bytesAfter: after)
        } catch {
            PosixFile.remove(temp)
            throw error
        }
    }

    private func upgradeIfNeeded() throws(FaceMatchError) {
        let h = try DatabaseFormat.readHeader(PosixFile(path: path, mode: .read))
        if h.version < DatabaseFormat.currentVersion { try compact() }
    }

    /// What `repair` did.
    public struct RepairReport: Sendable, Equatable {
        /// Bytes cut after the last committed record, and how many whole (never committed)
        /// records they held.
        public var tornBytes: Int, uncommittedRecords: Int
        /// Interrupted erasures completed.
        public var erasuresCompleted: Int
        /// Committed records (live and removed), unchanged.
        public var committedRecords: Int
        /// Temporary files of dead writers deleted (copies of templates).
        public var staleFilesRemoved: [String]
    }

    /// Restores the last commit: cuts a torn tail (bytes after the last committed record, left
    /// by an interrupted append), completes interrupted erasures and reports the dead writers'
    /// temporary files that were deleted. Committed rows are never touched; a committed record
    /// whose checksum fails cannot be repaired (restore a backup).
    /// - Throws: `.databaseDamaged` for a damaged header or committed record.
    public func repair() throws(FaceMatchError) -> RepairReport {
        let f = try PosixFile(path: path, mode: .readWrite)
        let h = try DatabaseFormat.readHeader(f)
        var unerased: [DatabaseFormat.RecordView] = []
        let end = try DatabaseFormat.scan(f, h) { (r) throws(FaceMatchError) in
            if r.removed && !r.intact { unerased.append(r) }
            if !r.removed && !r.intact {
                throw FaceMatchError.databaseDamaged("\(path): committed record \(r.index + 1) is corrupted (checksum mismatch); repair cannot restore it: use a backup")
            }
        }
        let torn = f.size - end
        var whole = 0
        try checkLock()
        if torn > 0 {
            // Count the complete records in the tail, for the report.
            whole = countRecords(f, from: end, h)
            try f.truncate(to: end)
            try f.sync()
        }
        if !unerased.isEmpty { try erase(unerased, in: f, dimension: h.dimension) }
        return RepairReport(tornBytes: torn, uncommittedRecords: whole, erasuresCompleted: unerased.count, committedRecords: h.count,
                            staleFilesRemoved: staleFilesRemoved)
    }

    private func countRecords(_ f: PosixFile, from start: Int, _ h: DatabaseFormat.Header) -> Int {
        var offset = start, count = 0
        let fixed = DatabaseFormat.fixedBytes(h.version), labelAt = fixed - 8
        while let head = try? f.read(at: offset, count: labelAt), head.count == labelAt {
            let total = fixed + Int(DatabaseFormat.readLE(head.suffix(2))) + h.dimension
            guard let rec = try? f.read(at: offset, count: total), rec.count == total,
                  DatabaseFormat.readLE(rec.suffix(8)) == DatabaseFormat.fnv(rec.dropLast(8)) else { break }
            count += 1
            offset += total
        }
        return count
    }
}

/// Rows being appended by a `DatabaseWriter` (see `beginAppend`): written after the committed
/// records (or into a new file beside the database), invisible until `commit`.
public final class PendingAppend {
    let file: PosixFile
    var header: DatabaseFormat.Header
    /// End of the committed records, and of the rows written so far.
    let start: Int
    var offset: Int
    /// Where a new database is linked into place on commit (nil: appending to an existing one).
    let publishAt: String?
    let lockCheck: () throws(FaceMatchError) -> Void
    var records: [UInt8] = []
    var added = 0
    var largestID: UInt64?
    var finished = false
    /// The id to give the first row added: above every id the file has ever held (0 for a new file).
    public internal(set) var nextID: UInt64 = 0

    init(file: PosixFile, header: DatabaseFormat.Header, start: Int, publishAt: String?, lockCheck: @escaping () throws(FaceMatchError) -> Void) {
        self.file = file
        self.header = header
        self.start = start
        self.offset = start
        self.publishAt = publishAt
        self.lockCheck = lockCheck
    }

    deinit { if !finished { abort() } }

    /// Rows added so far.
    public var count: Int { added }

    /// Adds one row.
    /// - Throws: `.invalidEmbedding` for a template the database cannot hold, `.invalidParameter`
    ///   for a label over 1024 bytes of UTF-8 (nothing is added).
    public func add(id: UInt64, label: String, template: [Int8]) throws(FaceMatchError) {
        try FaceDatabase.validate(template, dimension: header.dimension)
        let labelBytes = Array(label.utf8)
        guard labelBytes.count <= DatabaseFormat.maxLabelBytes else {
            throw FaceMatchError.invalidParameter("a label of \(labelBytes.count) bytes; at most \(DatabaseFormat.maxLabelBytes) bytes of UTF-8 are stored")
        }
        records += DatabaseFormat.record(id: id, label: labelBytes, template: template.map { UInt8(bitPattern: $0) })
        added += 1
        largestID = max(largestID ?? 0, id)
        if records.count >= 1 << 20 { try flush() }
    }

    func flush() throws(FaceMatchError) {
        try file.write(records, at: offset)
        offset += records.count
        records.removeAll(keepingCapacity: true)
    }

    /// Syncs the rows, then commits them with one header write (and, for a new database, links
    /// the complete file into place).
    /// - Throws: `.databaseLocked` if the lock file was removed meanwhile (nothing is committed).
    public func commit() throws(FaceMatchError) {
        precondition(!finished, "commit after commit or abort")
        do throws(FaceMatchError) {
            try flush()
            try file.sync()
            try lockCheck()
        } catch {
            abort()
            throw error
        }
        // From the header write on, the rows may be committed: never cut them back.
        finished = true
        var committed = header
        committed.count += added
        if committed.version >= 2, let largestID { committed.nextID = max(committed.nextID, largestID &+ 1) }
        try file.write(DatabaseFormat.header(committed), at: 0)
        try file.sync()
        if let target = publishAt {
            guard try PosixFile.publish(file.path, at: target) else {
                PosixFile.remove(file.path)
                throw FaceMatchError.fileUnavailable("\(target): already exists")
            }
        }
    }

    /// Drops the rows: an existing database is cut back to its last commit, a new one removed.
    public func abort() {
        guard !finished else { return }
        finished = true
        if publishAt != nil {
            PosixFile.remove(file.path)
        } else {
            try? file.truncate(to: start)
            try? file.sync()
        }
    }
}
