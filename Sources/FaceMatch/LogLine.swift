#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Log hygiene for a server: UTC timestamps, and text that came from a peer made harmless
/// before it reaches a log line.
public enum LogLine {
    /// The current UTC time as `YYYY-MM-DDTHH:MM:SS.mmmZ` (ISO 8601).
    public static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = time_t(ts.tv_sec)
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let ms = Int(ts.tv_nsec) / 1_000_000
        let milli = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(milli)Z"
    }

    /// Text a peer sent, quoted for a log line: printable ASCII kept, quotes and backslashes
    /// escaped, everything else (newlines, escape sequences, other control characters,
    /// non-ASCII) written as `\u{XX}`, and at most `cap` characters of it kept (the rest counted).
    /// A peer can therefore neither forge a log line nor move the terminal's cursor.
    public static func peerText(_ text: String, cap: Int = 200) -> String {
        var out = "\""
        var kept = 0
        var dropped = 0
        for scalar in text.unicodeScalars {
            guard kept < cap else { dropped += 1; continue }
            kept += 1
            switch scalar.value {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x20...0x7E: out.unicodeScalars.append(scalar)
            default: out += "\\u{\(String(scalar.value, radix: 16))}"
            }
        }
        out += "\""
        if dropped > 0 { out += " (\(dropped) more characters)" }
        return out
    }
}
