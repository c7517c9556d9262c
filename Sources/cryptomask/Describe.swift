import FaceMatch
import SecureCompare

/// One readable line for any error: the library's errors describe themselves (no raw enum
/// values); text the peer sent (an error report) is escaped, capped and labelled as the
/// `peer`'s; anything else is escaped too, so no error can forge a log line.
func describe(_ error: Error, peer: String = "server") -> String {
    switch error {
    case FaceMatchError.peerError(let s), FaceMatchError.secureCompare(.peerError(let s)), SecureCompareError.peerError(let s):
        return "the \(peer)'s error message: \(LogLine.peerText(s))"
    default:
        return Console.printable("\(error)")
    }
}
