#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import SecureCompare
import Synchronization

/// Runs a `MatchServer` on a TCP listener for untrusted verifiers:
/// - accepts always: a connection beyond `maxSessions` or `maxPerAddress` gets a short "busy"
///   error frame at once and is closed, instead of waiting in the kernel's queue;
/// - each admitted session runs on a dedicated thread under `SessionLimits` deadlines and
///   per-stage frame limits, so slow or stalled peers never occupy the Dispatch pool that runs
///   the evaluation and the comparison;
/// - a rate limit per verifier address (`queriesPerMinute`), a target budget per public key
///   across connections (`KeyBudget`), and one audit line per query (time, peer, session,
///   outcome; never query data).
public final class SessionHost: Sendable {
    /// The host's limits.
    public struct Configuration: Sendable {
        /// Session deadlines (see `SessionLimits`).
        public var limits = SessionLimits()
        /// Sessions at once (default 8).
        public var maxSessions = 8
        /// Sessions at once from one address (default 4).
        public var maxPerAddress = 4
        /// Queries per minute per verifier address (default 60; `nil`: no limit).
        public var queriesPerMinute: Double? = 60
        /// Public-key fingerprints remembered for the per-key budget (default 65,536).
        public var keyMemory = 65_536
        /// The defaults above.
        public init() {}
    }

    let listener: TCPListener
    let server: @Sendable () throws(FaceMatchError) -> any MatchService
    let isCurrent: @Sendable (any MatchService) -> Bool
    let configuration: Configuration
    let admission: AdmissionControl
    let rate: RateLimiter?
    let keys: KeyBudget
    let log: @Sendable (String) -> Void
    let audit: @Sendable (String) -> Void
    let counter = Mutex(0)
    let stopped = Mutex(false)
    let rejected = Mutex<[(channel: TCPChannel, until: ContinuousClock.Instant)]>([])
    let rejectedSignal = DispatchSemaphore(value: 0)

    /// A host for the sessions of `server()` (asked once per session, so a caller may swap the
    /// server, e.g. after reloading the database; when it throws, the session is refused with
    /// the error's text). Before each query `isCurrent(server)` is asked: when the session's
    /// server is no longer current (the database changed), the query is refused with
    /// `MatchServer.databaseChangedMessage` and the verifier reconnects to the current one. `log` receives operational lines and `audit`
    /// the per-query lines, each without its timestamp prefix already added.
    public init(listener: TCPListener, configuration: Configuration, log: @escaping @Sendable (String) -> Void,
                audit: @escaping @Sendable (String) -> Void, server: @escaping @Sendable () throws(FaceMatchError) -> any MatchService,
                isCurrent: @escaping @Sendable (any MatchService) -> Bool = { _ in true }) {
        self.listener = listener
        self.server = server
        self.isCurrent = isCurrent
        self.configuration = configuration
        self.admission = AdmissionControl(maxSessions: configuration.maxSessions, maxPerAddress: configuration.maxPerAddress)
        self.rate = configuration.queriesPerMinute.map { RateLimiter(perMinute: $0) }
        self.keys = KeyBudget(capacity: configuration.keyMemory)
        self.log = { line in log("\(LogLine.timestamp()) \(line)") }
        self.audit = { line in audit("\(LogLine.timestamp()) audit \(line)") }
    }

    /// Accepts connections until `stop()`; sessions already running continue (see
    /// `activeSessions`).
    public func run() {
        DedicatedThread.start { [self] in lingerRejected() }
        var failures = 0
        while true {
            let channel: TCPChannel
            do {
                channel = try listener.accept(limits: configuration.limits)
                failures = 0
            } catch {
                if stopped.withLock({ $0 }) { return }
                // E.g. out of file descriptors: back off instead of spinning, never exit for it.
                failures += 1
                log("accept failed: \(error)")
                usleep(UInt32(min(1_000_000, 10_000 * failures)))
                continue
            }
            let address = channel.peerHost
            if let reason = admission.admit(address) {
                reject(channel, reason)
                continue
            }
            let id = counter.withLock { $0 += 1; return $0 }
            let started = DedicatedThread.start { [self] in
                defer { admission.release(address); channel.close() }
                runSession(channel, id: id)
            }
            if !started {
                admission.release(address)
                reject(channel, "busy: the server cannot start a session now; retry shortly")
            }
        }
    }

    /// Stops accepting: `run()` returns. Running sessions are not interrupted; their deadlines
    /// bound how long they last.
    public func stop() {
        stopped.withLock { $0 = true }
        // Wakes a thread blocked in accept (closing the descriptor alone does not on Linux).
        shutdown(listener.fd, Int32(SHUT_RDWR))
    }

    /// Sessions running now.
    public var activeSessions: Int { admission.active }

    /// One session, logged when it ends.
    func runSession(_ channel: TCPChannel, id: Int) {
        let clock = ContinuousClock()
        let start = clock.now
        let server: any MatchService
        do { server = try self.server() } catch {
            log("session \(id) from \(channel.peer): refused: \(error)")
            answerAndLinger(channel, "\(error)")
            return
        }
        let policy = HostPolicy(host: self, server: server, peer: channel.peer, address: channel.peerHost, session: id)
        let outcome: String
        do {
            let queries = try server.serve(channel: channel, randomness: .system, policy: policy)
            outcome = "ok, \(queries) quer\(queries == 1 ? "y" : "ies")"
        } catch {
            outcome = "ended: \(SessionHost.describe(error))"
        }
        let s = channel.statistics
        let t = clock.now - start
        let seconds = Double(t.components.seconds) + Double(t.components.attoseconds) * 1e-18
        log("session \(id) from \(channel.peer): \(outcome); sent \(s.bytesSent) B, received \(s.bytesReceived) B, \((seconds * 100).rounded() / 100) s")
    }

    /// One line for a session's error; text from the peer is escaped, capped and labelled.
    static func describe(_ error: FaceMatchError) -> String {
        switch error {
        case .peerError(let text), .secureCompare(.peerError(let text)): return "the client's error message: \(LogLine.peerText(text))"
        case .refused(let text): return "refused: \(text)"
        case .secureCompare(.channelClosed): return "connection closed by the client"
        case .secureCompare(.transport(let text)): return text
        case .secureCompare(.frameTooLarge(let n)): return "refused a frame of \(n) bytes (above this stage's limit)"
        default: return "\(error)"
        }
    }
}
