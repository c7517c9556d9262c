import BFV
import SecureCompare

/// The session handshake (docs/DESIGN.md section 5).
///
/// Client hello: `"CMFM" | version (1) | role = 1 (1) | dimension (4 LE)`.
/// Server reply: `"CMFM" | version | role = 0 | profile (1) | BFV fingerprint (8) | dimension (4) |
/// templates n (8) | blocks B (4) | share bits l (1) | queries per key (4)`.
struct Hello: Equatable {
    static let magic: [UInt8] = Array("CMFM".utf8)
    static let version: UInt8 = 1

    var dimension: Int

    /// A reader past the common prefix `magic | version | role`, which it checks.
    static func reader(_ bytes: [UInt8], role: UInt8) throws -> ByteReader {
        var r = ByteReader(bytes)
        guard try r.readBytes(4, "magic") == magic else { throw FaceMatchError.protocolViolation("not a CryptoMask peer") }
        let v = try r.readByte("version")
        guard v == version else { throw FaceMatchError.protocolViolation("unsupported protocol version \(v)") }
        guard try r.readByte("role") == role else { throw FaceMatchError.protocolViolation(role == 1 ? "hello must come from a client" : "reply must come from a server") }
        return r
    }

    var bytes: [UInt8] {
        var w = ByteWriter()
        w.write(bytes: Hello.magic); w.write(Hello.version); w.write(1)
        w.write(UInt64(dimension), width: 4)
        return w.bytes
    }

    init(dimension: Int) { self.dimension = dimension }

    init(_ bytes: [UInt8]) throws(FaceMatchError) {
        do {
            var r = try Hello.reader(bytes, role: 1)
            dimension = Int(try r.read(width: 4, "dimension"))
            try r.finish("hello")
        } catch let e as FaceMatchError { throw e } catch { throw FaceMatchError.protocolViolation("malformed hello: \(error)") }
    }
}

struct HelloReply: Equatable {
    var profile: MatchProfile
    var fingerprint: UInt64
    var dimension: Int
    var count: Int
    var blocks: Int
    var shareBits: Int
    var queriesPerKey: Int

    var bytes: [UInt8] {
        var w = ByteWriter()
        w.write(bytes: Hello.magic); w.write(Hello.version); w.write(0)
        w.write(profile.rawValue)
        w.write(fingerprint, width: 8)
        w.write(UInt64(dimension), width: 4)
        w.write(UInt64(count), width: 8)
        w.write(UInt64(blocks), width: 4)
        w.write(UInt8(shareBits))
        w.write(UInt64(queriesPerKey), width: 4)
        return w.bytes
    }

    init(profile: MatchProfile, fingerprint: UInt64, dimension: Int, count: Int, blocks: Int, shareBits: Int, queriesPerKey: Int) {
        self.profile = profile; self.fingerprint = fingerprint; self.dimension = dimension; self.count = count
        self.blocks = blocks; self.shareBits = shareBits; self.queriesPerKey = queriesPerKey
    }

    init(_ bytes: [UInt8]) throws(FaceMatchError) {
        do {
            var r = try Hello.reader(bytes, role: 0)
            guard let p = MatchProfile(rawValue: try r.readByte("profile")) else { throw FaceMatchError.protocolViolation("unknown profile") }
            profile = p
            fingerprint = try r.read(width: 8, "fingerprint")
            dimension = Int(try r.read(width: 4, "dimension"))
            count = Int(try r.read(width: 8, "count"))
            blocks = Int(try r.read(width: 4, "blocks"))
            shareBits = Int(try r.readByte("share bits"))
            queriesPerKey = Int(try r.read(width: 4, "queries per key"))
            try r.finish("hello reply")
        } catch let e as FaceMatchError { throw e } catch { throw FaceMatchError.protocolViolation("malformed hello reply: \(error)") }
        guard fingerprint == profile.parameters.fingerprint else { throw FaceMatchError.protocolViolation("BFV parameter fingerprint mismatch") }
        guard count >= 1, count <= 1 << 40 else { throw FaceMatchError.protocolViolation("database size \(count)") }
        guard shareBits >= 8, shareBits <= 14, queriesPerKey >= 1 else { throw FaceMatchError.protocolViolation("session limits") }
    }
}

/// A readiness probe (`cryptomask ping`): a `.ping` frame in place of the hello is answered
/// with `.pong` carrying `PingAnswer.ready`, and the session ends. A shard answers it in place of
/// its authentication (it reveals nothing but being up); a front answers it only when it could
/// reach every shard.
public enum PingAnswer {
    /// The pong's text.
    public static let ready = "ready"
}

/// Contexts of the two profiles, built once per process.
enum Contexts {
    static let small: BFVContext = (try? BFVContext(MatchProfile.small.parameters))!
    static let large: BFVContext = (try? BFVContext(MatchProfile.large.parameters))!
    static func of(_ p: MatchProfile) -> BFVContext { p == .small ? small : large }
}

/// Byte counts of one query, split by layer.
public struct QueryStatistics: Sendable, Equatable {
    /// Wall-clock seconds of the query at this party.
    public var seconds: Double = 0
    /// Bytes this party sent during the query.
    public var bytesSent = 0
    /// Bytes this party received during the query.
    public var bytesReceived = 0
    /// Bytes of the homomorphic part (query and result frames).
    public var heBytes = 0
    /// Bytes of the comparison and OR part.
    public var compareBytes = 0
}
