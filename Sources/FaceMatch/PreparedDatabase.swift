import BFV
import RingArithmetic

/// The server's query-independent form of a database: for every result group `r` and block
/// `b` the plaintext
/// `P_{r,b}(X) = sum_{k<K} sum_{j<d_b} y_{rK+k}[b*d_b + j] * X^(k*d_b + d_b-1-j)`
/// lifted to the ciphertext ring in evaluation form. Kept in memory when
/// `R * B * L * N * 8` bytes (about `16 * n * d` for L = 2) fit the budget; otherwise each
/// result's plaintexts are rebuilt from the int8 templates when needed (`B * L` NTTs).
final class PreparedDatabase: Sendable {
    let database: FaceDatabase
    let layout: Layout
    let context: BFVContext
    let cached: [[EvaluationPlaintext]]?

    init(database: FaceDatabase, layout: Layout, context: BFVContext, memoryBudget: Int) {
        self.database = database
        self.layout = layout
        self.context = context
        let results = layout.resultCount(database.count)
        let bytes = results * layout.blocks * context.ring.limbCount * context.degree * 8
        if bytes <= memoryBudget {
            // Both cores: results are independent.
            cached = parallelMap(results) { r in PreparedDatabase.build(r, database, layout, context) }
        } else {
            cached = nil
        }
    }

    /// The plaintexts of result `r`, one per block.
    func plaintexts(_ r: Int) -> [EvaluationPlaintext] {
        cached?[r] ?? PreparedDatabase.build(r, database, layout, context)
    }

    static func build(_ r: Int, _ db: FaceDatabase, _ layout: Layout, _ context: BFVContext) -> [EvaluationPlaintext] {
        let n = context.degree, d = db.dimension, db_ = layout.blockLength, k = layout.vectorsPerResult
        return (0..<layout.blocks).map { b in
            var coefficients = [Int64](repeating: 0, count: n)
            db.templates.withUnsafeBufferPointer { t in
                for slot in 0..<k {
                    let i = r * k + slot
                    guard i < db.count else { break }  // padding rows stay zero
                    for j in 0..<db_ {
                        let c = b * db_ + j
                        guard c < d else { break }
                        coefficients[slot * db_ + db_ - 1 - j] = Int64(t[i * d + c])
                    }
                }
            }
            // Values are int8 and there are N of them: both constructors succeed.
            var poly = (try? RNSPoly(context: context.ring, signedCoefficients: coefficients))!
            poly.forwardNTT()
            return (try? EvaluationPlaintext(evaluationForm: poly, context: context))!
        }
    }
}

/// `body(i)` for `i < count`, computed on all cores (Dispatch's concurrentPerform), in order.
func parallelMap<T>(_ count: Int, _ body: (Int) -> T) -> [T] {
    let buffer = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
    buffer.initialize(repeating: nil)
    defer { buffer.deinitialize(); buffer.deallocate() }
    let slots = SendablePointer(buffer.baseAddress!)
    withoutActuallyEscaping(body) { body in
        let f = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: count) { i in
            // Each iteration writes its own slot only.
            slots.pointer[i] = f.value(i)
        }
    }
    return buffer.map { $0! }
}

/// A value handed to parallel iterations that only read it.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// A pointer handed to parallel iterations that write disjoint elements.
struct SendablePointer<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
    init(_ p: UnsafeMutablePointer<T>) { pointer = p }
}

import Dispatch
