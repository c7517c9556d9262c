import Dispatch
import SecureCompare
import Synchronization

/// Where a front finds one of its shards: `host:port` (`[v6 address]:port` for IPv6).
public struct ShardAddress: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public init(host: String, port: Int) { self.host = host; self.port = port }

    /// Parses `host:port` or `[address]:port`.
    /// - Throws: `.invalidParameter` naming the text.
    public init(_ text: String) throws(FaceMatchError) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), port >= 1, port <= 65535 else {
            throw FaceMatchError.invalidParameter("address '\(text)' must be HOST:PORT with a port 1 ... 65535")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            throw FaceMatchError.invalidParameter("address '\(text)': an IPv6 address needs brackets, as in [::1]:7100")
        }
        guard !host.isEmpty else { throw FaceMatchError.invalidParameter("address '\(text)' has no host") }
        guard !host.contains(where: { $0 == " " || $0 == "," || $0 == "\t" }) else {
            throw FaceMatchError.invalidParameter("address '\(text)' contains a space or a comma (list shards as HOST:PORT,HOST:PORT)")
        }
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A front's authenticated link to one shard for one verifier session. Every failure becomes
/// `.shardFailed` naming the shard, so the front ends the query and logs which shard failed.
final class ShardLink: @unchecked Sendable {
    let address: ShardAddress
    let status: ShardStatus
    private let tcp: TCPChannel
    private let link: SealedChannel
    /// Frames read ahead of the relay, at most `maxBuffered` bytes (the rest waits in TCP).
    private let inbox = Mutex<(frames: [(MessageType, [UInt8])], head: Int, bytes: Int, error: FaceMatchError?)>(([], 0, 0, nil))
    private let arrived = DispatchSemaphore(value: 0)
    private let drained = DispatchSemaphore(value: 0)
    static let maxBuffered = 64 << 20

    /// Connects, authenticates and reads the shard's status, within `timeout` seconds per step.
    init(_ address: ShardAddress, key: ClusterKey, timeout: Double) throws(FaceMatchError) {
        self.address = address
        do {
            tcp = try FaceMatchError.wrap { () throws(SecureCompareError) in
                try TCPChannel.connect(host: address.host, port: address.port, timeoutSeconds: timeout)
            }
            link = try ClusterHandshake.asFront(tcp, key: key)
            status = try ShardStatus(link.expect(.shardStatus))
        } catch {
            throw ShardLink.failure(address, error)
        }
    }

    static func failure(_ address: ShardAddress, _ error: FaceMatchError) -> FaceMatchError {
        if case .shardFailed = error { return error }
        // A shard whose rows changed refuses the session's next query; the verifier reconnects
        // (as with a single server), and its new session reads the shards' new sizes.
        if error.reason.contains(MatchServer.databaseChangedMessage) { return .refused(MatchServer.databaseChangedMessage) }
        let text: String
        switch error {
        case .secureCompare(.peerError(let t)), .peerError(let t): text = "it reported: \(LogLine.peerText(t))"
        default: text = error.reason
        }
        return .shardFailed("shard \(address): \(text)")
    }

    /// Bytes sent and received on this link so far (frames as the TCP transport counts them).
    var bytes: Int { let s = tcp.statistics; return s.bytesSent + s.bytesReceived }

    func send(_ type: MessageType, _ payload: [UInt8]) throws(FaceMatchError) {
        do { try link.post(type, payload) } catch { throw ShardLink.failure(address, error) }
    }

    func receive(_ type: MessageType) throws(FaceMatchError) -> [UInt8] {
        do { return try link.expect(type) } catch { throw ShardLink.failure(address, error) }
    }

    /// Starts reading one query's answer on a thread of its own: result frames, then the
    /// partial sums, then the shares (`next` hands them out in order).
    func startReading() {
        _ = DedicatedThread.start { [self] in
            while true {
                let message: (MessageType, [UInt8])
                do throws(FaceMatchError) { message = try link.next() } catch {
                    put(nil, ShardLink.failure(address, error))
                    return
                }
                put(message, nil)
                if message.0 != .results && message.0 != .shardPartials { return }
            }
        }
    }

    private func put(_ message: (MessageType, [UInt8])?, _ error: FaceMatchError?) {
        let full = inbox.withLock { s -> Bool in
            if let message { s.frames.append(message); s.bytes += message.1.count } else { s.error = error }
            return s.bytes > ShardLink.maxBuffered
        }
        arrived.signal()
        if full { drained.wait() }
    }

    /// The next message of the answer being read (waiting for it).
    func next() throws(FaceMatchError) -> (MessageType, [UInt8]) {
        while true {
            let got = inbox.withLock { s -> Result<(MessageType, [UInt8]), FaceMatchError>? in
                if s.head < s.frames.count {
                    let m = s.frames[s.head]
                    s.frames[s.head].1 = []
                    s.head += 1
                    let wasFull = s.bytes > ShardLink.maxBuffered
                    s.bytes -= m.1.count
                    if s.head == s.frames.count { s.frames = []; s.head = 0 }
                    if wasFull && s.bytes <= ShardLink.maxBuffered { drained.signal() }
                    return .success(m)
                }
                if let e = s.error { return .failure(e) }
                return nil
            }
            if let got {
                let m = try got.get()
                if m.0 == .error { throw ShardLink.failure(address, .peerError(String(decoding: m.1.prefix(1000), as: UTF8.self))) }
                return m
            }
            arrived.wait()
        }
    }

    /// Ends the link: a goodbye when it is healthy, then the socket closes.
    func close(politely: Bool) {
        if politely { try? link.send(.bye, []) }
        tcp.close()
        drained.signal()  // a reader waiting for room ends on the closed socket
    }
}
