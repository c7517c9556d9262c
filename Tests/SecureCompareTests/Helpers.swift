import Dispatch
import Synchronization
import RingArithmetic
import SecureCompare

func testRNG(_ stream: UInt64 = 0) -> ChaChaDRBG {
    ChaChaDRBG(seed: try! Seed(bytes: [UInt8](repeating: 5, count: 32)), stream: stream)
}

/// A reproducible randomness source for one session (explicitly deterministic; see `RandomSource`).
func testSource(_ stream: UInt64 = 0) -> RandomSource {
    var g = testRNG(stream)
    return RandomSource(deterministicSeed: g.nextSeed())
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

/// Forwards to another channel and records every frame (tests of byte accounting and of what
/// a party receives).
final class RecordingChannel: Channel, @unchecked Sendable {
    let inner: Channel
    var received: [(MessageType, [UInt8])] = []
    var sentBytes = 0, receivedBytes = 0

    init(_ inner: Channel) { self.inner = inner }

    func send(_ type: MessageType, _ payload: [UInt8]) throws(SecureCompareError) {
        try inner.send(type, payload)
        sentBytes += 5 + payload.count
    }

    func receiveAny() throws(SecureCompareError) -> (MessageType, [UInt8]) {
        let (t, p) = try inner.receiveAny()
        received.append((t, p))
        receivedBytes += 5 + p.count
        return (t, p)
    }

    var statistics: ChannelStatistics { inner.statistics }
    func setPhase(_ name: String) { inner.setPhase(name) }
}

/// Runs a server and a client comparison party (set up) and returns both results.
func runComparison<A, B>(
    seed: UInt64, supply: OTSupply = .silent,
    _ server: @escaping @Sendable (ComparisonServer) throws -> A,
    _ client: @escaping @Sendable (ComparisonClient) throws -> B
) throws -> (A, B) {
    let (a, b, _, _) = try runParties({ ch in
        let s = ComparisonServer(channel: ch, randomness: testSource(seed), supply: supply)
        try s.setup()
        return try server(s)
    }, { ch in
        let c = ComparisonClient(channel: ch, randomness: testSource(seed + 1000), supply: supply)
        try c.setup()
        return try client(c)
    })
    return (a, b)
}

func ksStatistic(_ a: [Double], _ b: [Double]) -> Double { Statistics.kolmogorovSmirnov(a, b) }
func ksCritical(_ n: Int, _ m: Int) -> Double { Statistics.kolmogorovSmirnovCritical(n, m) }
