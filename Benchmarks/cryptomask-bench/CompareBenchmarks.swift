import Dispatch
import RingArithmetic
import SecureCompare

/// Runs `server` and `client` on two threads over an in-memory pair; returns wall seconds and
/// the server channel's statistics.
func twoParty(_ server: @escaping @Sendable (InMemoryChannel) -> Void, _ client: @escaping @Sendable (InMemoryChannel) -> Void) -> (Double, ChannelStatistics, ChannelStatistics) {
    let (a, b) = InMemoryChannel.pair()
    let clock = ContinuousClock()
    let group = DispatchGroup()
    let t = clock.measure {
        DispatchQueue.global().async(group: group) { server(a) }
        DispatchQueue.global().async(group: group) { client(b) }
        group.wait()
    }
    return (Double(t.components.seconds) + Double(t.components.attoseconds) * 1e-18, a.statistics, b.statistics)
}

/// `ot.extension` (ns per random OT), `ot.silent` (ns and bits per Ferret COT),
/// `compare.msb` (l = 11, batch 2^20), `or.tree`.
func compareBenchmarks(_ run: (String, () -> BenchResult) -> Void, options: BenchOptions) {
    // `ot.extension`: the allocating API (fresh output arrays every call, so page faults of
    // 48 MB per 2^20 OTs are included); `ot.extension.reused`: `randomOTs(into:)` with one
    // output buffer per party reused across the five samples.
    for reused in [false, true] {
        let name = reused ? "ot.extension.reused" : "ot.extension"
        run(name) {
            let count = 1 << 20
            var samples: [Double] = []
            var bytes = 0
            let pairs = OutputBuffer<(Block, Block)>(count: count), chosen = OutputBuffer<Block>(count: count)
            for _ in 0..<5 {
                let rendezvous = Rendezvous(), times = TimeBox()
                let (_, s, _) = twoParty({ ch in
                    let sender = OTExtensionSender(channel: ch)
                    try? sender.setup()
                    rendezvous.server()
                    ch.setPhase("measured")
                    times.server = seconds {
                        if reused { try? sender.randomOTs(into: pairs.buffer) } else { blackHole(try? sender.randomOTs(count)) }
                    }
                }, { ch in
                    let receiver = OTExtensionReceiver(channel: ch)
                    try? receiver.setup()
                    var g = ChaChaDRBG.fresh()
                    let choices = BitVector.random(count: count, rng: &g)
                    rendezvous.client()
                    times.client = seconds {
                        if reused { try? receiver.randomOTs(choices: choices, into: chosen.buffer) } else { blackHole(try? receiver.randomOTs(choices: choices)) }
                    }
                })
                samples.append(max(times.server, times.client) * 1e9 / Double(count))
                bytes = s.phases["measured"]?.received ?? 0
            }
            samples.sort()
            return BenchResult(name: name, ns: samples[samples.count / 2],
                               fields: [("count", "\(count)"), ("bytes", format(Double(bytes) / Double(count)))])
        }
    }
    // `ot.silent`: one main Ferret iteration (after the small bootstrap iteration, untimed):
    // ns per usable COT (the slower party) and bits of traffic per usable COT; 3 samples.
    // `ot.silent.small`: the same for one small iteration (the comparison's set).
    for set in [FerretParameters.main, .small] {
        let name = set == .main ? "ot.silent" : "ot.silent.small"
        run(name) {
            let small = FerretParameters.small
            let bootstrap = small.n - set.baseCount, usable = set.n - set.baseCount
            let schedule: FerretSchedule = set == .main ? .main : .small
            var samples: [Double] = []
            var bytes = 0
            for _ in 0..<3 {
                let rendezvous = Rendezvous(), times = TimeBox()
                let (_, s, _) = twoParty({ ch in
                    let iknp = OTExtensionSender(channel: ch)
                    try? iknp.setup()
                    let ferret = FerretCOTSender(bootstrap: iknp, schedule: schedule)
                    try? ferret.prepare()
                    blackHole(try? ferret.take(bootstrap))
                    rendezvous.server()
                    ch.setPhase("measured")
                    times.server = seconds { blackHole(try? ferret.take(usable)) }
                }, { ch in
                    let iknp = OTExtensionReceiver(channel: ch)
                    try? iknp.setup()
                    let ferret = FerretCOTReceiver(bootstrap: iknp, schedule: schedule)
                    try? ferret.prepare()
                    blackHole(try? ferret.take(bootstrap))
                    rendezvous.client()
                    times.client = seconds { blackHole(try? ferret.take(usable)) }
                })
                samples.append(max(times.server, times.client) * 1e9 / Double(usable))
                bytes = s.phases["measured"]?.sent ?? 0
            }
            samples.sort()
            return BenchResult(name: name, ns: samples[samples.count / 2],
                               fields: [("count", "\(usable)"), ("bits", format(Double(8 * bytes) / Double(usable)))])
        }
    }
    let n = Int(options.values["batch"] ?? "\(1 << 20)") ?? (1 << 20)
    run("compare.msb") {
        let l = 11
        var g = ChaChaDRBG.fresh()
        let a = (0..<n).map { _ in g.next() & 2047 }, b = (0..<n).map { _ in g.next() & 2047 }
        let (seconds, s, c) = timedAfterSetup({ s in blackHole(try? s.msbShares(a, bits: l)) },
                                              { c in blackHole(try? c.msbShares(b, bits: l)) })
        let bytes = Double(s.bytesSent + c.bytesSent - setupBytes(s, c)) / Double(n)
        return BenchResult(name: "compare.msb", ns: seconds * 1e9 / Double(n),
                           fields: [("l", "\(l)"), ("batch", "\(n)"), ("bytes", format(bytes))])
    }
    run("or.tree") {
        var g = ChaChaDRBG.fresh()
        let mask = BitVector.random(count: n, rng: &g)
        let (seconds, s, c) = timedAfterSetup({ s in try? s.revealOR(mask) }, { c in blackHole(try? c.revealOR(mask)) })
        let bytes = Double(s.bytesSent + c.bytesSent - setupBytes(s, c)) / Double(n)
        return BenchResult(name: "or.tree", ns: seconds * 1e9 / Double(n), fields: [("n", "\(n)"), ("bytes", format(bytes))])
    }
}

func setupBytes(_ s: ChannelStatistics, _ c: ChannelStatistics) -> Int {
    (s.phases["ot-setup"]?.sent ?? 0) + (c.phases["ot-setup"]?.sent ?? 0)
}

/// Both parties set up, then the timed work runs; returns the slower party's seconds.
func timedAfterSetup(_ server: @escaping @Sendable (ComparisonServer) -> Void, _ client: @escaping @Sendable (ComparisonClient) -> Void) -> (Double, ChannelStatistics, ChannelStatistics) {
    let rendezvous = Rendezvous(), times = TimeBox()
    let (_, s, c) = twoParty({ ch in
        let p = ComparisonServer(channel: ch)
        try? p.setup()
        rendezvous.server()
        times.server = seconds { server(p) }
    }, { ch in
        let p = ComparisonClient(channel: ch)
        try? p.setup()
        rendezvous.client()
        times.client = seconds { client(p) }
    })
    return (max(times.server, times.client), s, c)
}

/// Wall-clock seconds of `body`.
func seconds(_ body: () -> Void) -> Double {
    let t = ContinuousClock().measure(body)
    return Double(t.components.seconds) + Double(t.components.attoseconds) * 1e-18
}

/// Per-party timings written by the party threads before `twoParty` returns.
final class TimeBox: @unchecked Sendable { var server = 0.0, client = 0.0 }

/// Lets two threads start timing together after their setup.
final class Rendezvous: Sendable {
    let serverReady = DispatchSemaphore(value: 0), clientReady = DispatchSemaphore(value: 0)
    func server() { serverReady.signal(); clientReady.wait() }
    func client() { clientReady.signal(); serverReady.wait() }
}

/// `hash.ot`: ns per correlation-robust hash (four SIMD lanes of BLAKE3), batch of 2^16.
func hashBenchmarks(_ run: (String, () -> BenchResult) -> Void) {
    run("hash.ot") {
        var g = ChaChaDRBG.fresh()
        let blocks = (0..<65536).map { _ in Block.random(&g) }
        let ns = measure(opsPerCall: 65536) { blackHole(OTHash.hash(firstTweak: 0, blocks: blocks)) }
        return BenchResult(name: "hash.ot", ns: ns, fields: [("hash", "\"BLAKE3-128\"")])
    }
}

/// `hash.lanes4` / `hash.lanes8` (BLAKE3, the OT hash) and `hash.blake2s.lanes4` / `...8`: ns
/// per hash of the SIMD compression alone, one core.
func hash8Benchmark(_ run: (String, () -> BenchResult) -> Void) {
    typealias Lanes = (UnsafePointer<UInt32>, Int, UnsafeMutablePointer<UInt32>) -> Void
    let variants: [(String, Int, Lanes)] = [
        ("hash.lanes8", 8, { BLAKE3.hashBlocks8($0, length: $1, into: $2) }),
        ("hash.lanes4", 4, { BLAKE3.hashBlocks4($0, length: $1, into: $2) }),
        ("hash.blake2s.lanes8", 8, { BLAKE2s.hashBlocks8($0, length: $1, into: $2) }),
        ("hash.blake2s.lanes4", 4, { BLAKE2s.hashBlocks4($0, length: $1, into: $2) }),
    ]
    for (name, width, lanes) in variants {
        run(name) {
            var words = [UInt32](repeating: 1, count: 16 * width)
            var out = [UInt32](repeating: 0, count: 4 * width)
            let ns = words.withUnsafeMutableBufferPointer { w in
                out.withUnsafeMutableBufferPointer { o in
                    measure(opsPerCall: Double(width)) { lanes(UnsafePointer(w.baseAddress!), 24, o.baseAddress!) }
                }
            }
            return BenchResult(name: name, ns: ns)
        }
    }
}

/// A buffer allocated once and written by one party's thread per sample.
final class OutputBuffer<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T>
    init(count: Int) { buffer = .allocate(capacity: count) }
    deinit { buffer.deallocate() }
}
