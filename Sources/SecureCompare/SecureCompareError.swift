import BFV

/// Errors of the two-party layer. Each case says what went wrong and what to do.
public enum SecureCompareError: Error, Sendable, Equatable {
    /// The peer closed the channel (or it was closed locally).
    case channelClosed
    /// A frame exceeded the channel's maximum size.
    case frameTooLarge(Int)
    /// A frame of another type arrived than the protocol expected.
    case unexpectedMessage(expected: UInt8, received: UInt8)
    /// A message had the wrong length or content; the text names it.
    case malformed(String)
    /// No message arrived within the timeout.
    case timeout
    /// An argument was out of range; the text says which.
    case invalidArgument(String)
    /// The underlying BFV layer failed.
    case bfv(BFVError)
    /// The peer reported an error (its text) and ended the session.
    case peerError(String)
    /// A transport failure (socket error text).
    case transport(String)
}

extension SecureCompareError: CustomStringConvertible {
    /// One line a user can act on.
    public var description: String {
        switch self {
        case .channelClosed: return "the connection was closed by the peer"
        case .frameTooLarge(let n): return "the peer announced a message of \(n) bytes, more than allowed (is it a CryptoMask peer of this version?)"
        case .unexpectedMessage(let e, let r): return "protocol error: expected message type \(e), received \(r) (is the peer a CryptoMask peer of this version?)"
        case .malformed(let s): return "malformed message: \(s)"
        case .timeout: return "timed out waiting for the peer"
        case .invalidArgument(let s): return "invalid argument: \(s)"
        case .bfv(let e): return "encryption layer: \(e)"
        case .peerError(let s): return "the peer reported: \(s)"
        case .transport(let s): return "network: \(s)"
        }
    }
}
