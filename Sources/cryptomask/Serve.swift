#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation
import FaceMatch
import SecureCompare
import Synchronization

enum Serve {
    static let help = """
        usage: cryptomask serve --db FILE --port P [--host 127.0.0.1] --threshold T [--max-sessions K]
                                [--max-per-address A] [--rate QUERIES/MINUTE] [--queries-per-key Q]
                                [--handshake-timeout S] [--frame-timeout S] [--min-rate BYTES/S]
                                [--idle-timeout S] [--session-timeout S] [--audit-log FILE]
                                [--drain-seconds S] [--reload-interval S] [--cache-memory BYTES|auto]
               cryptomask serve --shard --db FILE --port P [--host H] [--cluster-key FILE]
                                [--cache-memory BYTES|auto] [--reload-interval S] [session limits]
               cryptomask serve --front --shards HOST:PORT,... --port P [--host H] --threshold T
                                [--cluster-key FILE] [--shard-timeout S] [session options as above]
               any of these with --check: validate the options and exit (no file, port or key is touched)

        Serves FILE and answers private queries on HOST:PORT until stopped. A probe matches when
        its cosine similarity to some template is at least T (0.05 ... 0.99). Port 0 picks a free
        port (the log line shows which).

        Sessions run concurrently, at most K (default 8) and at most A from one address
        (default 4); a connection beyond either is answered "busy" at once. Each address may ask
        at most QUERIES per minute (default 60; 'off' for no limit), and each client public key
        at most Q queries across all its connections (default: as many as its noise budget
        allows). Deadlines: the hello, key and OT setup within --handshake-timeout of connecting
        (default 10 s); every frame must start within --frame-timeout (default 30 s) and then
        arrive at --min-rate (default 32768 bytes/s); a session may wait --idle-timeout for its
        next query (default 60 s) and last --session-timeout in all (default 3600 s).

        FILE is served through a read-only memory map (the templates stay in the page cache).
        The plaintexts derived from it are cached up to --cache-memory bytes (suffixes K, M, G;
        default auto: half the physical memory); results beyond the cache are rebuilt per query.

        The server follows FILE: SIGHUP reloads it at once, and it checks for changes every S
        seconds (--reload-interval, default 2), whenever a session starts and before every
        query. Each session answers from one snapshot; once FILE has changed (new rows, a
        removal), the session's next query is refused with "the database changed" and the
        verifier reconnects (cryptomask query does so by itself), so a removed row never matches
        after its removal returned. Readers take no lock: a long enroll never delays the server. SIGTERM or SIGINT
        stops accepting, lets running sessions finish for up to S seconds (--drain-seconds,
        default 30), logs one line and exits 0.

        A cluster is one front and any number of shards (cryptomask db split makes the shard
        files). A shard serves one file to its front only: a connection must prove it holds the
        cluster key before the shard sends anything but its challenge. The front holds no
        templates, speaks to verifiers exactly as a single server of all the shards' rows would,
        and fails a query as a whole when a shard is down, answers wrongly or takes longer than
        --shard-timeout seconds for a frame (default 30, less than a verifier's default wait; the
        first session after a change waits while the shards build their caches and may need more). The cluster key (cryptomask cluster-key --out FILE)
        comes from --cluster-key FILE (mode 0600), or else the environment variable
        CRYPTOMASK_CLUSTER_KEY, never from the command line (--cluster-key wins when both are given). A shard allows 64 links at once
        (one per verifier session of the front) and no rate limit; the front applies the
        verifier-facing limits.

        stderr gets timestamped log lines and one audit line per query (time, peer, session,
        outcome; never query data); --audit-log FILE appends the audit lines there instead. A
        front also logs each query's per-shard seconds and traffic, merge and comparison time.
        """

    /// What this process serves: one database, one shard of a cluster, or a cluster's front.
    enum Role { case single, shard, front }

    static func run(_ args: [String]) throws {
        let o = try Options(args, valued: ["db", "port", "host", "threshold", "max-sessions", "max-per-address", "rate",
                                           "queries-per-key", "handshake-timeout", "frame-timeout", "min-rate",
                                           "idle-timeout", "session-timeout", "audit-log", "drain-seconds", "reload-interval",
                                           "cache-memory", "shards", "cluster-key", "shard-timeout"],
                            boolean: ["shard", "front", "check"])
        if o.help { print(help); return }
        let role: Role
        switch (o.flag("shard"), o.flag("front")) {
        case (true, true): throw CLIError("--shard and --front exclude each other", usage: true)
        case (true, false): role = .shard
        case (false, true): role = .front
        case (false, false): role = .single
        }
        // Each role's options; anything else is a mistake worth an error, not silence.
        let foreign: [String]
        switch role {
        case .single: foreign = ["shards", "cluster-key", "shard-timeout"]
        case .shard: foreign = ["threshold", "shards", "shard-timeout", "queries-per-key", "rate"]
        case .front: foreign = ["db", "cache-memory", "reload-interval"]
        }
        if let bad = foreign.first(where: { o.values[$0] != nil }) {
            throw CLIError("--\(bad) does not apply to \(role == .single ? "a single server" : role == .shard ? "a shard (set it on the front, which sets the threshold and the verifiers' limits)" : "a front (it holds no templates)")", usage: true)
        }
        let port = try o.int("port")
        guard port >= 0, port <= 65535 else { throw CLIError("--port must be 0 ... 65535", usage: true) }
        let host = o.values["host"] ?? "127.0.0.1"
        let threshold = role == .shard ? 0.5 : try o.double("threshold")
        _ = try MatchParameters(dimension: 1, threshold: threshold)  // the threshold's range, before loading
        var configuration = try hostConfiguration(o, role: role)
        let queriesPerKey = try o.values["queries-per-key"].map { _ in try o.int("queries-per-key") }
        if let q = queriesPerKey, q < 1 { throw CLIError("--queries-per-key must be at least 1", usage: true) }
        let drain = try o.double("drain-seconds", default: 30)
        let interval = try o.double("reload-interval", default: 2)
        guard drain >= 0 else { throw CLIError("--drain-seconds must be at least 0", usage: true) }
        guard interval > 0 else { throw CLIError("--reload-interval must be more than 0 seconds", usage: true) }
        let cache = try o.values["cache-memory"].flatMap { $0 == "auto" ? nil : try Options.bytes($0, option: "cache-memory") }
        let shardTimeout = try o.double("shard-timeout", default: 30)
        guard shardTimeout > 0 else { throw CLIError("--shard-timeout must be more than 0 seconds", usage: true) }
        let path = role == .front ? "" : try o.required("db")
        let shards = role == .front ? try (o.required("shards")).split(separator: ",", omittingEmptySubsequences: false).map { try parseAddress(String($0), option: "shards") } : []
        if let twice = shards.first(where: { a in shards.filter { $0 == a }.count > 1 }) {
            throw CLIError("--shards lists \(twice) twice", usage: true)
        }
        if role != .single && o.values["cluster-key"] == nil && getenv(ClusterKey.environmentVariable) == nil {
            throw CLIError("a \(role == .shard ? "shard" : "front") needs the cluster key: --cluster-key FILE or the environment variable \(ClusterKey.environmentVariable)", usage: true)
        }
        if o.flag("check") {
            // Syntax and ranges only: no file is opened, no port bound, no key read.
            print("configuration ok: \(role == .single ? "server" : role == .shard ? "shard" : "front of \(shards.count) shard\(shards.count == 1 ? "" : "s")") on \(host):\(port)")
            return
        }
        let key = role == .single ? nil : try loadClusterKey(o)
        if let key { Console.log("cluster key fingerprint \(key.fingerprint) (every process of the cluster must show the same)") }
        let auditFile = try o.values["audit-log"].map { try AuditFile(path: $0) }
        let audit: (@Sendable (String) -> Void)?
        if let f = auditFile { audit = { f.append($0) } } else { audit = nil }
        // Bind first: a port in use fails at once, before a large cache is built.
        let listener = try TCPListener(host: host, port: port)
        let address = "\(host.contains(":") ? "[\(host)]" : host):\(listener.port)"
        let service: @Sendable () throws(FaceMatchError) -> any MatchService
        let isCurrent: @Sendable (any MatchService) -> Bool
        let served: ServedDatabase?
        switch role {
        case .single, .shard:
            Console.progress("loading \(path)")
            let make: ServedDatabase.Make = role == .single
                ? ServedDatabase.matchServer(threshold: threshold, cacheBudget: cache, queriesPerKey: queriesPerKey)
                : ServedDatabase.shardServer(key: key!, cacheBudget: cache)
            let database = try ServedDatabase(path: path, allowsEmpty: role == .shard, make: make)
            served = database
            service = { () throws(FaceMatchError) in try database.snapshot().get() }
            isCurrent = { database.isCurrent($0) }
            if let server = database.current as? MatchServer {
                Console.log("serving \(server.templateCount) templates (d = \(server.parameters.dimension), layout \(server.layout), N = \(server.layout.degree), \(server.queriesPerKey) queries per key) on \(address)")
            } else if let shard = database.current as? ShardServer {
                Console.log("shard serving \(shard.templateCount) templates of \(path) to its front on \(address) (the front's layout is prepared when it first connects)")
            }
        case .front:
            let front = try FrontServer(shards: shards, key: key!, threshold: threshold, timeout: shardTimeout, queriesPerKey: queriesPerKey,
                                        report: { r in
                let shardsText = zip(r.shardSeconds, r.shardBytes).map { "\(Console.seconds($0))/\(Console.megabytes($1))" }.joined(separator: ", ")
                Console.log("query: shards (evaluation, traffic) \(shardsText); merge \(Console.seconds(r.mergeSeconds)); results sent after \(Console.seconds(r.resultSeconds)); comparison \(Console.seconds(r.compareSeconds))")
            })
            // The shards prepare the cluster's layout in the background (a signal stops the
            // front at once meanwhile); a shard that is not up yet is tried again by every session.
            Console.log("front on \(address): connecting to \(shards.count) shard\(shards.count == 1 ? "" : "s")")
            let preparing = Thread {
                do {
                    let plan = try front.prepare()
                    Console.log("front serving \(plan.templates) templates from \(shards.count) shard\(shards.count == 1 ? "" : "s") (\(plan.counts.map(String.init).joined(separator: " + ")); layout \(plan.layout), N = \(plan.layout.degree), \(front.queriesPerKey) queries per key) on \(address)")
                } catch {
                    Console.log("front on \(address): \(error); each session tries the shards again")
                }
            }
            preparing.start()
            service = { front }
            isCurrent = { _ in true }
            served = nil
        }
        if role == .shard {
            // The front is one address asking for all its verifiers: limits fit the front.
            configuration.queriesPerMinute = nil
        }
        let sessions = SessionHost(listener: listener, configuration: configuration,
                                   log: { Console.error($0) },
                                   audit: audit ?? { Console.error($0) },
                                   server: service, isCurrent: isCurrent)
        let stop = StopRequest()
        ServerSignals.start { sig in
            if sig == SIGHUP {
                // Log rotation: the audit log is reopened at its path.
                auditFile?.reopen()
                served?.reload(reason: "SIGHUP", force: true)
            } else if stop.request(sig) {
                sessions.stop()
            }
        }
        served?.startPolling(every: interval)
        sessions.run()
        // Stopped by a signal: running sessions get the drain time.
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int(drain * 1000))
        while sessions.activeSessions > 0 && clock.now < deadline { usleep(20_000) }
        let left = sessions.activeSessions
        Console.log("stopped on \(ServerSignals.name(stop.signal)): no longer accepting; " + (left == 0
            ? "every running session finished"
            : "\(left) session\(left == 1 ? "" : "s") still running after \(drain) s were cut"))
    }

    /// `HOST:PORT` from an option (a usage error when malformed).
    static func parseAddress(_ text: String, option: String) throws -> ShardAddress {
        do { return try ShardAddress(text) } catch { throw CLIError("--\(option): \(error.reason)", usage: true) }
    }

    /// The cluster key from `--cluster-key FILE` or the environment (never from the command line).
    static func loadClusterKey(_ o: Options) throws -> ClusterKey {
        if let path = o.values["cluster-key"] { return try ClusterKey.load(path: path) }
        guard let key = try ClusterKey.fromEnvironment() else {
            throw CLIError("no cluster key: --cluster-key FILE or the environment variable \(ClusterKey.environmentVariable)")
        }
        return key
    }

    /// The session limits from the options (each positive; defaults in `SessionHost.Configuration`).
    static func hostConfiguration(_ o: Options, role: Role = .single) throws -> SessionHost.Configuration {
        var c = SessionHost.Configuration()
        if role == .shard {
            // One link per verifier session of the front, all from the front's address.
            c.maxSessions = 64
            c.maxPerAddress = 64
            c.limits.idle = 3_600
        }
        c.maxSessions = try o.int("max-sessions", default: c.maxSessions)
        guard c.maxSessions >= 1 else { throw CLIError("--max-sessions must be at least 1", usage: true) }
        c.maxPerAddress = try o.int("max-per-address", default: c.maxPerAddress)
        guard c.maxPerAddress >= 1 else { throw CLIError("--max-per-address must be at least 1", usage: true) }
        if let r = o.values["rate"] {
            if r == "off" { c.queriesPerMinute = nil } else {
                guard let v = Double(r), v.isFinite, v > 0 else { throw CLIError("--rate must be a positive number of queries per minute or 'off', got '\(r)'", usage: true) }
                c.queriesPerMinute = v
            }
        }
        func seconds(_ name: String, _ current: Double) throws -> Double {
            guard let s = o.values[name] else { return current }
            guard let v = Double(s), v.isFinite, v > 0 else { throw CLIError("--\(name) must be a positive number, got '\(s)'", usage: true) }
            return v
        }
        c.limits.handshake = try seconds("handshake-timeout", c.limits.handshake)
        c.limits.response = try seconds("frame-timeout", c.limits.response)
        c.limits.minimumRate = try seconds("min-rate", c.limits.minimumRate)
        c.limits.idle = try seconds("idle-timeout", c.limits.idle)
        c.limits.session = try seconds("session-timeout", c.limits.session)
        return c
    }
}

/// The signal that asked the server to stop (0 while running).
final class StopRequest: Sendable {
    private let value = Atomic<Int32>(0)
    var signal: Int32 { value.load(ordering: .acquiring) }
    /// Records `sig`; true for the first request only.
    func request(_ sig: Int32) -> Bool { value.compareExchange(expected: 0, desired: sig, ordering: .acquiringAndReleasing).exchanged }
}

/// The `--audit-log` file: created with mode 0600, one `write` per line (O_APPEND), reopened at
/// its path on SIGHUP so log rotation (rename, then SIGHUP) works.
final class AuditFile: Sendable {
    let path: String
    private let fd: Mutex<Int32>

    init(path: String) throws {
        self.path = path
        let fd = AuditFile.open(path)
        guard fd >= 0 else { throw CLIError("cannot open --audit-log \(path): \(String(cString: strerror(errno)))") }
        self.fd = Mutex(fd)
    }

    static func open(_ path: String) -> Int32 { Glibc_open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600) }

    func append(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        fd.withLock { fd in _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress!, bytes.count) } }
    }

    func reopen() {
        let new = AuditFile.open(path)
        guard new >= 0 else {
            Console.log("cannot reopen --audit-log \(path): \(String(cString: strerror(errno))); still writing to the old file")
            return
        }
        fd.withLock { fd in close(fd); fd = new }
    }
}

@inline(__always) private func Glibc_open(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 {
    open(path, flags, mode)
}
