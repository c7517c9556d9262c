#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RingArithmetic
import SecureCompare

/// The pre-shared key of a cluster: a front and its shards prove to each other that they hold it
/// and derive the keys of their sealed link from it (docs/DESIGN.md, Cluster link). The key
/// material is the bytes as given, trailing white space removed: the 64 hex characters that
/// `cryptomask cluster-key` writes count as 64 bytes. At least 32 bytes. Never printed:
/// `description`, `debugDescription` and the mirror are redacted.
public struct ClusterKey: Sendable {
    /// The fewest key bytes accepted.
    public static let minimumLength = 32
    /// The largest key file read (a larger file is not a key file).
    static let maximumFileSize = 4096
    /// The environment variable `fromEnvironment` reads: the key itself (not a path).
    public static let environmentVariable = "CRYPTOMASK_CLUSTER_KEY"

    /// HMAC-SHA-256 keyed with the key bytes (the bytes themselves are not kept).
    let mac: HMAC

    /// A key from its bytes; trailing spaces, tabs and line ends are removed first.
    /// - Throws: `FaceMatchError.invalidParameter` when fewer than 32 bytes remain.
    public init(bytes: [UInt8]) throws(FaceMatchError) {
        var material = bytes[...]
        while let last = material.last, [0x20, 0x09, 0x0A, 0x0D].contains(last) { material.removeLast() }
        guard !material.isEmpty else { throw FaceMatchError.invalidParameter("the cluster key is empty") }
        guard material.count >= ClusterKey.minimumLength else {
            throw FaceMatchError.invalidParameter("the cluster key has \(material.count) bytes, at least \(ClusterKey.minimumLength) are needed (make one with 'cryptomask cluster-key --out FILE')")
        }
        mac = HMAC(key: Array(material))
    }

    /// `path` as error messages show it: a value of key length with neither '/' nor '.' may be a
    /// key pasted in place of a path, so it is not echoed (key material must never reach a log).
    /// 8 hex digits that tell keys apart in logs without revealing them (the first 4 bytes of
    /// HMAC-SHA-256 under the key of a fixed label): compare them across a cluster's processes.
    public var fingerprint: String {
        var h = mac
        h.reset()
        h.update(Array("CryptoMask cluster key fingerprint v1".utf8))
        let tag = h.finalize()
        return tag.prefix(4).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    static func shown(_ path: String) -> String {
        path.count < minimumLength || path.contains("/") || path.contains(".") ? path
            : "(the value given, not shown: it may be a key; give the path of a key file)"
    }

    /// Reads the key from the file at `path`. Symbolic links are followed (Kubernetes mounts
    /// secrets as links); the file they end at must be a regular file that neither its group nor
    /// others may read, write or execute (mode 0600 or 0400), of at most 4096 bytes.
    /// - Throws: `FaceMatchError.invalidParameter` naming the file and what to fix (missing,
    ///   unreadable, not a regular file, `chmod 600`, empty, too short). The key is never shown.
    public static func load(path: String) throws(FaceMatchError) -> ClusterKey {
        // Non-blocking: a FIFO at the path must not hang the open (it is refused below).
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let reason = errno == ENOENT ? "does not exist" : "cannot be opened: \(String(cString: strerror(errno)))"
            throw FaceMatchError.invalidParameter("cluster key file \(ClusterKey.shown(path)) \(reason)")
        }
        defer { close(fd) }
        // The mode of the file itself, past any links: fstat on what was opened.
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw FaceMatchError.invalidParameter("cluster key file \(ClusterKey.shown(path)) is not a regular file")
        }
        guard st.st_mode & 0o077 == 0 else {
            let mode = String(UInt32(st.st_mode & 0o777), radix: 8)
            throw FaceMatchError.invalidParameter("cluster key file \(ClusterKey.shown(path)) has mode \(mode): other users may read or change it; run 'chmod 600 \(ClusterKey.shown(path))'")
        }
        guard Int(st.st_size) <= maximumFileSize else {
            throw FaceMatchError.invalidParameter("cluster key file \(ClusterKey.shown(path)) holds \(st.st_size) bytes, more than a key file (\(maximumFileSize) at most)")
        }
        var bytes = [UInt8](repeating: 0, count: maximumFileSize + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw FaceMatchError.invalidParameter("cluster key file \(ClusterKey.shown(path)) cannot be read: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            count += n
        }
        guard count <= maximumFileSize else {
            throw FaceMatchError.invalidParameter("cluster key file \(ClusterKey.shown(path)) holds more than \(maximumFileSize) bytes, more than a key file")
        }
        do { return try ClusterKey(bytes: Array(bytes.prefix(count))) } catch {
            throw FaceMatchError.invalidParameter("cluster key file \(ClusterKey.shown(path)): \(error.reason)")
        }
    }

    /// The key in the environment variable `CRYPTOMASK_CLUSTER_KEY`, or nil when it is not set.
    /// - Throws: `FaceMatchError.invalidParameter` when it is set but empty or too short.
    public static func fromEnvironment() throws(FaceMatchError) -> ClusterKey? {
        guard let value = getenv(environmentVariable) else { return nil }
        do { return try ClusterKey(bytes: Array(String(cString: value).utf8)) } catch {
            throw FaceMatchError.invalidParameter("\(environmentVariable): \(error.reason)")
        }
    }

    /// Writes a fresh key to a new file at `path`: 32 bytes from the system's cryptographic
    /// generator as 64 lowercase hex characters and a newline, mode 0600. The file is created
    /// exclusively (an existing file or link is never overwritten) and synced.
    /// - Throws: `FaceMatchError.fileUnavailable` when `path` exists or cannot be written (a
    ///   partly written file is removed).
    public static func generate(path: String) throws(FaceMatchError) {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for b in Seed.random().bytes { text += [digits[Int(b >> 4)], digits[Int(b & 15)]] }
        text.append(0x0A)
        let file: PosixFile
        do { file = try PosixFile(path: path, mode: .create, noFollow: true, permissions: 0o600) } catch {
            guard !PosixFile.exists(path) && !PosixFile.isLink(path) else {
                throw FaceMatchError.fileUnavailable("\(path): it already exists; a cluster key is never overwritten (remove the file first to replace the cluster's key)")
            }
            throw error
        }
        do throws(FaceMatchError) {
            try file.write(text, at: 0)
            try file.sync()
        } catch {
            PosixFile.remove(path)
            throw error
        }
        PosixFile.syncDirectory(of: path)
    }

    /// HMAC-SHA-256 under the key of `label | parts...` (the handshake's tags and link keys).
    func tag(_ label: String, _ parts: [UInt8]...) -> [UInt8] {
        var h = mac
        h.update(Array(label.utf8))
        for p in parts { h.update(p) }
        return h.finalize()
    }
}
