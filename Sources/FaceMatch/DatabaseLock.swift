#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The advisory lock of a database file: `flock` on the sidecar `FILE.lock`, exclusive for a
/// writer (enroll, remove, compact, repair), shared for a reader (serve, list, info). Readers
/// therefore never see a half-written state, and two writers never interleave.
///
/// The sidecar (not the database itself) is locked because compaction renames a new file over
/// the database; the lock must outlive that inode. A writer records its process id in the
/// sidecar while it holds the lock, so a refused writer can say who holds it. Whoever locks
/// checks afterwards that the path still names the file it locked (a writer that found no
/// database removes the sidecar again), and retries otherwise.
final class DatabaseLock {
    let file: PosixFile
    let exclusive: Bool

    static func path(of database: String) -> String { database + ".lock" }

    /// Lock paths whose writer lock this process holds: a reader in the same process would
    /// wait for itself forever, so it is refused instead.
    private static let heldHere = Mutex<Set<String>>([])

    private init(file: PosixFile, exclusive: Bool) {
        self.file = file
        self.exclusive = exclusive
    }

    /// Takes the writer's lock.
    /// - Parameter wait: block until the lock is free; otherwise fail at once when another
    ///   writer holds it (readers hold it for a few seconds at most: those are waited for).
    /// - Throws: `FaceMatchError.databaseLocked` naming the holder's process id.
    static func writer(for database: String, wait: Bool) throws(FaceMatchError) -> DatabaseLock {
        let clock = ContinuousClock()
        let readerPatience = clock.now + .seconds(10)
        while true {
            let f = try PosixFile(path: path(of: database), mode: .createOrOpen)
            var got = try f.lock(exclusive: true, wait: false)
            if !got {
                let holder = String(decoding: try f.read(at: 0, count: 32), as: UTF8.self).split(separator: "\n").first.flatMap { Int($0) }
                if !wait, let holder {
                    throw FaceMatchError.databaseLocked("\(database) is locked by process \(holder) (another enroll, remove, compact or repair); retry when it ends, or pass --wait")
                }
                if !wait && clock.now > readerPatience {
                    throw FaceMatchError.databaseLocked("\(database) is being read by another process for more than 10 s; retry, or pass --wait")
                }
                if wait { got = try f.lock(exclusive: true, wait: true) } else { usleep(20_000); continue }
            }
            guard got, stillNamed(f) else { continue }
            try f.truncate(to: 0)
            try f.write(Array("\(getpid())\n".utf8), at: 0)
            heldHere.withLock { _ = $0.insert(f.path) }
            return DatabaseLock(file: f, exclusive: true)
        }
    }

    /// What a reader got: the shared lock, no lock needed, or a writer holding it.
    enum ReaderLock {
        /// The shared lock; release it after reading.
        case held(DatabaseLock)
        /// The sidecar cannot be created (a read-only directory, which no writer can change
        /// either): the read goes ahead without it.
        case unneeded
        /// A writer holds the lock (only when not waiting).
        case busy
    }

    /// Takes a reader's lock, waiting for a writer to finish unless `wait` is false.
    static func reader(for database: String, wait: Bool = true) throws(FaceMatchError) -> ReaderLock {
        guard !heldHere.withLock({ $0.contains(path(of: database)) }) else {
            throw FaceMatchError.databaseLocked("\(database) is locked by a DatabaseWriter of this process; read it through that writer's contents()")
        }
        while true {
            guard let f = try? PosixFile(path: path(of: database), mode: .createOrOpen) else { return .unneeded }
            guard try f.lock(exclusive: false, wait: wait) else { return .busy }
            if stillNamed(f) { return .held(DatabaseLock(file: f, exclusive: false)) }
        }
    }

    /// Whether the sidecar path still names the open file (it was not removed meanwhile).
    static func stillNamed(_ f: PosixFile) -> Bool {
        var a = stat(), b = stat()
        return fstat(f.fd, &a) == 0 && stat(f.path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev
    }

    /// Releases the lock. A writer clears its process id first, and removes the sidecar when the
    /// database does not exist (a failed first enroll leaves no file behind).
    func release() {
        if exclusive {
            try? file.truncate(to: 0)
            if !PosixFile.exists(String(file.path.dropLast(5))) { PosixFile.remove(file.path) }
            DatabaseLock.heldHere.withLock { _ = $0.remove(file.path) }
        }
        file.unlock()
    }
}
