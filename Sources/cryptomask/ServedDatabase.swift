import FaceMatch
import Foundation
import Synchronization

/// The database a running server answers from. Each session takes one immutable snapshot (a
/// `MatchServer`) when it starts; a new snapshot replaces it when the file changes: on SIGHUP,
/// when the poller notices a change, and when a session starts and finds the file changed
/// (so a removal that has returned is never matched by a session that starts after it).
final class ServedDatabase: Sendable {
    let path: String
    /// Builds the service for a snapshot of the file (a `MatchServer`, or a `ShardServer` in a
    /// cluster); `previous` is the service being replaced.
    typealias Make = @Sendable (_ mapped: MappedTemplates, _ previous: (any MatchService)?) throws -> any MatchService
    private let make: Make
    private struct State {
        var server: (any MatchService)?
        /// Why sessions are refused while `server` is nil (e.g. every row removed).
        var unavailable = ""
        var signature: FileSignature?
        var rows = 0
        /// The snapshot's live ids: a reload finding the same ids (a write that changed nothing,
        /// a compaction that dropped nothing, SIGHUP) keeps the snapshot and its sessions.
        var ids: [UInt64] = []
    }
    private let state = Mutex(State())
    /// One reload at a time; sessions that need the reload wait for it.
    private let reloading = Mutex(())

    /// Maps the file (waiting for a writer) and prepares the first snapshot.
    /// A shard may serve an empty file (erasures can empty it): its front counts it as 0 rows.
    let allowsEmpty: Bool

    init(path: String, allowsEmpty: Bool = false, make: @escaping Make) throws {
        self.path = path
        self.allowsEmpty = allowsEmpty
        self.make = make
        let signature = DatabaseFile.signature(path: path)
        Console.progress("verifying \(path)")
        let mapped = try MappedTemplates(path: path)
        warnAboutTail(mapped)
        guard mapped.count > 0 || allowsEmpty else { throw CLIError("\(path) holds no templates (enroll some first)") }
        Console.progress("preparing \(mapped.count) templates")
        let server = try make(mapped, nil)
        Console.endProgress()
        state.withLock { $0 = State(server: server, signature: signature, rows: mapped.count, ids: mapped.ids) }
    }

    /// A single server's snapshot: its plaintext cache is built now, and logged.
    static func matchServer(threshold: Double, cacheBudget: Int?, queriesPerKey: Int?) -> Make {
        { mapped, _ in
            let server = try MatchServer(mapped: mapped, parameters: MatchParameters(dimension: mapped.dimension, threshold: threshold), memoryBudget: cacheBudget, queriesPerKey: queriesPerKey)
            logCache(server)
            return server
        }
    }

    /// A shard's snapshot: the front's layout is prepared when a front asks for it (again
    /// at once after a reload, for the layouts the previous snapshot had).
    static func shardServer(key: ClusterKey, cacheBudget: Int?) -> Make {
        { mapped, previous in
            let shard = try ShardServer(mapped: mapped, key: key, memoryBudget: cacheBudget, previous: previous as? ShardServer)
            for server in shard.prepared { logCache(server) }
            return shard
        }
    }

    static func logCache(_ server: MatchServer) {
        let (total, cached) = server.results
        Console.log("plaintext cache: \(cached) of \(total) results (\(Console.megabytes(server.cacheBytes)))" + (cached < total ? "; the other \(total - cached) are rebuilt per query" : ""))
    }

    /// The server of the current snapshot.
    var current: (any MatchService)? { state.withLock { $0.server } }

    /// The snapshot for a session starting now: reloaded first if the file changed.
    func snapshot() -> Result<any MatchService, FaceMatchError> {
        if DatabaseFile.signature(path: path) != state.withLock({ $0.signature }) { reload(reason: "file changed") }
        return state.withLock { s in s.server.map { .success($0) } ?? .failure(.databaseUnavailable(s.unavailable)) }
    }

    /// Whether `server` is the snapshot of the file as it is now (asked before each query: a
    /// session whose snapshot is stale must reconnect, so a removal takes effect at once).
    func isCurrent(_ server: any MatchService) -> Bool {
        let signature = DatabaseFile.signature(path: path)
        let (current, loaded) = state.withLock { ($0.server, $0.signature) }
        if current === server && signature == loaded { return true }
        reload(reason: "file changed")
        return state.withLock { $0.server === server }
    }

    /// Reloads if the file changed since the last load (or always, with `force`).
    func reload(reason: String, force: Bool = false) {
        reloading.withLock { _ in
            let signature = DatabaseFile.signature(path: path)
            let (old, rows) = state.withLock { ($0.signature, $0.rows) }
            guard force || signature != old else { return }
            do {
                // Readers take no lock: this reads the last commit even while a writer works.
                let mapped = try MappedTemplates(path: path)
                warnAboutTail(mapped)
                let n = mapped.count
                let same = state.withLock { s -> Bool in
                    guard s.server != nil, s.ids == mapped.ids else { return false }
                    s.signature = signature
                    return true
                }
                if same {
                    if force { Console.log("reloaded \(path) (\(reason)): unchanged, \(n) templates") }
                    return
                }
                if n == 0 && !allowsEmpty {
                    state.withLock { $0 = State(server: nil, unavailable: "the database holds no templates", signature: signature, rows: 0) }
                    Console.log("reloaded \(path) (\(reason)): no templates left; sessions are refused until rows are enrolled")
                    return
                }
                let server = try make(mapped, state.withLock { $0.server })
                state.withLock { $0 = State(server: server, signature: signature, rows: n, ids: mapped.ids) }
                Console.log("reloaded \(path) (\(reason)): \(n) templates (was \(rows)), \(mapped.removed) removed rows in the file")
            } catch {
                // The file did change: do not retry until it changes again.
                state.withLock { $0.signature = signature }
                Console.log("reload of \(path) (\(reason)) failed: \(describe(error)); still serving the previous \(rows) templates")
            }
        }
    }

    /// Checks the file every `seconds` on a thread of its own.
    func startPolling(every seconds: Double) {
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: seconds)
                reload(reason: "file changed")
            }
        }
        thread.name = "database-poller"
        thread.start()
    }

    private func warnAboutTail(_ c: MappedTemplates) {
        if c.tornBytes > 0 && !DatabaseFile.isLockedByWriter(path: path) {
            Console.log("warning: \(path) has \(c.tornBytes) bytes after its last commit (an interrupted enroll); serving the committed rows; 'cryptomask db repair --db \(path)' cuts them")
        }
    }
}
