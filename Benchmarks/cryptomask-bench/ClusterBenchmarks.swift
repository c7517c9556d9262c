import Dispatch
import FaceMatch
import RingArithmetic
import SecureCompare
import Synchronization

/// `cluster.query --shard-files A,B,... [--cache BYTES] [--repeat R]`: a front and one shard per
/// file, all in this process on loopback TCP (local shards), one verifier over TCP. Reports the
/// median query's seconds at the verifier, each shard's evaluation seconds and traffic with the
/// front, the front's merge and comparison seconds, and the verifier's bytes.
func clusterBenchmarks(_ run: (String, () -> BenchResult) -> Void, options: BenchOptions) {
    // It needs shard files: the full run without filters leaves it out unless they are given.
    guard options.values["shard-files"] != nil || !options.filters.isEmpty else { return }
    run("cluster.query") {
        guard let files = options.values["shard-files"]?.split(separator: ",").map(String.init) else {
            return BenchResult(name: "cluster.query", ns: -1, fields: [("error", "\"--shard-files A,B,... is required\"")])
        }
        do {
            return try clusterQuery(files: files, cache: options.values["cache"].flatMap { Int($0) },
                                    repeats: Int(options.values["repeat"] ?? "3") ?? 3)
        } catch {
            return BenchResult(name: "cluster.query", ns: -1, fields: [("error", "\"\(error)\"")])
        }
    }
}

private func clusterQuery(files: [String], cache: Int?, repeats: Int) throws -> BenchResult {
    let key = try ClusterKey(bytes: (0..<32).map { _ in UInt8.random(in: 0 ... 255) })
    var c = SessionHost.Configuration()
    c.queriesPerMinute = nil
    c.limits.idle = 3_600
    c.limits.response = 3_600
    var hosts: [SessionHost] = []
    var addresses: [ShardAddress] = []
    var d = 0
    for file in files {
        let mapped = try MappedTemplates(path: file)
        d = mapped.dimension
        let shard = try ShardServer(mapped: mapped, key: key, memoryBudget: cache.map { $0 / files.count })
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        addresses.append(ShardAddress(host: "127.0.0.1", port: listener.port))
        hosts.append(SessionHost(listener: listener, configuration: c, log: { _ in }, audit: { _ in }, server: { shard }))
    }
    let reports = Mutex<[ClusterQueryReport]>([])
    let front = try FrontServer(shards: addresses, key: key, threshold: 0.6, timeout: 3_600, report: { r in reports.withLock { $0.append(r) } })
    let listener = try TCPListener(host: "127.0.0.1", port: 0)
    hosts.append(SessionHost(listener: listener, configuration: c, log: { _ in }, audit: { _ in }, server: { front }))
    for h in hosts { DispatchQueue.global().async { h.run() } }
    defer { for h in hosts { h.stop() } }
    let clock = ContinuousClock()
    var plan: ClusterPlan?
    let prepare = try clock.measure { plan = try front.prepare() }
    let channel = try TCPChannel.connect(host: "127.0.0.1", port: listener.port, timeoutSeconds: 3_600)
    defer { channel.close() }
    let client = MatchClient(channel: channel, dimension: d)
    try client.connect()
    var g = ChaChaDRBG.fresh()
    let probe = (0..<d).map { _ in Double(Int(g.next() % 200)) - 100 }
    var results: [MatchResult] = []
    for _ in 0..<max(1, repeats) { results.append(try client.query(probe)) }
    try client.close()
    let all = reports.withLock { $0 }
    let order = results.indices.sorted { results[$0].statistics.seconds < results[$1].statistics.seconds }
    let m = order[order.count / 2]
    let s = results[m].statistics, r = all[min(m, all.count - 1)]
    func list(_ v: [Double]) -> String { "[" + v.map(format).joined(separator: ",") + "]" }
    return BenchResult(name: "cluster.query", ns: s.seconds * 1e9, fields: [
        ("n", "\(plan!.templates)"), ("shards", "\(files.count)"), ("counts", "\"\(plan!.counts.map(String.init).joined(separator: "+"))\""),
        ("layout", "\"\(plan!.layout)\""), ("queries", "\(results.count)"), ("seconds", format(s.seconds)),
        ("shardSeconds", list(r.shardSeconds)), ("shardBytes", "[" + r.shardBytes.map(String.init).joined(separator: ",") + "]"),
        ("mergeSeconds", format(r.mergeSeconds)), ("resultSeconds", format(r.resultSeconds)), ("compareSeconds", format(r.compareSeconds)),
        ("bytesUp", "\(s.bytesSent)"), ("bytesDown", "\(s.bytesReceived)"),
        ("prepareSeconds", format(Double(prepare.components.seconds) + Double(prepare.components.attoseconds) * 1e-18)),
    ])
}
