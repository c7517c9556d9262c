#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FaceMatch

/// Output helpers: results on stdout, diagnostics and progress on stderr.
enum Console {
    /// Writes one line to stderr.
    static func error(_ s: String) { writeStderr(s + "\n") }

    /// One server log line on stderr: a UTC timestamp, `cryptomask: ` and the text.
    static func log(_ s: String) { error("\(LogLine.timestamp()) cryptomask: " + s) }

    /// Writes bytes to file descriptor 2 (unbuffered, thread-safe per call).
    static func writeStderr(_ s: String) {
        let bytes = Array(s.utf8)
        let count = bytes.count
        var done = 0
        while done < count {
            let n = bytes.withUnsafeBytes { write(2, $0.baseAddress! + done, count - done) }
            if n <= 0 { return }
            done += n
        }
    }

    /// Whether stderr is a terminal (progress is shown only then).
    static let interactive = isatty(2) == 1

    /// A progress line on stderr (overwritten in place) when stderr is a terminal.
    static func progress(_ s: String) {
        guard interactive else { return }
        writeStderr("\r\u{1B}[K" + s)
    }

    /// Clears the progress line.
    static func endProgress() {
        guard interactive else { return }
        writeStderr("\r\u{1B}[K")
    }

    static func megabytes(_ bytes: Int) -> String {
        let mb = Double(bytes) / 1_000_000
        return "\((mb * 100).rounded() / 100) MB"
    }

    /// "1 row", "2 rows".
    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    static func seconds(_ s: Double) -> String { "\((s * 100).rounded() / 100) s" }

    /// `s` on one line: control characters escaped (`\n`, `\u{1B}`), at most `limit` characters.
    static func printable(_ s: String, limit: Int = 500) -> String {
        var out = ""
        for u in s.unicodeScalars {
            if out.unicodeScalars.count >= limit { out += "..."; break }
            switch u {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\\": out += "\\\\"
            default: out += u.properties.generalCategory == .control ? "\\u{\(String(u.value, radix: 16))}" : String(u)
            }
        }
        return out
    }
}

/// A command-line failure: one clear line on stderr and a non-zero exit.
struct CLIError: Error {
    let message: String
    let usage: Bool
    /// The exit status of a failure (`query --exit-code` makes it 2).
    nonisolated(unsafe) static var failureStatus: Int32 = 1
    /// The exit status of a success (`query --exit-code` makes it 1 for "no match").
    nonisolated(unsafe) static var successStatus: Int32 = 0
    init(_ message: String, usage: Bool = false) { self.message = message; self.usage = usage }
}

/// `--name value` or `--name=value` options and `--flag` switches after the command name.
struct Options {
    var values: [String: String] = [:]
    var flags: Set<String> = []
    var help = false

    init(_ args: [String], valued: Set<String>, boolean: Set<String> = []) throws {
        var rest = args[...]
        while let a = rest.popFirst() {
            if a == "--help" || a == "-h" { help = true; continue }
            guard a.hasPrefix("--"), a.count > 2 else { throw CLIError("unexpected argument '\(a)'", usage: true) }
            var name = String(a.dropFirst(2))
            var inline: String?
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            if boolean.contains(name) {
                guard inline == nil else { throw CLIError("option '--\(name)' takes no value", usage: true) }
                flags.insert(name)
                continue
            }
            guard valued.contains(name) else { throw CLIError("unknown option '--\(name)'", usage: true) }
            guard let v = inline ?? rest.popFirst() else { throw CLIError("option '--\(name)' needs a value", usage: true) }
            guard values[name] == nil else { throw CLIError("option '--\(name)' given twice", usage: true) }
            values[name] = v
        }
    }

    func flag(_ name: String) -> Bool { flags.contains(name) }

    /// A byte count: digits with an optional K, M or G suffix (powers of 1024).
    static func bytes(_ s: String, option: String) throws -> Int {
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        var digits = Substring(s), scale = 1
        if let last = s.last?.uppercased().first, let u = units[last] { digits = s.dropLast(); scale = u }
        guard let v = Int(digits), v >= 0, v <= Int.max / scale else { throw CLIError("--\(option) must be a byte count such as 4G or auto, got '\(s)'", usage: true) }
        return v * scale
    }

    func required(_ name: String) throws -> String {
        guard let v = values[name] else { throw CLIError("missing --\(name)", usage: true) }
        return v
    }

    func int(_ name: String, default d: Int? = nil) throws -> Int {
        guard let s = values[name] else {
            if let d { return d }
            throw CLIError("missing --\(name)", usage: true)
        }
        guard let v = Int(s) else { throw CLIError("--\(name) must be an integer, got '\(s)'", usage: true) }
        return v
    }

    func double(_ name: String, default d: Double? = nil) throws -> Double {
        guard let s = values[name] else {
            if let d { return d }
            throw CLIError("missing --\(name)", usage: true)
        }
        guard let v = Double(s), v.isFinite else { throw CLIError("--\(name) must be a number, got '\(s)'", usage: true) }
        return v
    }
}
