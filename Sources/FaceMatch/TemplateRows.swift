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
}
