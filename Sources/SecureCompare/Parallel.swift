#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// Online processors: parallel work is split by this, never by a fixed constant.
package let processorCount = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))

/// Splits `0 ..< count` into contiguous ranges and runs `body` on them on all cores (four ranges
/// per core, for balance). The body must only write state that belongs to its range.
func parallelRanges(_ count: Int, minimumPerTask: Int = 1, _ body: (Range<Int>) -> Void) {
    let tasks = min(4 * processorCount, max(1, count / max(1, minimumPerTask)))
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

/// `body(i)` for `i < count`, computed on all cores (Dispatch's concurrentPerform), in order.
/// For the package's modules (FaceMatch's result evaluation), not a public API.
package func parallelMap<T>(_ count: Int, _ body: (Int) -> T) -> [T] {
    let buffer = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
    buffer.initialize(repeating: nil)
    defer { buffer.deinitialize(); buffer.deallocate() }
    let slots = SharedPointer(buffer.baseAddress!)
    withoutActuallyEscaping(body) { body in
        let f = SendableBody(body: body)
        DispatchQueue.concurrentPerform(iterations: count) { i in
            // Each iteration writes its own slot only.
            slots.pointer[i] = f.body(i)
        }
    }
    return buffer.map { $0! }
}

struct SendableBody<T>: @unchecked Sendable {
    let body: (Int) -> T
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
