#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal file handle over POSIX calls (the only platform-specific file code).
final class PosixFile {
    let fd: Int32
    let path: String

    enum Mode { case read, readWrite, create, createOrOpen }

    init(path: String, mode: Mode, noFollow: Bool = false, permissions: mode_t = 0o600) throws(FaceMatchError) {
        let flags: Int32
        switch mode {
        case .read: flags = O_RDONLY
        case .readWrite: flags = O_RDWR
        case .create: flags = O_RDWR | O_CREAT | O_EXCL
        case .createOrOpen: flags = O_RDWR | O_CREAT
        }
        let fd = open(path, flags | O_CLOEXEC | (noFollow ? O_NOFOLLOW : 0), permissions)
        guard fd >= 0 else { throw FaceMatchError.fileUnavailable("\(path): \(PosixFile.lastError())") }
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    static func lastError() -> String { String(cString: strerror(errno)) }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Whether `path` itself is a symbolic link (dangling or not).
    static func isLink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
    }

    var isRegularFile: Bool {
        var st = stat()
        return fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// `path` with symbolic links resolved: the file's own if it exists, else its directory's.
    static func canonicalPath(_ path: String) -> String {
        if let r = realpath(path, nil) { defer { free(r) }; return String(cString: r) }
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { path[..<$0].isEmpty ? "/" : String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard let r = realpath(dir, nil) else { return path }
        defer { free(r) }
        let d = String(cString: r)
        return d == "/" ? "/" + name : d + "/" + name
    }

    /// Whether a process with this id exists (signal 0 reaches it, or it exists but is not ours).
    static func processExists(_ pid: Int32) -> Bool { pid > 0 && (kill(pid, 0) == 0 || errno == EPERM) }

    /// Gives the open file the mode and owner of the file at `path` (for a rewrite that replaces
    /// it). Changing the owner needs privilege; a rewrite by the owner itself needs none.
    func copyOwnership(of path: String) throws(FaceMatchError) {
        var st = stat()
        guard stat(path, &st) == 0 else { return }
        guard fchmod(fd, st.st_mode & 0o7777) == 0 else { throw FaceMatchError.fileUnavailable("\(self.path): cannot set its mode: \(PosixFile.lastError())") }
        var mine = stat()
        if fstat(fd, &mine) == 0 && (mine.st_uid != st.st_uid || mine.st_gid != st.st_gid) {
            guard fchown(fd, st.st_uid, st.st_gid) == 0 else {
                throw FaceMatchError.fileUnavailable("\(path): a rewrite could not keep its owner (\(PosixFile.lastError())); run this as the file's owner")
            }
        }
    }

    /// Names in the directory of `path` that start with `path`'s file name and `suffix`.
    static func siblings(of path: String, prefixedWith suffix: String) -> [String] {
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { path[..<$0].isEmpty ? "/" : String(path[..<$0]) } ?? "."
        let prefix = (slash.map { String(path[path.index(after: $0)...]) } ?? path) + suffix
        return entries(of: dir).filter { $0.hasPrefix(prefix) }.map { dir == "/" ? "/" + $0 : dir + "/" + $0 }
    }

    /// The names in directory `dir` (without `.` and `..`; empty if it cannot be read).
    static func entries(of dir: String) -> [String] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { out.append(name) }
        }
        return out
    }

    /// Creates directory `path` and its missing parents, each with mode `permissions`; an
    /// existing directory is left as it is.
    /// - Throws: `.fileUnavailable` when a component exists but is not a directory, or cannot be created.
    static func makeDirectory(_ path: String, permissions: mode_t = 0o700) throws(FaceMatchError) {
        if isDirectory(path) { return }
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try makeDirectory(String(path[..<slash]), permissions: permissions)
        }
        guard mkdir(path, permissions) == 0 || (errno == EEXIST && isDirectory(path)) else {
            throw FaceMatchError.fileUnavailable("\(path): cannot create the directory: \(lastError())")
        }
    }

    var size: Int {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int(st.st_size) : 0
    }

    /// Reads up to `count` bytes at `offset` (fewer at the end of the file).
    func read(at offset: Int, count: Int) throws(FaceMatchError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if n < 0 { throw FaceMatchError.fileUnavailable("\(path): read failed: \(PosixFile.lastError())") }
            if n == 0 { break }
            done += n
        }
        return Array(out.prefix(done))
    }

    func write(_ bytes: [UInt8], at offset: Int) throws(FaceMatchError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, bytes.count - done, off_t(offset + done)) }
            if n <= 0 { throw FaceMatchError.fileUnavailable("\(path): write failed: \(PosixFile.lastError())") }
            done += n
        }
    }

    func sync() throws(FaceMatchError) {
        guard fsync(fd) == 0 else { throw FaceMatchError.fileUnavailable("\(path): fsync failed: \(PosixFile.lastError())") }
    }

    /// Cuts the file to `length` bytes.
    func truncate(to length: Int) throws(FaceMatchError) {
        guard ftruncate(fd, off_t(length)) == 0 else { throw FaceMatchError.fileUnavailable("\(path): truncate failed: \(PosixFile.lastError())") }
    }

    /// An advisory `flock` on this open file (released by `unlock` or when the handle closes).
    /// - Returns: false when `wait` is false and another open file holds a conflicting lock.
    func lock(exclusive: Bool, wait: Bool) throws(FaceMatchError) -> Bool {
        let op = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB)
        while flock(fd, op) != 0 {
            if errno == EINTR { continue }
            if errno == EWOULDBLOCK { return false }
            throw FaceMatchError.fileUnavailable("\(path): lock failed: \(PosixFile.lastError())")
        }
        return true
    }

    func unlock() { _ = flock(fd, LOCK_UN) }

    /// Renames `from` over `to` atomically, then syncs the directory so the rename is durable.
    static func rename(_ from: String, over to: String) throws(FaceMatchError) {
        guard Glibc_rename(from, to) == 0 else { throw FaceMatchError.fileUnavailable("rename \(from) to \(to): \(lastError())") }
        syncDirectory(of: to)
    }

    /// Links `from` at `to` only if `to` does not exist (atomic create), then removes `from`.
    /// - Returns: false when `to` already exists.
    static func publish(_ from: String, at to: String) throws(FaceMatchError) -> Bool {
        if link(from, to) != 0 {
            if errno == EEXIST { return false }
            throw FaceMatchError.fileUnavailable("create \(to): \(lastError())")
        }
        unlink(from)
        syncDirectory(of: to)
        return true
    }

    static func remove(_ path: String) { unlink(path) }

    /// Removes directory `path` if it is empty (best effort).
    static func removeDirectory(_ path: String) { rmdir(path) }

    /// fsync of the directory holding `path` (makes a create or rename durable); best effort.
    static func syncDirectory(of path: String) {
        let dir = path.lastIndex(of: "/").map { path[..<$0].isEmpty ? "/" : String(path[..<$0]) } ?? "."
        let fd = open(dir, O_RDONLY | O_CLOEXEC)
        if fd >= 0 { _ = fsync(fd); close(fd) }
    }

    /// Identity and change marks of the file at `path`, or nil if it cannot be stat'ed.
    static func signature(_ path: String) -> FileSignature? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        #if canImport(Darwin)
        let m = st.st_mtimespec, c = st.st_ctimespec
        #else
        let m = st.st_mtim, c = st.st_ctim
        #endif
        return FileSignature(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
                             modified: Int64(m.tv_sec) * 1_000_000_000 + Int64(m.tv_nsec),
                             changed: Int64(c.tv_sec) * 1_000_000_000 + Int64(c.tv_nsec))
    }

    /// The whole file (for small inputs such as `.npy` and label files), at most `limit` bytes.
    static func readAll(_ path: String, limit: Int = 1 << 34) throws(FaceMatchError) -> [UInt8] {
        let f = try PosixFile(path: path, mode: .read)
        var st = stat()
        if fstat(f.fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG {
            guard f.size <= limit else { throw FaceMatchError.invalidParameter("\(path) is larger than \(limit) bytes") }
            return try f.read(at: 0, count: f.size)
        }
        // A pipe or terminal (e.g. /dev/stdin): read to its end, in chunks, up to the limit.
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc_read(f.fd, $0.baseAddress!, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw FaceMatchError.fileUnavailable("\(path): read failed: \(lastError())") }
            if n == 0 { return out }
            out += chunk.prefix(n)
            guard out.count <= limit else { throw FaceMatchError.invalidParameter("\(path) is larger than \(limit) bytes") }
        }
    }
}

@inline(__always) private func Glibc_rename(_ a: String, _ b: String) -> Int32 {
    #if canImport(Glibc)
    Glibc.rename(a, b)
    #else
    Darwin.rename(a, b)
    #endif
}

@inline(__always) private func Glibc_read(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    Glibc.read(fd, p, n)
    #else
    Darwin.read(fd, p, n)
    #endif
}

/// What identifies one version of a file on disk: a rename, append, truncation or in-place
/// write changes at least one field. Used to notice that a served database file changed.
public struct FileSignature: Sendable, Hashable {
    /// Device and inode: a rename over the path (compaction) changes them.
    public var device: UInt64, inode: UInt64
    /// Size in bytes.
    public var size: Int64
    /// Modification and status-change times, nanoseconds since 1970.
    public var modified: Int64, changed: Int64
}

/// Reads a whole input file (for `.npy` embeddings and label lists); `-` or a pipe reads to
/// its end.
/// - Throws: `FaceMatchError.fileUnavailable` naming the path and the system's reason.
public func readFileBytes(_ path: String) throws(FaceMatchError) -> [UInt8] {
    try PosixFile.readAll(path == "-" ? "/dev/stdin" : path)
}
