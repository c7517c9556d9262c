import BFV
import SecureCompare

/// Errors of the face-matching layer; each case says what to fix, and `description` is one
/// line a user can act on.
public enum FaceMatchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An embedding is unusable; the text says why (NaN, infinity, zero vector, dimension).
    case invalidEmbedding(String)
    /// A parameter is out of range; the text says which and the allowed range.
    case invalidParameter(String)
    /// The database cannot serve this request (empty, wrong dimension, too many targets).
    case databaseUnavailable(String)
    /// A database file is damaged (truncated, torn tail, checksum mismatch); the text names the
    /// record and, where one exists, the command that repairs it.
    case databaseDamaged(String)
    /// Another process holds a database file's writer lock; the text names it.
    case databaseLocked(String)
    /// A file cannot be opened, read or written; the text names it and the system's reason.
    case fileUnavailable(String)
    /// The peer broke the session protocol; the text says how.
    case protocolViolation(String)
    /// The peer reported an error and ended the session (its text, as sent).
    case peerError(String)
    /// The BFV layer failed.
    case bfv(BFVError)
    /// The comparison layer or the channel failed.
    case secureCompare(SecureCompareError)
    /// The server refused the request (busy, rate limited, key budget spent); the text says
    /// what to do (wait, reconnect with a fresh key).
    case refused(String)
    /// Cluster authentication failed: the peer does not hold the cluster key (or the key
    /// file is missing, too short or readable by others); the text says which.
    case notAuthenticated(String)
    /// A shard of a cluster is down, slower than its deadline or answered wrongly; the text
    /// names the shard. The query fails as a whole (a partial answer would be a wrong one).
    case shardFailed(String)

    /// The case's text alone, without a prefix.
    public var reason: String {
        switch self {
        case .invalidEmbedding(let s), .invalidParameter(let s), .databaseUnavailable(let s), .databaseDamaged(let s),
             .databaseLocked(let s), .fileUnavailable(let s), .protocolViolation(let s), .peerError(let s), .refused(let s),
             .notAuthenticated(let s), .shardFailed(let s): return s
        case .bfv(let e): return e.description
        case .secureCompare(let e): return e.description
        }
    }

    public var description: String {
        switch self {
        case .invalidEmbedding(let s): return "invalid embedding: \(s)"
        case .invalidParameter(let s): return "invalid parameter: \(s)"
        case .databaseUnavailable(let s): return "database unavailable: \(s)"
        case .databaseDamaged(let s): return "damaged database: \(s)"
        case .databaseLocked(let s): return s
        case .fileUnavailable(let s): return "cannot use file \(s)"
        case .protocolViolation(let s): return "protocol error: \(s)"
        case .peerError(let s): return "the peer reported: \(s)"
        case .refused(let s): return "refused: \(s)"
        case .notAuthenticated(let s): return "cluster authentication failed: \(s)"
        case .shardFailed(let s): return "shard failed: \(s)"
        case .bfv(let e): return "encryption layer: \(e)"
        case .secureCompare(let e): return e.description
        }
    }
}

extension FaceMatchError {
    static func wrap<T>(_ body: () throws(BFVError) -> T) throws(FaceMatchError) -> T {
        do { return try body() } catch { throw FaceMatchError.bfv(error) }
    }

    static func wrap<T>(_ body: () throws(SecureCompareError) -> T) throws(FaceMatchError) -> T {
        do { return try body() } catch { throw FaceMatchError.secureCompare(error) }
    }
}
