import BFV
import FaceMatch
import SecureCompare

/// One readable line for any error of the library layers. Text the peer sent (an error report)
/// is escaped, capped and labelled as the `peer`'s.
func describe(_ error: Error, peer: String = "server") -> String {
    switch error {
    case let e as FaceMatchError:
        switch e {
        case .invalidEmbedding(let s): return "invalid embedding: \(s)"
        case .invalidParameter(let s): return "invalid parameter: \(s)"
        case .databaseUnavailable(let s): return "database: \(s)"
        case .protocolViolation(let s): return "protocol error: \(s)"
        case .peerError(let s): return "the \(peer)'s error message: \(LogLine.peerText(s))"
        case .bfv(let b): return "encryption layer: \(b)"
        case .secureCompare(let c): return describe(c, peer: peer)
        case .refused(let s): return "refused: \(s)"
        }
    case let c as SecureCompareError:
        switch c {
        case .channelClosed: return "connection closed by the peer"
        case .timeout: return "timed out waiting for the peer"
        case .transport(let s): return s
        case .peerError(let s): return "the \(peer)'s error message: \(LogLine.peerText(s))"
        case .frameTooLarge(let n): return "oversized frame (\(n) bytes)"
        default: return "comparison layer: \(c)"
        }
    default:
        return "\(error)"
    }
}
