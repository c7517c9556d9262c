import FaceMatch
import SecureCompare

/// `cryptomask ping`: a readiness probe for a server, a front or a shard.
enum Ping {
    static let help = """
        usage: cryptomask ping --connect HOST:PORT [--timeout S] [--check]

        Asks a CryptoMask server, front or shard whether it is ready to answer and exits 0 when it
        is, 1 when it is not (not listening, still loading its database, a front that cannot
        reach all its shards) or no answer came within S seconds (default 5). For readiness
        probes (systemd, Kubernetes). The probe sends no query and learns nothing but 'ready'.
        --check only validates the options.
        """

    static func run(_ args: [String]) throws {
        let o = try Options(args, valued: ["connect", "timeout"], boolean: ["check"])
        if o.help { print(help); return }
        let address = try Serve.parseAddress(try o.required("connect"), option: "connect")
        let timeout = try o.double("timeout", default: 5)
        guard timeout > 0 else { throw CLIError("--timeout must be more than 0 seconds", usage: true) }
        if o.flag("check") { print("configuration ok: ping \(address)"); return }
        do {
            let channel = try TCPChannel.connect(host: address.host, port: address.port, timeoutSeconds: timeout, maxFrameSize: 4096)
            defer { channel.close() }
            try channel.send(.ping, [])
            // A shard sends its authentication challenge first; the answer follows it.
            for _ in 0..<2 {
                let (type, payload) = try channel.receiveAny()
                if type == .pong {
                    print("\(address): \(String(decoding: payload.prefix(100), as: UTF8.self))")
                    return
                }
                if type == .error { throw CLIError("\(address) is not ready: \(Console.printable(String(decoding: payload.prefix(300), as: UTF8.self)))") }
            }
            throw CLIError("\(address) did not answer as a CryptoMask server")
        } catch let e as SecureCompareError {
            throw CLIError("\(address) is not ready: \(e)")
        }
    }
}
