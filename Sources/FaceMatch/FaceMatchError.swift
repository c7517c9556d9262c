import BFV
import SecureCompare

/// Errors of the face-matching layer; each case says what to fix.
public enum FaceMatchError: Error, Sendable, Equatable {
    /// An embedding is unusable; the text says why (NaN, infinity, zero vector, dimension).
    case invalidEmbedding(String)
    /// A parameter is out of range; the text says which and the allowed range.
    case invalidParameter(String)
    /// The database cannot serve this request (empty, wrong dimension, too many targets).
    case databaseUnavailable(String)
    /// The peer broke the session protocol; the text says how.
    case protocolViolation(String)
    /// The peer reported an error and ended the session.
    case peerError(String)
    /// The BFV layer failed.
    case bfv(BFVError)
    /// The comparison layer or the channel failed.
    case secureCompare(SecureCompareError)
    /// The server refused the request (busy, rate limited, key budget spent); the text says
    /// what to do (wait, reconnect with a fresh key).
    case refused(String)
}

extension FaceMatchError {
    static func wrap<T>(_ body: () throws(BFVError) -> T) throws(FaceMatchError) -> T {
        do { return try body() } catch { throw FaceMatchError.bfv(error) }
    }

    static func wrap<T>(_ body: () throws(SecureCompareError) -> T) throws(FaceMatchError) -> T {
        do { return try body() } catch { throw FaceMatchError.secureCompare(error) }
    }
}
