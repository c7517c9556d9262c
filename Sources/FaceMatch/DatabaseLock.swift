#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The writer's lock of a database file: an exclusive `flock` on the sidecar `FILE.lock`, held by
/// every writer (enroll, remove, compact, repair), so two writers never interleave. Readers take
/// no lock: the commit protocol keeps what they read consistent (see `DatabaseFile`), and they
/// ask `isHeld` only to tell a writer's work in progress from damage left by a dead one.
///
/// - The sidecar (not the database) is locked because compaction renames a new file over the
///   database; the lock must outlive that inode.
/// - Its name comes from the database's canonical path (symbolic links resolved), so two paths to
///   one file share one lock. It is opened without following a symbolic link and must be a
///   regular file: a planted link cannot make a writer truncate another file.
/// - A writer records its process id in it while it holds the lock, so a refused writer can say
///   who holds it (a recorded process that no longer exists is not blamed).
/// - Deleting the sidecar while a writer runs would let a second writer in: never delete it by
///   hand. A writer checks before it commits that the sidecar it locked is still in place, and
///   abandons its work otherwise.
final class DatabaseLock {
    let file: PosixFile

    /// The sidecar's path for the database at `database`.
    static func path(of database: String) -> String { PosixFile.canonicalPath(database) + ".lock" }

    private init(file: PosixFile) { self.file = file }

    /// Opens (or creates, mode 0600) the sidecar without following links; it must be a regular file.
    static func open(_ path: String, create: Bool) throws(FaceMatchError) -> PosixFile {
        let f = try PosixFile(path: path, mode: create ? .createOrOpen : .read, noFollow: true)
        guard f.isRegularFile else { throw FaceMatchError.fileUnavailable("\(path): the lock file is not a regular file; remove it") }
        return f
    }

    /// Takes the writer's lock.
    /// - Parameter wait: block until the lock is free; otherwise fail at once when another
    ///   writer holds it.
    /// - Throws: `FaceMatchError.databaseLocked` naming the holder's process id.
    static func writer(for database: String, wait: Bool) throws(FaceMatchError) -> DatabaseLock {
        if PosixFile.isDirectory(database) { throw FaceMatchError.fileUnavailable("\(database): is a directory, not a database file") }
        let lockPath = path(of: database)
        while true {
            let f = try open(lockPath, create: true)
            if try !f.lock(exclusive: true, wait: false) {
                if !wait {
                    let holder = String(decoding: try f.read(at: 0, count: 32), as: UTF8.self).split(separator: "\n").first.flatMap { Int32($0) }
                    let who = holder.flatMap { PosixFile.processExists($0) ? "process \($0)" : nil } ?? "another process"
                    throw FaceMatchError.databaseLocked("\(database) is locked by \(who) (another enroll, remove, compact or repair); retry when it ends, or pass --wait")
                }
                _ = try f.lock(exclusive: true, wait: true)
            }
            guard stillNamed(f) else { continue }
            try f.truncate(to: 0)
            try f.write(Array("\(getpid())\n".utf8), at: 0)
            return DatabaseLock(file: f)
        }
    }

    /// Whether some process holds the writer's lock of `database` now.
    static func isHeld(for database: String) -> Bool {
        guard let f = try? open(path(of: database), create: false) else { return false }
        guard (try? f.lock(exclusive: false, wait: false)) == true else { return true }
        f.unlock()
        return false
    }

    /// Whether the sidecar path still names the open file (it was not removed meanwhile).
    static func stillNamed(_ f: PosixFile) -> Bool {
        var a = stat(), b = stat()
        return fstat(f.fd, &a) == 0 && lstat(f.path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev
    }

    /// Throws unless this lock's sidecar is still the one at its path (checked before a commit).
    func checkHeld() throws(FaceMatchError) {
        guard DatabaseLock.stillNamed(file) else {
            throw FaceMatchError.databaseLocked("\(file.path) was removed while this writer held it: another writer may have started, so nothing was committed")
        }
    }

    /// Releases the lock: clears the process id, and removes the sidecar when the database does
    /// not exist (a failed first enroll leaves no file behind).
    func release() {
        try? file.truncate(to: 0)
        if !PosixFile.exists(String(file.path.dropLast(5))) { PosixFile.remove(file.path) }
        file.unlock()
    }
}
