#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import BFV
import Dispatch
import RingArithmetic
import SecureCompare
import Synchronization

/// One query being evaluated by a sweep: its ciphertexts and key, its own generator, and the
/// result frames and server shares the sweep produces for it.
///
/// The sweep appends frames; the session's thread takes and sends them. A verifier slower than
/// the sweep lets its frames pile up to `maxBufferedBytes`; beyond that its query is dropped
/// (`cancel`) rather than slowing the other queries of the sweep.
final class SweepJob: @unchecked Sendable {
    let queries: [Ciphertext]
    /// The query packed for the cached plaintexts (a second copy of the query, `16 B L N`
    /// bytes, made only when the server caches results; its failure, impossible for a decoded
    /// query, fails the job's first cached result).
    let packedQueries: Result<PackedCiphertexts, BFVError>
    let publicKey: PublicKey
    /// Drawn from by the sweeping thread only (one seed per result).
    var rng: ChaChaDRBG
    /// The server's shares of the truncated scores, `l` bits each (2 bytes per template).
    var shares: [UInt16] = []
    /// The masks `M` at the targets, kept only for `MatchServer.evaluateQuery`.
    var masks: [UInt64]?
    let keepMasks: Bool
    /// The threshold `tau_hat` subtracted at the targets (a shard takes its front's).
    let tauHat: Int64
    /// Results to evaluate (`0 ..< results`) and shares to keep (the first `targets`).
    let results: Int
    let targets: Int
    /// Frames not yet taken are `frames[head...]` (taking one is O(1); the array is compacted as it drains).
    private let state = Mutex<(frames: [[UInt8]], head: Int, buffered: Int, done: Bool, error: FaceMatchError?, cancelled: Bool)>(([], 0, 0, false, nil, false))
    private let signal = DispatchSemaphore(value: 0)
    /// Frames a slow verifier may leave unsent before its query is dropped.
    static let maxBufferedBytes = 256 << 20

    init(queries: [Ciphertext], publicKey: PublicKey, rng: ChaChaDRBG, keepMasks: Bool, tauHat: Int64, results: Int, targets: Int,
         packed: Bool) {
        self.tauHat = tauHat
        self.results = results
        self.targets = targets
        self.queries = queries
        packedQueries = Result { () throws(BFVError) in
            guard packed else { throw BFVError.unsupportedOperation("this server caches no plaintexts") }
            guard let first = queries.first else { throw BFVError.invalidValue("no query ciphertexts") }
            return try PackedCiphertexts(queries, context: first.context)
        }
        self.publicKey = publicKey
        self.rng = rng
        self.keepMasks = keepMasks
        if keepMasks { masks = [] }
    }

    var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Stops the sweep's work for this job (its verifier has gone, or is too slow).
    func cancel(_ error: FaceMatchError) {
        state.withLock { s in
            s.cancelled = true
            s.frames = []
            s.head = 0
            if !s.done { s.done = true; s.error = error }
        }
        signal.signal()
    }

    func deliver(_ frame: [UInt8]) {
        let overflow = state.withLock { s -> Bool in
            guard !s.cancelled else { return false }
            s.frames.append(frame)
            s.buffered += frame.count
            return s.buffered > SweepJob.maxBufferedBytes
        }
        if overflow {
            cancel(.refused("the verifier reads its results too slowly; retry on a faster link"))
        } else {
            signal.signal()
        }
    }

    func finish(_ error: FaceMatchError?) {
        if error == nil && shares.count > targets {
            shares.removeLast(shares.count - targets)
            if keepMasks { masks!.removeLast(masks!.count - targets) }
        }
        state.withLock { s in
            if !s.done { s.done = true; s.error = error }
        }
        signal.signal()
    }

    /// The next frame, waiting for it; nil once every frame has been taken.
    /// - Throws: the sweep's error for this job.
    func nextFrame() throws(FaceMatchError) -> [UInt8]? {
        while true {
            let next = state.withLock { s -> Result<[UInt8]?, FaceMatchError>? in
                if s.head < s.frames.count {
                    let f = s.frames[s.head]
                    s.frames[s.head] = []
                    s.head += 1
                    if s.head >= 64 && 2 * s.head >= s.frames.count {
                        s.frames.removeFirst(s.head)
                        s.head = 0
                    }
                    s.buffered -= f.count
                    return .success(f)
                }
                if s.done { return s.error.map { .failure($0) } ?? .success(nil) }
                return nil
            }
            if let next { return try next.get() }
            signal.wait()
        }
    }
}

/// Concurrent queries share one sweep over the database: each result's plaintexts are built (or
/// read from the cache) once per sweep and multiplied with every query of the sweep. Queries that
/// arrive during a sweep wait for the next one (result frames must leave in order), so a query
/// alone starts at once and many queries cost little more than one.
///
/// The sweep runs on a thread of its own, results in batches of `max(groupSize, 4 * cores)`
/// spread over every core; frames of `groupSize` results go to each job as they are ready.
final class QuerySweeper: Sendable {
    private let pending = Mutex<(jobs: [SweepJob], running: Bool)>(([], false))
    private let work = DispatchSemaphore(value: 0)

    /// Queues `job` for the next sweep (starting the sweeping thread if none runs).
    func submit(_ job: SweepJob, server: MatchServer) {
        let start = pending.withLock { p -> Bool in
            p.jobs.append(job)
            if p.running { return false }
            p.running = true
            return true
        }
        if start {
            DedicatedThread.start { [self] in loop(server) }
        }
        work.signal()
    }

    private func loop(_ server: MatchServer) {
        while true {
            let jobs = pending.withLock { p -> [SweepJob] in
                let j = p.jobs
                p.jobs = []
                if j.isEmpty { p.running = false }
                return j
            }
            if jobs.isEmpty { return }
            server.sweep(jobs)
        }
    }
}

extension MatchServer {
    /// Evaluates every result for every job, in one pass over the database (each job stops at
    /// its own `results`; a shard's job leaves out its partial last result).
    func sweep(_ jobs: [SweepJob]) {
        let results = jobs.map(\.results).max() ?? 0
        // Batches are whole frames, so every frame but a job's last holds `groupSize` results
        // whatever the core count (the frame sequence a verifier sees depends on n alone).
        let batch = groupSize * max(1, (4 * processorCount + groupSize - 1) / groupSize)
        var live = jobs
        var start = 0
        while start < results {
            live.removeAll { $0.isCancelled }
            for job in live where job.results <= start { job.finish(nil) }
            live.removeAll { $0.results <= start }
            if live.isEmpty { return }
            let count = min(batch, results - start)
            // Each job's own generator seeds its results: jobs never share randomness.
            let seeds = live.map { job in (0..<min(count, job.results - start)).map { _ in job.rng.nextSeed() } }
            let first = start, current = live
            let evaluated = parallelMap(count) { i -> [Result<(PowerOfTwoCiphertext, [UInt64], [UInt64]), FaceMatchError>?] in
                let plaintexts = Result { () throws(FaceMatchError) in try self.prepared.plaintexts(first + i) }
                return current.indices.map { k in
                    guard i < seeds[k].count else { return nil }
                    var g = ChaChaDRBG(seed: seeds[k][i])
                    let job = current[k]
                    return Result { () throws(FaceMatchError) in
                        let p = try plaintexts.get()
                        let accumulated = try p.multiplyAccumulate(job, self.prepared.context)
                        return try self.masking.finish(accumulated, tauHat: job.tauHat, publicKey: job.publicKey, rng: &g)
                    }
                }
            }
            for (k, job) in current.enumerated() {
                var group: [PowerOfTwoCiphertext] = []
                let mine = seeds[k].count
                do throws(FaceMatchError) {
                    for i in 0..<mine {
                        let (ct, s, m) = try evaluated[i][k]!.get()
                        group.append(ct)
                        job.shares += s.map { UInt16(truncatingIfNeeded: $0) }
                        if job.keepMasks { job.masks! += m }
                        if group.count == groupSize || i == mine - 1 {
                            job.deliver(ResultCodec.encode(group, bits: parameters.downloadBits))
                            group.removeAll(keepingCapacity: true)
                        }
                    }
                } catch {
                    job.cancel(error)
                }
            }
            start += count
        }
        for job in live { job.finish(nil) }
    }
}
