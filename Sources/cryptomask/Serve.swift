import Dispatch
import FaceMatch
import SecureCompare
import Synchronization

enum Serve {
    static let help = """
        usage: cryptomask serve --db FILE --port P [--host 127.0.0.1] --threshold T [--max-sessions K]

        Loads FILE and answers private queries on HOST:PORT until stopped. A probe matches when
        its cosine similarity to some template is at least T (0.05 ... 0.99). Sessions run
        concurrently (at most K, default 8); each session's outcome is logged on stderr without
        any query data. Port 0 picks a free port (the log line shows which).
        """

    static func run(_ args: [String]) throws {
        let o = try Options(args, valued: ["db", "port", "host", "threshold", "max-sessions"])
        if o.help { print(help); return }
        let path = try o.required("db")
        let port = try o.int("port")
        guard port >= 0, port <= 65535 else { throw CLIError("--port must be 0 ... 65535") }
        let host = o.values["host"] ?? "127.0.0.1"
        let threshold = try o.double("threshold")
        let maxSessions = try o.int("max-sessions", default: 8)
        guard maxSessions >= 1 else { throw CLIError("--max-sessions must be at least 1") }
        Console.progress("loading \(path)")
        let contents = try DatabaseFile.load(path: path)
        let params = try MatchParameters(dimension: contents.database.dimension, threshold: threshold)
        Console.progress("preparing \(contents.database.count) templates")
        let server = try MatchServer(database: contents.database, parameters: params)
        Console.endProgress()
        let listener = try TCPListener(host: host, port: port)
        Console.error("cryptomask: serving \(contents.database.count) templates (d = \(params.dimension), layout \(server.layout), N = \(server.layout.degree)) on \(host):\(listener.port)")
        try acceptLoop(listener, server: server, maxSessions: maxSessions)
    }

    /// Accepts connections forever; each session runs on its own thread and only logs.
    static func acceptLoop(_ listener: TCPListener, server: MatchServer, maxSessions: Int) throws {
        let slots = DispatchSemaphore(value: maxSessions)
        let counter = Mutex(0)
        while true {
            slots.wait()
            let channel: TCPChannel
            do { channel = try listener.accept() } catch {
                slots.signal()
                Console.error("cryptomask: accept failed: \(describe(error))")
                continue
            }
            let id = counter.withLock { $0 += 1; return $0 }
            DispatchQueue.global().async {
                defer { slots.signal(); channel.close() }
                let clock = ContinuousClock()
                let start = clock.now
                let outcome: String
                do {
                    let queries = try server.serve(channel: channel)
                    outcome = "ok, \(queries) quer\(queries == 1 ? "y" : "ies")"
                } catch {
                    outcome = "ended: \(describe(error))"
                }
                let s = channel.statistics
                let t = clock.now - start
                let secs = Double(t.components.seconds) + Double(t.components.attoseconds) * 1e-18
                Console.error("cryptomask: session \(id) from \(channel.peer): \(outcome); sent \(Console.megabytes(s.bytesSent)), received \(Console.megabytes(s.bytesReceived)), \(Console.seconds(secs))")
            }
        }
    }
}
