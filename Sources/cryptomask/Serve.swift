#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import FaceMatch
import SecureCompare
import Synchronization

enum Serve {
    static let help = """
        usage: cryptomask serve --db FILE --port P [--host 127.0.0.1] --threshold T [--max-sessions K]
                                [--drain-seconds S] [--reload-interval S] [--cache-memory BYTES|auto]

        Loads FILE and answers private queries on HOST:PORT until stopped. A probe matches when
        its cosine similarity to some template is at least T (0.05 ... 0.99). Sessions run
        concurrently (at most K, default 8); each session's outcome is logged on stderr without
        any query data. Port 0 picks a free port (the log line shows which).

        FILE is served through a read-only memory map (the templates stay in the page cache).
        The plaintexts derived from it are cached up to --cache-memory bytes (suffixes K, M, G;
        default auto: half the physical memory); results beyond the cache are rebuilt per query.
        The log says how much is cached.

        The server follows FILE: SIGHUP reloads it at once, and it checks for changes every S
        seconds (--reload-interval, default 2) and whenever a session starts, so a new session
        sees new rows and removals; each session keeps one consistent snapshot. SIGTERM or SIGINT
        stops accepting, lets running sessions finish for up to S seconds (--drain-seconds,
        default 30), logs one line and exits 0.
        """

    static func run(_ args: [String]) throws {
        let o = try Options(args, valued: ["db", "port", "host", "threshold", "max-sessions", "drain-seconds", "reload-interval", "cache-memory"])
        if o.help { print(help); return }
        let path = try o.required("db")
        let port = try o.int("port")
        guard port >= 0, port <= 65535 else { throw CLIError("--port must be 0 ... 65535") }
        let host = o.values["host"] ?? "127.0.0.1"
        let threshold = try o.double("threshold")
        _ = try MatchParameters(dimension: 1, threshold: threshold)  // the threshold's range, before loading
        let maxSessions = try o.int("max-sessions", default: 8)
        guard maxSessions >= 1 else { throw CLIError("--max-sessions must be at least 1") }
        let drain = try o.double("drain-seconds", default: 30)
        let interval = try o.double("reload-interval", default: 2)
        guard drain >= 0, interval > 0 else { throw CLIError("--drain-seconds must be >= 0 and --reload-interval > 0") }
        Console.progress("loading \(path)")
        let cache = try o.values["cache-memory"].flatMap { $0 == "auto" ? nil : try Options.bytes($0, option: "cache-memory") }
        let served = try ServedDatabase(path: path, threshold: threshold, cacheBudget: cache)
        let listener = try TCPListener(host: host, port: port)
        let server = served.current!
        Console.log("serving \(server.templateCount) templates (d = \(server.parameters.dimension), layout \(server.layout), N = \(server.layout.degree)) on \(host):\(listener.port)")
        let stop = StopRequest()
        ServerSignals.start { sig in
            if sig == SIGHUP {
                served.reload(reason: "SIGHUP", waitForWriter: true, force: true)
            } else {
                stop.request(sig)
            }
        }
        served.startPolling(every: interval)
        let sessions = try acceptLoop(listener, served: served, maxSessions: maxSessions, stop: stop)
        let sig = stop.signal
        let finished = sessions.wait(timeout: .now() + drain) == .success
        Console.log("stopped on \(ServerSignals.name(sig)): no longer accepting; " + (finished
            ? "every running session finished"
            : "sessions still running after \(drain) s were cut"))
    }

    /// Accepts connections until `stop` is set; each session runs on its own thread and only
    /// logs. Returns the group of sessions still running.
    static func acceptLoop(_ listener: TCPListener, served: ServedDatabase, maxSessions: Int, stop: StopRequest) throws -> DispatchGroup {
        let slots = DispatchSemaphore(value: maxSessions)
        let counter = Mutex(0)
        let sessions = DispatchGroup()
        defer { listener.close() }
        while stop.signal == 0 {
            guard listener.waitForConnection(milliseconds: 200) else { continue }
            while slots.wait(timeout: .now() + .milliseconds(200)) == .timedOut {
                if stop.signal != 0 { return sessions }
            }
            let channel: TCPChannel
            do { channel = try listener.accept() } catch {
                slots.signal()
                Console.log("accept failed: \(describe(error))")
                continue
            }
            let id = counter.withLock { $0 += 1; return $0 }
            sessions.enter()
            DispatchQueue.global().async {
                defer { slots.signal(); channel.close(); sessions.leave() }
                let clock = ContinuousClock()
                let start = clock.now
                let outcome: String
                switch served.snapshot() {
                case .failure(let error):
                    try? channel.send(.error, Array(describe(error).utf8))
                    outcome = "refused: \(describe(error))"
                case .success(let server):
                    do {
                        let queries = try server.serve(channel: channel)
                        outcome = "ok, \(queries) quer\(queries == 1 ? "y" : "ies")"
                    } catch {
                        outcome = "ended: \(describe(error))"
                    }
                }
                let s = channel.statistics
                let t = clock.now - start
                let secs = Double(t.components.seconds) + Double(t.components.attoseconds) * 1e-18
                Console.log("session \(id) from \(channel.peer): \(outcome); sent \(Console.megabytes(s.bytesSent)), received \(Console.megabytes(s.bytesReceived)), \(Console.seconds(secs))")
            }
        }
        return sessions
    }
}

/// The signal that asked the server to stop (0 while running).
final class StopRequest: Sendable {
    private let value = Atomic<Int32>(0)
    var signal: Int32 { value.load(ordering: .acquiring) }
    func request(_ sig: Int32) { value.store(sig, ordering: .releasing) }
}
