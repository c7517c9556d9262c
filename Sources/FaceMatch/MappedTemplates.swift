#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The live templates of a database file, served through a read-only memory map instead of
/// being copied into arrays: the process keeps only the byte offset of each live row (8 bytes
/// per template); the templates themselves stay in the page cache, which the kernel fills on
/// demand and may evict, so a file larger than physical memory is still served (more slowly).
///
/// Opening verifies the header and every committed record's checksum in one streaming pass
/// (under the reader's lock), exactly as `DatabaseFile.load(lenient: true)` does: a torn tail is
/// passed over and reported in `tornBytes`, rows being erased count as removed.
///
/// Writers change the file in place only to erase a removed row: a mapped snapshot then sees
/// zeros there, which can never match. Compaction renames a new file over the path; a mapping
/// keeps the old file alive until it is released. A file truncated below its committed records
/// by something other than CryptoMask ends the process (SIGBUS): `repair` never does that.
public final class MappedTemplates: @unchecked Sendable {
    /// Template dimension `d`.
    public let dimension: Int
    /// Live rows.
    public var count: Int { offsets.count }
    /// Ids of the live rows, in file order.
    public let ids: [UInt64]
    /// Removed rows still in the file.
    public let removed: Int
    /// Bytes after the last commit that were passed over.
    public let tornBytes: Int
    /// Where row `i`'s template starts in the mapping.
    let offsets: [Int]
    let base: UnsafeRawPointer
    let length: Int
    /// The mapped file, kept open to check its size before rows are read.
    let file: PosixFile
    /// Bytes the live rows need: a file shorter than this was truncated under the map.
    let needed: Int

    /// Maps and verifies the last commit of the database at `path` (no lock, no waiting for a
    /// writer; see `DatabaseFile.consistentRead`).
    /// - Throws: `.fileUnavailable`, `.databaseDamaged` (a corrupted committed record, a
    ///   truncated file) naming the record, also for an invalid template.
    public convenience init(path: String) throws(FaceMatchError) {
        var file: PosixFile?
        let parts = try DatabaseFile.consistentRead(path) { (f, _) throws(FaceMatchError) in
            file = f
            return try MappedTemplates.map(f)
        }
        self.init(parts, file: file!)
    }

    private init(_ p: (base: UnsafeRawPointer, length: Int, dimension: Int, offsets: [Int], ids: [UInt64], removed: Int, tornBytes: Int), file: PosixFile) {
        self.file = file
        needed = (p.offsets.last ?? 0) + p.dimension
        base = p.base
        length = p.length
        dimension = p.dimension
        offsets = p.offsets
        ids = p.ids
        removed = p.removed
        tornBytes = p.tornBytes
    }

    private static func map(_ f: PosixFile) throws(FaceMatchError) -> (base: UnsafeRawPointer, length: Int, dimension: Int, offsets: [Int], ids: [UInt64], removed: Int, tornBytes: Int) {
        let path = f.path
        let h = try DatabaseFormat.readHeader(f)
        let size = f.size
        guard let p = mmap(nil, max(size, 1), PROT_READ, MAP_SHARED, f.fd, 0), p != MAP_FAILED else {
            throw FaceMatchError.fileUnavailable("\(path): cannot map: \(PosixFile.lastError())")
        }
        let length = max(size, 1)
        var offsets: [Int] = [], ids: [UInt64] = []
        offsets.reserveCapacity(h.count)
        ids.reserveCapacity(h.count)
        var removed = 0
        let end: Int
        do throws(FaceMatchError) {
            end = try DatabaseFormat.scan(f, h) { (r) throws(FaceMatchError) in
                if r.removed { removed += 1; return }
                guard r.intact else { throw FaceMatchError.databaseDamaged("\(path): corrupted record \(r.index + 1) (checksum mismatch)") }
                let template = r.template(dimension: h.dimension).map { Int8(bitPattern: $0) }
                do throws(FaceMatchError) { try FaceDatabase.validate(template, dimension: h.dimension) } catch {
                    throw FaceMatchError.databaseDamaged("\(path): invalid record \(r.index + 1) (id \(r.id)): \(error.reason)")
                }
                offsets.append(r.offset + r.labelOffset + r.labelLength)
                ids.append(r.id)
            }
        } catch {
            munmap(p, length)
            throw error
        }
        return (UnsafeRawPointer(p), length, h.dimension, offsets, ids, removed, size - end)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), length) }

    /// Throws when the file was cut below its rows while mapped (by something other than
    /// CryptoMask, e.g. `cp` over it): reading those pages would end the process. Checked before
    /// each result's rows are read; replace database files by renaming a copy into place.
    func checkIntact() throws(FaceMatchError) {
        guard file.size >= needed else {
            throw FaceMatchError.databaseDamaged("\(file.path) was truncated while being served (overwrite database files only by renaming a copy into place)")
        }
    }

    /// Row `i`'s template (valid while this object lives).
    @inline(__always)
    func row(_ i: Int) -> UnsafePointer<Int8> { (base + offsets[i]).assumingMemoryBound(to: Int8.self) }
}
