import Dispatch
import Synchronization
import FaceMatch
import RingArithmetic
import SecureCompare

/// `facematch.query --n N --d D [--blocks B] [--cache BYTES] [--db FILE] [--concurrent K]`: one
/// whole query, both parties in this process over the in-memory channel, after session setup.
/// Reports seconds (client wall clock of the query), server and client busy seconds, bytes
/// up/down, HE and comparison bytes. `--cache` sets the plaintext cache budget (default: the
/// machine-sized one); `--db` serves a database file through the memory map instead of random
/// templates; `--concurrent K` runs K verifiers at once (each `--repeat` queries) and reports
/// queries per minute.
func faceMatchBenchmarks(_ run: (String, () -> BenchResult) -> Void, options: BenchOptions) throws {
    run("facematch.query") {
        var g = ChaChaDRBG.fresh()
        let cache = options.values["cache"].flatMap { Int($0) }
        let concurrent = max(1, Int(options.values["concurrent"] ?? "1") ?? 1)
        if let path = options.values["db"] {
            do {
                let mapped = try MappedTemplates(path: path)
                let params = try MatchParameters(dimension: mapped.dimension, threshold: 0.6)
                let clock = ContinuousClock()
                var serverBox: MatchServer?
                let prep = try clock.measure { serverBox = try MatchServer(mapped: mapped, parameters: params, memoryBudget: cache) }
                return queries(serverBox!, d: mapped.dimension, prepare: prep, concurrent: concurrent, options: options, &g)
            } catch {
                return BenchResult(name: "facematch.query", ns: -1, fields: [("error", "\"\(error)\"")])
            }
        }
        let n = Int(options.values["n"] ?? "65536") ?? 65536
        let d = Int(options.values["d"] ?? "512") ?? 512
        var db = (try? FaceDatabase(dimension: d))!
        db.reserve(n)
        // Random int8 templates within the norm bound: uniform in -s ... s has E[y^2] = s(s+1)/3,
        // so s(s+1) <= 0.9 * 3 * 128^2 / d keeps the norm near what quantized unit vectors have.
        var spread = 1
        while (spread + 1) * (spread + 2) * d <= 44_236 { spread += 1 }
        for i in 0..<n {
            let t = (0..<d).map { _ in Int8(Int(g.next() % UInt64(2 * spread + 1)) - spread) }
            try? db.append(id: UInt64(i), template: t)
        }
        let params = (try? MatchParameters(dimension: d, threshold: 0.6))!
        let layout = options.values["blocks"].flatMap { Int($0) }.flatMap { try? Layout(blocks: $0, dimension: d, degree: 4096) }
        let setupClock = ContinuousClock()
        var serverBox: MatchServer?
        let prep = setupClock.measure { serverBox = try? MatchServer(database: db, parameters: params, layout: layout, memoryBudget: cache) }
        guard let server = serverBox else { return BenchResult(name: "facematch.query", ns: -1, fields: [("error", "\"server setup failed\"")]) }
        return queries(server, d: d, prepare: prep, concurrent: concurrent, options: options, &g)
    }
}

/// Runs the queries of `facematch.query` against `server`.
func queries(_ server: MatchServer, d: Int, prepare prep: Duration, concurrent: Int, options: BenchOptions, _ g: inout ChaChaDRBG) -> BenchResult {
        let n = server.templateCount
        if concurrent > 1 { return concurrentQueries(server, d: d, verifiers: concurrent, options: options) }
        let (cs, cc) = InMemoryChannel.pair()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { _ = try? server.serve(channel: cs) }
        let client = MatchClient(channel: cc, dimension: d)
        try? client.connect()
        let probe = (0..<d).map { _ in Double(Int(g.next() % 200)) - 100 }
        // Several queries in one session; the median query is reported.
        let repeats = Int(options.values["repeat"] ?? "3") ?? 3
        var results: [MatchResult] = []
        var cpu: [Double] = [], serverBusy: [Double] = [], clientBusy: [Double] = []
        for _ in 0..<max(1, repeats) {
            let before = processCPUSeconds()
            let waitS = cs.statistics.waitingSeconds, waitC = cc.statistics.waitingSeconds
            guard let r = try? client.query(probe) else { break }
            cpu.append(processCPUSeconds() - before)
            // Busy time of each party: the query's wall time minus the time it waited for the peer.
            serverBusy.append(r.statistics.seconds - (cs.statistics.waitingSeconds - waitS))
            clientBusy.append(r.statistics.seconds - (cc.statistics.waitingSeconds - waitC))
            results.append(r)
        }
        try? client.close()
        group.wait()
        guard !results.isEmpty else { return BenchResult(name: "facematch.query", ns: -1, fields: [("error", "\"query failed\"")]) }
        let order = results.indices.sorted { results[$0].statistics.seconds < results[$1].statistics.seconds }
        let median = order[order.count / 2]
        let s = results[median].statistics
        let cpuAfter = cpu[median], cpuBefore = 0.0
        return BenchResult(name: "facematch.query", ns: s.seconds * 1e9, fields: [
            ("n", "\(n)"), ("d", "\(d)"), ("queries", "\(results.count)"), ("layout", "\"\(server.layout)\""), ("seconds", format(s.seconds)),
            ("serverSeconds", format(max(0, serverBusy[median]))), ("clientSeconds", format(max(0, clientBusy[median]))),
            ("cpuSeconds", format(cpuAfter - cpuBefore)),
            ("bytesUp", "\(s.bytesSent)"), ("bytesDown", "\(s.bytesReceived)"),
            ("heBytes", "\(s.heBytes)"), ("compareBytes", "\(s.compareBytes)"),
            ("prepareSeconds", format(Double(prep.components.seconds) + Double(prep.components.attoseconds) * 1e-18)),
            ("cachedResults", "\(server.results.cached)"), ("results", "\(server.results.total)"),
        ])
}

/// `verifiers` sessions at once, each asking `--repeat` queries (after all have connected):
/// queries per minute over the whole run.
func concurrentQueries(_ server: MatchServer, d: Int, verifiers: Int, options: BenchOptions) -> BenchResult {
    let repeats = max(1, Int(options.values["repeat"] ?? "3") ?? 3)
    let group = DispatchGroup()
    var clients: [MatchClient] = []
    for _ in 0..<verifiers {
        let (cs, cc) = InMemoryChannel.pair()
        DispatchQueue.global().async(group: group) { _ = try? server.serve(channel: cs) }
        let client = MatchClient(channel: cc, dimension: d)
        try? client.connect()
        clients.append(client)
    }
    let probe = (0..<d).map { Double(($0 * 37) % 200) - 100 }
    let failures = Atomic<Int>(0)
    let boxed = clients.map { UncheckedBox($0) }
    let clock = ContinuousClock()
    let wall = clock.measure {
        DispatchQueue.concurrentPerform(iterations: verifiers) { i in
            for _ in 0..<repeats where (try? boxed[i].value.query(probe)) == nil { failures.add(1, ordering: .relaxed) }
        }
    }
    for c in clients { try? c.close() }
    group.wait()
    let seconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) * 1e-18
    let total = verifiers * repeats
    return BenchResult(name: "facematch.query", ns: seconds / Double(total) * 1e9, fields: [
        ("n", "\(server.templateCount)"), ("d", "\(d)"), ("verifiers", "\(verifiers)"), ("queries", "\(total)"),
        ("failed", "\(failures.load(ordering: .relaxed))"), ("seconds", format(seconds)),
        ("queriesPerMinute", format(Double(total) / seconds * 60)),
        ("cachedResults", "\(server.results.cached)"), ("results", "\(server.results.total)"),
    ])
}

/// A reference handed to concurrent iterations that use it one at a time each.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// User plus system CPU seconds of this process (both parties).
func processCPUSeconds() -> Double {
    var usage = rusage()
    #if canImport(Glibc)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
