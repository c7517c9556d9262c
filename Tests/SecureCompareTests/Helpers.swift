import Dispatch
import Synchronization
import RingArithmetic
import SecureCompare

func testRNG(_ stream: UInt64 = 0) -> ChaChaDRBG {
    ChaChaDRBG(seed: try! Seed(bytes: [UInt8](repeating: 5, count: 32)), stream: stream)
}

/// Holds one party's result; written by its thread before `DispatchGroup.wait` returns.
final class ResultBox<T>: @unchecked Sendable {
    var value: Result<T, Error>?
}

/// Runs the two parties concurrently over an in-memory channel pair and returns both results.
func runParties<A, B>(
    _ server: @escaping @Sendable (InMemoryChannel) throws -> A,
    _ client: @escaping @Sendable (InMemoryChannel) throws -> B
) throws -> (A, B, InMemoryChannel, InMemoryChannel) {
    let (cs, cc) = InMemoryChannel.pair()
    let a = ResultBox<A>(), b = ResultBox<B>()
    let group = DispatchGroup()
    DispatchQueue.global().async(group: group) {
        let r = Result { try server(cs) }
        if case .failure = r { cs.close() }
        a.value = r
    }
    DispatchQueue.global().async(group: group) {
        let r = Result { try client(cc) }
        if case .failure = r { cc.close() }
        b.value = r
    }
    group.wait()
    let ra = try a.value!.get()
    let rb = try b.value!.get()
    return (ra, rb, cs, cc)
}
