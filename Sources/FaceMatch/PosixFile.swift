#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal file handle over POSIX calls (the only platform-specific file code).
final class PosixFile {
    let fd: Int32
    let path: String

    enum Mode { case read, readWrite, create }

    init(path: String, mode: Mode) throws(FaceMatchError) {
        let flags: Int32
        switch mode {
        case .read: flags = O_RDONLY
        case .readWrite: flags = O_RDWR
        case .create: flags = O_RDWR | O_CREAT | O_EXCL
        }
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw FaceMatchError.databaseUnavailable("\(path): \(PosixFile.lastError())") }
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    static func lastError() -> String { String(cString: strerror(errno)) }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

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
            if n < 0 { throw FaceMatchError.databaseUnavailable("\(path): read failed: \(PosixFile.lastError())") }
            if n == 0 { break }
            done += n
        }
        return Array(out.prefix(done))
    }

    func write(_ bytes: [UInt8], at offset: Int) throws(FaceMatchError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, bytes.count - done, off_t(offset + done)) }
            if n <= 0 { throw FaceMatchError.databaseUnavailable("\(path): write failed: \(PosixFile.lastError())") }
            done += n
        }
    }

    func sync() throws(FaceMatchError) {
        guard fsync(fd) == 0 else { throw FaceMatchError.databaseUnavailable("\(path): fsync failed: \(PosixFile.lastError())") }
    }

    /// The whole file (for small inputs such as `.npy` and label files), at most `limit` bytes.
    static func readAll(_ path: String, limit: Int = 1 << 34) throws(FaceMatchError) -> [UInt8] {
        let f = try PosixFile(path: path, mode: .read)
        guard f.size <= limit else { throw FaceMatchError.invalidParameter("\(path) is larger than \(limit) bytes") }
        return try f.read(at: 0, count: f.size)
    }
}

/// Reads a whole input file (for `.npy` embeddings and label lists).
public func readFileBytes(_ path: String) throws(FaceMatchError) -> [UInt8] { try PosixFile.readAll(path) }
