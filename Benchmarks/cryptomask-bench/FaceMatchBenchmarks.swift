import Dispatch
import FaceMatch
import RingArithmetic
import SecureCompare

/// `facematch.query --n N --d D [--blocks B]`: one whole query, both parties in this process
/// over the in-memory channel, after session setup. Reports seconds (client wall clock of the
/// query), server and client busy seconds, bytes up/down, HE and comparison bytes.
func faceMatchBenchmarks(_ run: (String, () -> BenchResult) -> Void, options: BenchOptions) throws {
    run("facematch.query") {
        let n = Int(options.values["n"] ?? "65536") ?? 65536
        let d = Int(options.values["d"] ?? "512") ?? 512
        var g = ChaChaDRBG.fresh()
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
        let prep = setupClock.measure { serverBox = try? MatchServer(database: db, parameters: params, layout: layout) }
        guard let server = serverBox else { return BenchResult(name: "facematch.query", ns: -1, fields: [("error", "\"server setup failed\"")]) }
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
        ])
    }
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
