#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One shard file being written by `DatabaseSplit`: a new version-2 database built under a
/// temporary name (`FINAL.split-PID`, mode 0600) beside its final name, so that nothing ever
/// stands under the final name before it is complete and synced.
///
/// Records are buffered up to `bufferLimit` bytes and appended by reopening the file for each
/// flush, so a split into 1024 shards holds no more than one descriptor per flush.
final class ShardFileWriter {
    /// The final and the temporary path.
    let path: String, temporaryPath: String
    let dimension: Int
    let bufferLimit: Int
    private var buffer: [UInt8] = []
    private var offset: Int
    /// Rows added so far.
    private(set) var rows = 0
    /// A running fold of the records' own checksums, in order: `verify` recomputes it from the file.
    private(set) var digest: UInt64 = ShardFileWriter.digestSeed

    static let digestSeed: UInt64 = 0xcbf2_9ce4_8422_2325
    /// Folds one record's checksum into a running digest (order-dependent).
    static func fold(_ digest: UInt64, _ checksum: UInt64) -> UInt64 { (digest ^ checksum) &* 0x0000_0100_0000_01b3 }

    /// The suffix of a split's temporary files, followed by the writing process's id.
    static let temporarySuffix = ".split-"

    /// Creates the temporary file (it must not exist) with an empty header.
    init(path: String, dimension: Int, bufferLimit: Int) throws(FaceMatchError) {
        self.path = path
        temporaryPath = path + ShardFileWriter.temporarySuffix + "\(getpid())"
        self.dimension = dimension
        self.bufferLimit = bufferLimit
        let empty = DatabaseFormat.Header(version: DatabaseFormat.currentVersion, dimension: dimension, count: 0)
        offset = empty.size
        PosixFile.remove(temporaryPath)
        try PosixFile(path: temporaryPath, mode: .create).write(DatabaseFormat.header(empty), at: 0)
    }

    /// Appends one live row (id, label bytes and template kept as they are).
    func add(id: UInt64, label: ArraySlice<UInt8>, template: ArraySlice<UInt8>) throws(FaceMatchError) {
        let record = DatabaseFormat.record(id: id, label: Array(label), template: template)
        buffer += record
        rows += 1
        digest = ShardFileWriter.fold(digest, DatabaseFormat.readLE(record.suffix(8)))
        if buffer.count >= bufferLimit { try flush(into: PosixFile(path: temporaryPath, mode: .readWrite)) }
    }

    private func flush(into f: PosixFile) throws(FaceMatchError) {
        try f.write(buffer, at: offset)
        offset += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes the rest, then the header committing every row with `nextID`, and syncs.
    func finish(nextID: UInt64) throws(FaceMatchError) {
        let f = try PosixFile(path: temporaryPath, mode: .readWrite)
        try flush(into: f)
        buffer = []
        let header = DatabaseFormat.Header(version: DatabaseFormat.currentVersion, dimension: dimension, count: rows, nextID: nextID)
        try f.write(DatabaseFormat.header(header), at: 0)
        try f.sync()
    }

    /// Re-reads the temporary file with the validating reader (strict: every record's framing,
    /// checksum and template) and throws unless it holds exactly the rows added, in order, with
    /// `nextID`.
    func verify(nextID: UInt64) throws(FaceMatchError) {
        var readDigest = ShardFileWriter.digestSeed
        let (_, info, _, _) = try DatabaseFile.read(PosixFile(path: temporaryPath, mode: .read), strict: true, keepTemplates: false) { r in
            readDigest = ShardFileWriter.fold(readDigest, r.checksum)
        }
        guard info.rows == rows, info.removed == 0, info.dimension == dimension, readDigest == digest, info.nextID == nextID else {
            throw FaceMatchError.databaseDamaged("\(path): re-read \(info.rows) rows (next id \(info.nextID)) where \(rows) were written (next id \(nextID)), or their contents differ")
        }
    }

    /// Moves the complete file to its final name unless a file appeared there meanwhile.
    /// - Returns: false when the final name is taken (the temporary file is kept; `discard` it).
    func publish() throws(FaceMatchError) -> Bool {
        try PosixFile.publish(temporaryPath, at: path)
    }

    /// Deletes the temporary file (idempotent).
    func discard() { PosixFile.remove(temporaryPath) }
}
