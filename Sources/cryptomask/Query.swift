#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FaceMatch

enum Query {
    static let help = """
        usage: cryptomask query --server HOST:PORT --embedding X.npy [--rows all|I|A-B] [--json] [--exit-code] [--timeout S] [--wait]

        Asks the server whether each selected probe (rows of X.npy; default row 0; --row I is the
        same as --rows I) matches anyone in its database. All probes are checked before
        connecting, and share one session: one key and OT set-up (a new session is opened
        when the server's per-key query budget runs out).

        "The database changed" is followed at once by a new session, and "busy" on a reconnect
        (the server may still count the previous session) after a short wait. With --wait, a
        rate limit is waited out as long as the server says and "busy" retried too, so a large
        batch runs at the server's rate; without it, a batch cut short says where to resume.

        Output: one probe prints 'match' or 'no match' as its last line; several print one line
        'row I: match' each. --json prints one JSON object per probe (row, match, bytesSent,
        bytesReceived, seconds; the first also counts the session set-up). The verifier learns one
        bit per probe; the server learns nothing.

        --timeout bounds connecting, every wait for the server and every frame's grace
        (default 60 s).

        Exit status: 0 when the query ran, 1 on an error, 2 on a usage error. With --exit-code:
        0 when some probe matched, 1 when none did, 2 on any error.
        """

    static func run(_ args: [String]) throws {
        let o = try Options(args, valued: ["server", "embedding", "row", "rows", "timeout"], boolean: ["json", "exit-code", "wait"])
        if o.flag("exit-code") { CLIError.failureStatus = 2 }
        if o.help { print(help); return }
        let address = try o.required("server")
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), port > 0, port <= 65535 else {
            throw CLIError("--server must be HOST:PORT, got '\(address)'", usage: true)
        }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let embeddingPath = try o.required("embedding")
        let array = try readProbes(embeddingPath)
        guard o.values["row"] == nil || o.values["rows"] == nil else { throw CLIError("give --row or --rows, not both", usage: true) }
        guard array.rows > 0 else { throw CLIError("\(embeddingPath) has no rows") }
        let rows = try selectRows(o.values["rows"] ?? o.values["row"] ?? "0", count: array.rows)
        // Every probe is validated before any byte goes to the server.
        for r in rows {
            do { _ = try Embedding.quantized(array.row(r)) } catch { throw CLIError("\(embeddingPath) row \(r): \(error.reason)") }
        }
        let timeout = try o.values["timeout"].map { s -> Double in
            guard let v = Double(s), v.isFinite, v > 0 else { throw CLIError("--timeout must be a positive number of seconds, got '\(s)'", usage: true) }
            return v
        } ?? 60
        let single = rows.count == 1
        var matched = false
        var client: (MatchClient, TCPChannel)?
        defer { if let (c, ch) = client { try? c.close(); ch.close() } }
        var retries = 0
        for (k, r) in rows.enumerated() {
            var answer: MatchResult?
            while answer == nil {
                do throws(FaceMatchError) {
                    if client == nil || client!.0.queriesRemaining == 0 {
                        if let (c, ch) = client { try? c.close(); ch.close() }
                        client = nil
                        Console.progress("connecting to \(address)")
                        let channel: TCPChannel
                        do { channel = try TCPChannel.connect(host: host, port: port, timeoutSeconds: timeout) } catch { throw FaceMatchError.secureCompare(error) }
                        let c = MatchClient(channel: channel, dimension: array.columns)
                        client = (c, channel)
                        try c.connect()
                    }
                    Console.progress("querying \(single ? "" : "row \(r) (\(k + 1) of \(rows.count))")")
                    answer = try client!.0.query(array.row(r))
                } catch {
                    // Answers the server asks us to retry: its database changed (a new session sees
                    // the new snapshot), our previous session still counts as open ("busy"), or the
                    // rate limit (wait as long as it says). Anything else ends the command.
                    guard let wait = retryDelay(error, attempt: retries, reconnecting: k > 0 || retries > 0, patient: o.flag("wait")) else {
                        if k == 0 { throw error }
                        // Say where to resume a batch cut short (e.g. by the rate limit).
                        throw CLIError("\(describe(error)); rows before \(r) were answered (resume with --rows \(r)-\(rows.last!))")
                    }
                    retries += 1
                    if let (_, ch) = client { ch.close() }
                    client = nil
                    if wait > 1 { Console.progress("the server asks to wait: \(Int(wait)) s (\(describe(error)))") }
                    usleep(UInt32(wait * 1_000_000))
                }
            }
            retries = 0
            let channel = client!.1, result = answer!
            Console.endProgress()
            matched = matched || result.isMatch
            if o.flag("json") {
                // The first query of a session also counts the session's set-up bytes.
                let s = result.statistics, after = channel.statistics
                let sent = k == 0 ? after.bytesSent : s.bytesSent, received = k == 0 ? after.bytesReceived : s.bytesReceived
                print(JSONLine.encode(["row": r, "match": result.isMatch, "bytesSent": sent, "bytesReceived": received, "seconds": s.seconds]))
            } else {
                print(single ? (result.isMatch ? "match" : "no match") : "row \(r): \(result.isMatch ? "match" : "no match")")
            }
            // Each answer reaches a pipe or file as soon as it is known.
            fflush(nil)
        }
        if o.flag("exit-code") && !matched { CLIError.successStatus = 1 }
    }

    /// Seconds to wait before asking again, or nil when `error` is not worth a retry (or
    /// `attempt` retries of this probe were made already). "busy" is retried when reconnecting
    /// (the server may still count our previous session) or when `patient`; a rate limit only
    /// when `patient` (`--wait`).
    static func retryDelay(_ error: FaceMatchError, attempt: Int, reconnecting: Bool, patient: Bool) -> Double? {
        let text = "\(error)"
        if text.contains(MatchServer.databaseChangedMessage) { return attempt < 10 ? 0 : nil }
        if text.contains("busy:") {
            return (reconnecting || patient) && attempt < 15 ? min(2, 0.1 * Double(1 << min(attempt, 5))) : nil
        }
        // "rate limited: ... retry in N s"
        if patient, text.contains("rate limited"), let r = text.range(of: "retry in ") {
            let seconds = Double(text[r.upperBound...].prefix { $0.isNumber }) ?? 1
            return attempt < 1000 && seconds <= 120 ? seconds : nil
        }
        return nil
    }

    /// The probes in the `.npy` file at `path` (a 1-D array is one probe); errors name the file.
    static func readProbes(_ path: String) throws(FaceMatchError) -> NumpyArray {
        let bytes = try readFileBytes(path)
        do { return try NumpyArray(npy: bytes, allowVector: true) } catch {
            if case .invalidParameter(let s) = error { throw FaceMatchError.invalidParameter("\(path): \(s)") }
            throw error
        }
    }

    /// `all`, `I` or `A-B` (inclusive) over `count` rows.
    static func selectRows(_ spec: String, count: Int) throws -> [Int] {
        if spec == "all" { return Array(0..<count) }
        let parts = spec.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let a = Int(parts[0]), let b = Int(parts.last!), a <= b else {
            throw CLIError("--rows must be all, I or A-B, got '\(spec)'", usage: true)
        }
        guard a >= 0, b < count else { throw CLIError("rows \(spec): the file has rows 0 to \(count - 1)", usage: true) }
        return Array(a...b)
    }
}
