// TEMPORARY stand-in for the cluster link (replaced by ClusterKey/ClusterHandshake/SealedChannel).
import SecureCompare
import RingArithmetic

public struct ClusterKey: Sendable {
    let bytes: [UInt8]
    public init(bytes: [UInt8]) throws(FaceMatchError) {
        guard bytes.count >= 32 else { throw FaceMatchError.notAuthenticated("short") }
        self.bytes = bytes
    }
    public static let environmentVariable = "CRYPTOMASK_CLUSTER_KEY"
    public static func load(path: String) throws(FaceMatchError) -> ClusterKey {
        var b = try PosixFile.readAll(path)
        while let l = b.last, l == 10 || l == 13 || l == 32 { b.removeLast() }
        return try ClusterKey(bytes: b)
    }
    public static func fromEnvironment() throws(FaceMatchError) -> ClusterKey? { nil }
}

public final class SealedChannel: Channel, @unchecked Sendable {
    public let underlying: Channel
    init(_ c: Channel) { underlying = c }
    public func send(_ type: MessageType, _ payload: [UInt8]) throws(SecureCompareError) { try underlying.send(type, payload) }
    public func receiveAny() throws(SecureCompareError) -> (MessageType, [UInt8]) { try underlying.receiveAny() }
    public var statistics: ChannelStatistics { underlying.statistics }
    public func setPhase(_ name: String) { underlying.setPhase(name) }
}

public enum ClusterHandshake {
    public static func asFront(_ channel: Channel, key: ClusterKey) throws(FaceMatchError) -> SealedChannel {
        let challenge = try channel.expect(MessageType(rawValue: 0x30))
        try channel.post(MessageType(rawValue: 0x31), challenge + key.bytes)
        _ = try channel.expect(MessageType(rawValue: 0x32))
        return SealedChannel(channel)
    }
    public static func asShard(_ channel: Channel, key: ClusterKey) throws(FaceMatchError) -> SealedChannel? {
        try channel.post(MessageType(rawValue: 0x30), [1, 2, 3])
        let (t, proof) = try channel.next()
        if t == .ping { try channel.post(.pong, Array(PingAnswer.ready.utf8)); return nil }
        guard proof == [1, 2, 3] + key.bytes else {
            try? channel.send(.error, Array("cluster authentication failed".utf8))
            throw FaceMatchError.notAuthenticated("wrong key")
        }
        try channel.post(MessageType(rawValue: 0x32), [])
        return SealedChannel(channel)
    }
}
