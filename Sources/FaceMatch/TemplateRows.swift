import BFV
import SecureCompare
/// The templates a server answers from: an in-memory `FaceDatabase` or a memory-mapped file.
enum TemplateRows: Sendable {
    case memory(FaceDatabase)
    case mapped(MappedTemplates)

    var count: Int {
        switch self {
        case .memory(let db): return db.count
        case .mapped(let m): return m.count
        }
    }

    var dimension: Int {
        switch self {
        case .memory(let db): return db.dimension
        case .mapped(let m): return m.dimension
        }
    }

    /// Throws when a mapped file no longer holds the rows (see `MappedTemplates.checkIntact`).
    func checkIntact() throws(FaceMatchError) {
        if case .mapped(let m) = self { try m.checkIntact() }
    }

    /// Calls `body` with a function from row index to that row's `d` template values.
    func withRows<R>(_ body: ((Int) -> UnsafePointer<Int8>) -> R) -> R {
        switch self {
        case .memory(let db):
            let d = db.dimension
            return db.templates.withUnsafeBufferPointer { t in body { t.baseAddress! + $0 * d } }
        case .mapped(let m):
            return body { m.row($0) }
        }
    }

    /// The rows' ids in order.
    var ids: [UInt64] {
        switch self {
        case .memory(let db): return db.ids
        case .mapped(let m): return m.ids
        }
    }

    /// 8 bytes that tell one set of rows from another: SHA-256 of the count, the dimension,
    /// every id and the first and last templates. Two copies of one shard file agree; shards
    /// from one split (disjoint ids) or from separate enrollments (other templates) differ.
    var identity: UInt64 {
        var h = SHA256.Hasher()
        var header = ByteWriter()
        header.write(UInt64(count), width: 8)
        header.write(UInt64(dimension), width: 8)
        for id in ids { header.write(id, width: 8) }
        h.update(header.bytes)
        if count > 0 {
            withRows { row in
                for i in [0, count - 1] { h.update(UnsafeBufferPointer(start: row(i), count: dimension).map { UInt8(bitPattern: $0) }) }
            }
        }
        return h.finalize().prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}
