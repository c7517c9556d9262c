import BFV
import RingArithmetic
import SecureCompare
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The server's query-independent form of a database: for every result group `r` and block
/// `b` the plaintext
/// `P_{r,b}(X) = sum_{k<K} sum_{j<d_b} y_{rK+k}[b*d_b + j] * X^(k*d_b + d_b-1-j)`
/// lifted to the ciphertext ring in evaluation form (`B * L * N * 8` bytes per result, about
/// `16 * d` bytes per template for L = 2). The first results that fit the memory budget are
/// kept (a partial cache); the others are rebuilt from the int8 templates when needed
/// (`B * L` NTTs each).
final class PreparedDatabase: Sendable {
    let rows: TemplateRows
    let layout: Layout
    let context: BFVContext
    /// Plaintexts of results `0 ..< cached.count`, packed for the multiply-accumulate.
    let cached: [PackedPlaintexts]

    init(rows: TemplateRows, layout: Layout, context: BFVContext, memoryBudget: Int) {
        self.rows = rows
        self.layout = layout
        self.context = context
        let results = layout.resultCount(rows.count)
        let perResult = PreparedDatabase.bytesPerResult(layout, context)
        let kept = min(results, max(0, memoryBudget) / perResult)
        // All cores: results are independent.
        // Built plaintexts are never empty and share one level: packing succeeds.
        cached = parallelMap(kept) { r in (try? PackedPlaintexts(PreparedDatabase.build(r, rows, layout, context)))! }
    }

    static func bytesPerResult(_ layout: Layout, _ context: BFVContext) -> Int {
        layout.blocks * context.ring.limbCount * context.degree * 8
    }

    /// The plaintexts of result `r`, one per block: packed from the cache, or rebuilt.
    /// - Throws: `.databaseDamaged` when a mapped file was truncated under the server.
    func plaintexts(_ r: Int) throws(FaceMatchError) -> ResultPlaintexts {
        if r < cached.count { return .packed(cached[r]) }
        try rows.checkIntact()
        return .built(PreparedDatabase.build(r, rows, layout, context))
    }

    static func build(_ r: Int, _ rows: TemplateRows, _ layout: Layout, _ context: BFVContext) -> [EvaluationPlaintext] {
        let k = layout.vectorsPerResult
        return build(firstRow: r * k, rows: k, slot: 0, rows, layout, context)
    }

    /// The plaintexts of rows `firstRow ..< firstRow + count` placed at slots `slot ...` of one
    /// result (other slots zero): a full result, or a shard's piece of a result it shares.
    static func build(firstRow: Int, rows wanted: Int, slot first: Int, _ rows: TemplateRows, _ layout: Layout,
                      _ context: BFVContext) -> [EvaluationPlaintext] {
        let n = context.degree, d = rows.dimension, db_ = layout.blockLength, k = layout.vectorsPerResult, count = rows.count
        return (0..<layout.blocks).map { b in
            var coefficients = [Int64](repeating: 0, count: n)
            rows.withRows { row in
                for slot in first..<min(k, first + wanted) {
                    let i = firstRow + slot - first
                    guard i < count else { break }  // padding rows stay zero
                    let t = row(i)
                    for j in 0..<db_ {
                        let c = b * db_ + j
                        guard c < d else { break }
                        coefficients[slot * db_ + db_ - 1 - j] = Int64(t[c])
                    }
                }
            }
            // Values are int8 and there are N of them: both constructors succeed.
            var poly = (try? RNSPoly(context: context.ring, signedCoefficients: coefficients))!
            poly.forwardNTT()
            return (try? EvaluationPlaintext(evaluationForm: poly, context: context))!
        }
    }

    /// The default cache budget: half the physical memory, less what serving `n` templates
    /// needs besides the cache (row offsets and about 512 MiB of per-query working memory).
    static func automaticBudget(templates n: Int) -> Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return 4 << 30 }
        return max(0, pages * size / 2 - 8 * n - (512 << 20))
    }
}

/// One result's plaintexts as the sweep gets them: packed from the cache (multiplied with the
/// packed query) or rebuilt for this sweep (multiplied with the query's ciphertexts).
enum ResultPlaintexts: Sendable {
    case packed(PackedPlaintexts)
    case built([EvaluationPlaintext])

    /// `sum_b Q_b * P_b` for `job`'s query.
    func multiplyAccumulate(_ job: SweepJob, _ context: BFVContext) throws(FaceMatchError) -> Ciphertext {
        try FaceMatchError.wrap { () throws(BFVError) in
            switch self {
            case .packed(let p): try Evaluator(context: context).multiplyAccumulate(job.packedQueries.get(), p)
            case .built(let p): try Evaluator(context: context).multiplyAccumulate(job.queries, p)
            }
        }
    }
}
