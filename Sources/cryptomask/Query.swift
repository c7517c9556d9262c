import FaceMatch

enum Query {
    static let help = """
        usage: cryptomask query --server HOST:PORT --embedding X.npy [--row I] [--json] [--timeout S]

        Asks the server whether the embedding (row I of X.npy, default 0) matches anyone in its
        database. Prints 'match' or 'no match' as the last line, or with --json one object with
        match, bytesSent, bytesReceived and seconds. Learns one bit; the server learns nothing.
        --timeout bounds connecting, every wait for the server and every frame's grace
        (default 60 s).
        """

    static func run(_ args: [String]) throws {
        let o = try Options(args, valued: ["server", "embedding", "row", "timeout"], boolean: ["json"])
        if o.help { print(help); return }
        let address = try o.required("server")
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), port > 0, port <= 65535 else {
            throw CLIError("--server must be HOST:PORT, got '\(address)'")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let array = try NumpyArray(npy: readFileBytes(try o.required("embedding")), allowVector: true)
        let row = try o.int("row", default: 0)
        guard row >= 0, row < array.rows else { throw CLIError("--row \(row) is outside 0 ..< \(array.rows)") }
        let embedding = array.row(row)
        Console.progress("connecting to \(address)")
        let timeout = try o.values["timeout"].map { s -> Double in
            guard let v = Double(s), v.isFinite, v > 0 else { throw CLIError("--timeout must be a positive number of seconds, got '\(s)'") }
            return v
        } ?? 60
        let channel = try TCPChannel.connect(host: host, port: port, timeoutSeconds: timeout)
        defer { channel.close() }
        let client = MatchClient(channel: channel, dimension: array.columns)
        try client.connect()
        Console.progress("querying")
        let result = try client.query(embedding)
        try? client.close()
        Console.endProgress()
        let s = result.statistics
        if o.flags.contains("json") {
            let total = channel.statistics
            print("{\"match\":\(result.isMatch),\"bytesSent\":\(total.bytesSent),\"bytesReceived\":\(total.bytesReceived),\"seconds\":\(s.seconds)}")
        } else {
            print(result.isMatch ? "match" : "no match")
        }
    }
}
