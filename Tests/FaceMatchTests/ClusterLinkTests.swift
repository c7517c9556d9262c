import Dispatch
import Foundation
import Testing
import FaceMatch
import SecureCompare
import Synchronization

/// A channel that passes frames on to `inner`, letting a test record, alter, drop, duplicate
/// or reorder the frames it sends (an attacker on the wire).
final class TappedChannel: Channel, @unchecked Sendable {
    typealias Frame = (type: MessageType, payload: [UInt8])
    let inner: InMemoryChannel
    private let lock = NSLock()
    private var _rewrite: ((Frame) -> [Frame])?
    private var _sent: [Frame] = []

    init(_ inner: InMemoryChannel) { self.inner = inner }

    /// From now on each sent frame is replaced by what `f` returns (nil: passed as is).
    var rewrite: ((Frame) -> [Frame])? {
        get { lock.withLock { _rewrite } }
        set { lock.withLock { _rewrite = newValue } }
    }
    /// Every frame as it went on the wire.
    var sent: [Frame] { lock.withLock { _sent } }

    func send(_ type: MessageType, _ payload: [UInt8]) throws(SecureCompareError) {
        let frames = rewrite?((type, payload)) ?? [(type, payload)]
        for f in frames {
            lock.withLock { _sent.append(f) }
            try inner.send(f.type, f.payload)
        }
    }
    func receiveAny() throws(SecureCompareError) -> (MessageType, [UInt8]) { try inner.receiveAny() }
    var statistics: ChannelStatistics { inner.statistics }
    func setPhase(_ name: String) { inner.setPhase(name) }
}

/// Both ends of one handshake: the front's over a `TappedChannel`, the shard's on another thread.
struct HandshakePair {
    let front: Result<SealedChannel, FaceMatchError>
    let shard: Result<SealedChannel, FaceMatchError>
    /// The front's sending side (shard-bound frames can be altered here).
    let frontWire: TappedChannel
    /// The shard's sending side.
    let shardWire: TappedChannel

    init(front frontKey: ClusterKey, shard shardKey: ClusterKey) {
        let (a, b) = InMemoryChannel.pair(timeout: 60)
        let frontSide = TappedChannel(a), shardSide = TappedChannel(b)
        let box = Box<Result<SealedChannel, FaceMatchError>>()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            box.value = Result { () throws(FaceMatchError) -> SealedChannel in
                guard let sealed = try ClusterHandshake.asShard(shardSide, key: shardKey) else { throw FaceMatchError.protocolViolation("taken for a ping") }
                return sealed
            }
        }
        front = Result { () throws(FaceMatchError) in try ClusterHandshake.asFront(frontSide, key: frontKey) }
        group.wait()
        shard = box.value!
        frontWire = frontSide
        shardWire = shardSide
    }

    /// Both sealed ends of a handshake that must succeed.
    func ends() throws -> (front: SealedChannel, shard: SealedChannel) { (try front.get(), try shard.get()) }
}

/// The error a `Result` holds, if any.
func clusterFailure<T>(_ r: Result<T, FaceMatchError>) -> FaceMatchError? {
    if case .failure(let e) = r { return e }
    return nil
}

func isNotAuthenticatedError(_ e: FaceMatchError?) -> Bool {
    if case .notAuthenticated = e { return true }
    return false
}

/// A refused key or key file: `.invalidParameter` (a file problem is not a failed authentication).
func isKeyError(_ e: FaceMatchError?) -> Bool {
    if case .invalidParameter = e { return true }
    return false
}

/// The error of a receive that must fail.
func sealedReceiveError(_ channel: Channel) -> SecureCompareError? {
    do { _ = try channel.receiveAny(); return nil } catch { return error }
}

@Suite("Cluster link: key, handshake, sealed frames")
struct ClusterLinkTests {
    static let keyText = "5f0c6a1e9b2d47c38e1f0a9b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d"
    let key = try! ClusterKey(bytes: Array(ClusterLinkTests.keyText.utf8))
    let otherKey = try! ClusterKey(bytes: Array("another cluster, another key, 40 bytes".utf8))

    @Test("same key: the handshake succeeds and frames of any size round-trip both ways")
    func roundTrip() throws {
        let link = HandshakePair(front: key, shard: key)
        let (front, shard) = try link.ends()
        let big = (0..<(5 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) }
        let payloads: [[UInt8]] = [[], [7], Array("partial sums".utf8), big, []]
        for (i, p) in payloads.enumerated() {
            try front.send(MessageType(rawValue: 0x33 + UInt8(i)), p)
            let (t, q) = try shard.receiveAny()
            #expect(t.rawValue == 0x33 + UInt8(i) && q == p, "frame \(i) to the shard")
            try shard.send(MessageType(rawValue: 0x3A), p)
            #expect(try front.receive(MessageType(rawValue: 0x3A)) == p, "frame \(i) to the front")
        }
        // On the wire: type in clear, payload 16 bytes longer, no plaintext visible.
        let onWire = link.frontWire.sent.suffix(payloads.count)
        #expect(onWire.map(\.payload.count) == payloads.map { $0.count + SealedChannel.tagSize })
        #expect(onWire.map(\.type.rawValue) == (0..<payloads.count).map { 0x33 + UInt8($0) })
        let sealedBig = onWire[onWire.startIndex + 3].payload
        #expect(sealedBig.prefix(64) != big.prefix(64))
        #expect(zip(sealedBig, big).filter { $0 == $1 }.count < big.count / 128, "ciphertext looks like its plaintext")
        // A sealed error frame surfaces as the peer's text.
        try shard.send(.error, Array("shard out of memory".utf8))
        #expect(throws: SecureCompareError.peerError("shard out of memory")) { try front.receive(MessageType(rawValue: 0x3A)) }
        // Statistics and phases are the underlying channel's.
        front.setPhase("results")
        try front.send(MessageType(rawValue: 0x34), [1, 2, 3])
        #expect(front.statistics.phases["results"]?.sent == frameHeaderSize + 3 + SealedChannel.tagSize)
        #expect(front.statistics == front.underlying.statistics)
    }

    @Test("over loopback TCP: the handshake and a multi-MB sealed frame each way")
    func overTCP() throws {
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        let payload = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 40503 >> 5) }
        let shardResult = Box<Result<[UInt8], any Error>>()
        let group = DispatchGroup()
        let shardKey = key
        DispatchQueue.global().async(group: group) {
            shardResult.value = Result {
                let connection = try listener.accept()
                defer { connection.close() }
                guard let sealed = try ClusterHandshake.asShard(connection, key: shardKey) else { throw FaceMatchError.protocolViolation("taken for a ping") }
                let received = try sealed.receive(MessageType(rawValue: 0x33))
                try sealed.send(MessageType(rawValue: 0x34), received.reversed())
                return received
            }
        }
        let connection = try TCPChannel.connect(host: "127.0.0.1", port: listener.port, timeoutSeconds: 60)
        defer { connection.close() }
        let front = try ClusterHandshake.asFront(connection, key: key)
        #expect(front.underlying is SessionTransport, "the lead reaches the deadlines through underlying")
        try front.send(MessageType(rawValue: 0x33), payload)
        #expect(try front.receive(MessageType(rawValue: 0x34)) == payload.reversed())
        group.wait()
        #expect(try shardResult.value!.get() == payload)
        #expect(front.statistics.bytesSent == connection.statistics.bytesSent)
    }

    @Test("wrong key at the front: the shard refuses, the front gets the error text and nothing else")
    func wrongKey() {
        let link = HandshakePair(front: otherKey, shard: key)
        #expect(isNotAuthenticatedError(clusterFailure(link.shard)))
        #expect(clusterFailure(link.front) == .peerError("cluster authentication failed"))
        // The shard sent its challenge and the error frame, nothing more.
        #expect(link.shardWire.sent.map(\.type) == [.clusterChallenge, .error])
        #expect(link.shardWire.sent[1].payload == Array("cluster authentication failed".utf8))
    }

    /// Runs the front against `fake`, a shard played by the test on the other end.
    func frontAgainst(_ fake: @escaping @Sendable (InMemoryChannel) throws -> Void) -> FaceMatchError? {
        let (a, b) = InMemoryChannel.pair(timeout: 60)
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { try? fake(b) }
        let result = Result { () throws(FaceMatchError) in try ClusterHandshake.asFront(a, key: key) }
        a.close()
        group.wait()
        return clusterFailure(result)
    }

    /// Runs the shard against `fake`, a front played by the test.
    func shardAgainst(_ fake: @escaping @Sendable (InMemoryChannel) throws -> Void) -> (FaceMatchError?, [MessageType]) {
        let (a, b) = InMemoryChannel.pair(timeout: 60)
        let wire = TappedChannel(a)
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { try? fake(b) }
        let result = Result { () throws(FaceMatchError) in try ClusterHandshake.asShard(wire, key: key) }
        a.close()
        group.wait()
        return (clusterFailure(result), wire.sent.map(\.type))
    }

    @Test("a fake shard without the key is refused, also when it reflects the front's own tag")
    func fakeShard() {
        let challenge = Array("CMCL".utf8) + [1] + [UInt8](repeating: 9, count: 32)
        let guessing = frontAgainst { ch in
            try ch.send(.clusterChallenge, challenge)
            _ = try ch.receive(.clusterProof)
            try ch.send(.clusterConfirm, [UInt8](repeating: 0x5A, count: 32))
        }
        #expect(isNotAuthenticatedError(guessing), "\(String(describing: guessing))")
        // Reflection: the front's tag_f sent back as the shard's tag_s.
        let reflecting = frontAgainst { ch in
            try ch.send(.clusterChallenge, challenge)
            let proof = try ch.receive(.clusterProof)
            try ch.send(.clusterConfirm, Array(proof.suffix(32)))
        }
        #expect(isNotAuthenticatedError(reflecting), "\(String(describing: reflecting))")
        // Not a shard at all: a bad challenge.
        let stranger = frontAgainst { ch in try ch.send(.clusterChallenge, Array("HELLO".utf8)) }
        #expect(isNotAuthenticatedError(stranger))
    }

    @Test("a fake front is refused: reflected challenge, its nonce as ours, a replayed proof, another protocol")
    func fakeFront() throws {
        // A proof recorded from a real session with the same key.
        let recorded = HandshakePair(front: key, shard: key)
        _ = try recorded.ends()
        let oldProof = recorded.frontWire.sent.first { $0.type == .clusterProof }!.payload
        let attacks: [(String, @Sendable (InMemoryChannel) throws -> Void)] = [
            ("challenge sent back as the proof", { ch in try ch.send(.clusterProof, try ch.receive(.clusterChallenge)) }),
            ("challenge sent back as a challenge", { ch in try ch.send(.clusterChallenge, try ch.receive(.clusterChallenge)) }),
            ("nonce_s as nonce_f", { ch in
                let c = try ch.receive(.clusterChallenge)
                try ch.send(.clusterProof, Array(c.suffix(32)) + Array(c.suffix(32)))
            }),
            ("replayed proof", { ch in _ = try ch.receive(.clusterChallenge); try ch.send(.clusterProof, oldProof) }),
            ("a verifier's hello", { ch in _ = try ch.receive(.clusterChallenge); try ch.send(MessageType(rawValue: 0x01), [1, 2, 3]) }),
        ]
        // A readiness probe is answered in place of authentication, and learns only "ready".
        let (pingError, pingSent) = shardAgainst { ch in _ = try ch.receive(.clusterChallenge); try ch.send(.ping, []) }
        #expect(pingError == nil && pingSent == [.clusterChallenge, .pong])
        for (name, attack) in attacks {
            let (error, sent) = shardAgainst(attack)
            #expect(isNotAuthenticatedError(error), "\(name): \(String(describing: error))")
            #expect(sent == [.clusterChallenge, .error], "\(name): the shard sent \(sent.map(\.rawValue))")
        }
    }

    enum Tampering: String, CaseIterable { case ciphertext, tag, type, truncated }

    @Test("a tampered frame is rejected, and so is everything after it", arguments: Tampering.allCases)
    func tampered(how: Tampering) throws {
        let link = HandshakePair(front: key, shard: key)
        let (front, shard) = try link.ends()
        try front.send(MessageType(rawValue: 0x33), Array("before".utf8))
        link.frontWire.rewrite = { f in
            var p = f.payload
            switch how {
            case .ciphertext: p[2] ^= 0x10
            case .tag: p[p.count - 1] ^= 0x01
            case .type: return [(MessageType(rawValue: 0x34), p)]
            case .truncated: p = Array(p.prefix(15))
            }
            return [(f.type, p)]
        }
        try front.send(MessageType(rawValue: 0x33), Array("the server's shares".utf8))
        link.frontWire.rewrite = nil
        try front.send(MessageType(rawValue: 0x33), Array("after".utf8))
        #expect(try shard.receive(MessageType(rawValue: 0x33)) == Array("before".utf8))
        guard case .malformed(let text) = sealedReceiveError(shard) else { Issue.record("tampering (\(how)) not detected"); return }
        #expect(text.contains(how == .truncated ? "shorter" : "failed authentication"))
        #expect(sealedReceiveError(shard) != nil, "the link must stay dead after a bad frame")
    }

    @Test("a replayed, reordered or dropped frame is rejected", arguments: ["replayed", "reordered", "dropped"])
    func replayed(how: String) throws {
        let link = HandshakePair(front: key, shard: key)
        let (front, shard) = try link.ends()
        let held = Box<TappedChannel.Frame>()
        link.frontWire.rewrite = { f in
            switch how {
            case "replayed": return [f, f]
            case "dropped": return []
            default:
                guard let first = held.value else { held.value = f; return [] }
                return [f, first]
            }
        }
        try front.send(MessageType(rawValue: 0x33), [1])
        if how == "reordered" { try front.send(MessageType(rawValue: 0x33), [2]) }
        link.frontWire.rewrite = nil
        if how == "dropped" { try front.send(MessageType(rawValue: 0x33), [2]) }
        if how == "replayed" { #expect(try shard.receive(MessageType(rawValue: 0x33)) == [1]) }
        guard case .malformed = sealedReceiveError(shard) else { Issue.record("\(how) frame not detected"); return }
    }

    @Test("two sessions under one key, and two frames in one session, encrypt the same plaintext differently")
    func freshKeys() throws {
        let plaintext = [UInt8](repeating: 0, count: 256)
        var seen: [[UInt8]] = []
        for _ in 0..<2 {
            let link = HandshakePair(front: key, shard: key)
            let (front, shard) = try link.ends()
            for _ in 0..<2 {
                try front.send(MessageType(rawValue: 0x33), plaintext)
                #expect(try shard.receive(MessageType(rawValue: 0x33)) == plaintext)
                seen.append(link.frontWire.sent.last!.payload)
            }
            // The handshake's nonces are fresh too.
            seen.append(link.shardWire.sent.first!.payload)
        }
        #expect(Set(seen).count == seen.count)
    }

    /// A fresh directory under the temporary folder, removed by the caller.
    func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("clusterkey-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    func write(_ text: String, to path: String, mode: Int) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    func loadError(_ path: String) -> FaceMatchError? {
        do { _ = try ClusterKey.load(path: path); return nil } catch { return error }
    }

    @Test("key files: 0600 and 0400 load (also through a link), 0644 is refused with 'chmod 600', short, empty and missing are refused")
    func keyFiles() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/cluster.key"
        try write(ClusterLinkTests.keyText + "\n", to: path, mode: 0o600)
        let loaded = try ClusterKey.load(path: path)
        // The file's key (trailing newline stripped) is the same key: a handshake works.
        #expect(throws: Never.self) { try HandshakePair(front: loaded, shard: key).ends() }
        try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: path)
        #expect(loadError(path) == nil)
        let link = dir + "/linked.key"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        #expect(loadError(link) == nil)

        for mode in [0o644, 0o640, 0o604, 0o620] {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            for p in [path, link] {
                let e = loadError(p)
                #expect(isKeyError(e) && e!.reason.contains("chmod 600 \(p)"), "mode \(String(mode, radix: 8)): \(String(describing: e))")
                #expect(!(e?.description.contains(ClusterLinkTests.keyText.prefix(8)) ?? false))
            }
        }
        let cases: [(String, String)] = [(String(repeating: "a", count: 31) + "\n \t\r\n", "31 bytes"), ("", "empty"), ("\n\n", "empty")]
        for (text, expected) in cases {
            try write(text, to: path, mode: 0o600)
            let e = loadError(path)
            #expect(isKeyError(e) && e!.reason.contains(expected), "\(String(describing: e))")
        }
        let missing = loadError(dir + "/absent.key")
        #expect(isKeyError(missing) && missing!.reason.contains("does not exist"))
        #expect(isKeyError(loadError(dir)))
        let fifo = dir + "/fifo.key"
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(isKeyError(loadError(fifo)), "a FIFO is not a key file (and must not block)")
        #expect(throws: FaceMatchError.self) { try ClusterKey(bytes: [UInt8](repeating: 1, count: 31)) }
        #expect(throws: Never.self) { try ClusterKey(bytes: [UInt8](repeating: 1, count: 32)) }
    }

    @Test("the environment variable: unset is nil, too short is refused, a key works")
    func environment() throws {
        let name = ClusterKey.environmentVariable
        #expect(name == "CRYPTOMASK_CLUSTER_KEY")
        unsetenv(name)
        #expect(try ClusterKey.fromEnvironment() == nil)
        setenv(name, "short", 1)
        #expect(isKeyError(clusterFailure(Result { () throws(FaceMatchError) in try ClusterKey.fromEnvironment() })))
        setenv(name, ClusterLinkTests.keyText, 1)
        let fromEnvironment = try #require(try ClusterKey.fromEnvironment())
        unsetenv(name)
        #expect(throws: Never.self) { try HandshakePair(front: fromEnvironment, shard: key).ends() }
    }

    @Test("the key never appears in its description, reflection or dump")
    func redacted() throws {
        let link = HandshakePair(front: key, shard: key)
        let (front, _) = try link.ends()
        let bytes = Array(ClusterLinkTests.keyText.utf8)
        for value in [key as Any, front as Any] {
            var dumped = ""
            dump(value, to: &dumped)
            for text in [String(describing: value), String(reflecting: value), dumped] {
                #expect(text.contains("redacted"), "\(text)")
                #expect(!text.contains(ClusterLinkTests.keyText.prefix(8)), "\(text)")
                #expect(!text.contains("\(bytes.prefix(4))".dropLast()), "\(text)")
                #expect(text.count < 200, "\(text)")
            }
        }
    }
}
