import Dispatch

/// Splits `0 ..< count` into contiguous ranges and runs `body` on them on all cores. The body
/// must only write state that belongs to its range.
func parallelRanges(_ count: Int, minimumPerTask: Int = 1, _ body: (Range<Int>) -> Void) {
    let tasks = min(8, max(1, count / max(1, minimumPerTask)))
    if tasks == 1 { body(0..<count); return }
    let chunk = (count + tasks - 1) / tasks
    withoutActuallyEscaping(body) { body in
        let f = SendableRangeBody(body: body)
        DispatchQueue.concurrentPerform(iterations: tasks) { t in
            let start = t * chunk, end = min(count, start + chunk)
            if start < end { f.body(start..<end) }
        }
    }
}

struct SendableRangeBody: @unchecked Sendable {
    let body: (Range<Int>) -> Void
}

/// A raw pointer shared by parallel tasks that touch disjoint elements.
struct SharedPointer<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
    init(_ p: UnsafeMutablePointer<T>) { pointer = p }
}

/// A raw pointer shared by parallel tasks that touch disjoint bytes.
struct SharedRawPointer: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    init(_ p: UnsafeMutableRawPointer) { pointer = p }
}
