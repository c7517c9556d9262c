import BFV
import SecureCompare

/// Messages between a front and its shards, carried inside the sealed cluster link
/// (docs/DESIGN.md, "Sharded serving"). Result frames keep their client encoding (`.results`).
extension MessageType {
    /// Shard to front, once after authentication: `templates n_s (8) | dimension (4) | instance (8)`.
    static let shardStatus = MessageType(rawValue: 0x33)
    /// Front to shard: `profile (1) | blocks B (4) | public key (rest; empty to only prepare)`.
    static let shardSetup = MessageType(rawValue: 0x34)
    /// Shard to front: the layout is prepared (and the key accepted).
    static let shardReady = MessageType(rawValue: 0x35)
    /// Front to shard: `tau_hat (8) | pieces (4) | pieces x (first row 8 | rows 4 | slot 4) | query`.
    static let shardQuery = MessageType(rawValue: 0x36)
    /// Shard to front: its pieces' accumulated sums, each `length (4) | ciphertext`.
    static let shardPartials = MessageType(rawValue: 0x37)
    /// Shard to front: its shares of its full results' targets, 2 bytes each (LE).
    static let shardShares = MessageType(rawValue: 0x38)
}

/// A run of a shard's rows placed at consecutive slots of a result that several shards fill
/// (the rows left over after the shard's full results): the shard returns the unmasked sum
/// `sum_b Q_b * P_b` for just these rows, and the front adds the pieces of one result.
struct ShardPiece: Sendable, Equatable {
    /// First row (index into the shard's live rows) and number of rows.
    var firstRow: Int
    var rows: Int
    /// Slot of the first row within the result (`0 ..< K`).
    var slot: Int
}

struct ShardStatus: Equatable {
    var templates: Int
    var dimension: Int
    /// 8 bytes of a digest of the shard's rows (count, ids, first and last template): two
    /// entries of a front's `--shards` that reach the same rows (listed twice, under two names,
    /// or two processes serving one file or its copy) would count them twice and leave another
    /// shard's rows out, so the front refuses them.
    var instance: UInt64

    var bytes: [UInt8] {
        var w = ByteWriter()
        w.write(UInt64(templates), width: 8)
        w.write(UInt64(dimension), width: 4)
        w.write(instance, width: 8)
        return w.bytes
    }

    init(templates: Int, dimension: Int, instance: UInt64) { self.templates = templates; self.dimension = dimension; self.instance = instance }

    init(_ bytes: [UInt8]) throws(FaceMatchError) {
        do {
            var r = ByteReader(bytes)
            templates = Int(try r.read(width: 8, "templates"))
            dimension = Int(try r.read(width: 4, "dimension"))
            instance = try r.read(width: 8, "instance")
            try r.finish("shard status")
        } catch { throw FaceMatchError.protocolViolation("malformed shard status") }
        guard templates >= 0, templates <= 1 << 40, dimension >= 1, dimension <= 4096 else {
            throw FaceMatchError.protocolViolation("shard status out of range")
        }
    }
}

struct ShardSetup: Equatable {
    var profile: MatchProfile
    var blocks: Int
    var publicKey: [UInt8]

    var bytes: [UInt8] {
        var w = ByteWriter()
        w.write(profile.rawValue)
        w.write(UInt64(blocks), width: 4)
        w.write(bytes: publicKey)
        return w.bytes
    }

    init(profile: MatchProfile, blocks: Int, publicKey: [UInt8]) { self.profile = profile; self.blocks = blocks; self.publicKey = publicKey }

    init(_ bytes: [UInt8]) throws(FaceMatchError) {
        do {
            var r = ByteReader(bytes)
            guard let p = MatchProfile(rawValue: try r.readByte("profile")) else { throw FaceMatchError.protocolViolation("unknown profile") }
            profile = p
            blocks = Int(try r.read(width: 4, "blocks"))
            publicKey = Array(bytes[5...])
        } catch let e as FaceMatchError { throw e } catch { throw FaceMatchError.protocolViolation("malformed shard setup") }
    }
}

struct ShardQuery: Equatable {
    var tauHat: Int64
    var pieces: [ShardPiece]
    var payload: [UInt8]
    /// At most two pieces per shard (its leftover rows straddle at most one result boundary).
    static let maxPieces = 2

    var bytes: [UInt8] {
        var w = ByteWriter()
        w.write(UInt64(bitPattern: tauHat), width: 8)
        w.write(UInt64(pieces.count), width: 4)
        for p in pieces {
            w.write(UInt64(p.firstRow), width: 8)
            w.write(UInt64(p.rows), width: 4)
            w.write(UInt64(p.slot), width: 4)
        }
        w.write(bytes: payload)
        return w.bytes
    }

    init(tauHat: Int64, pieces: [ShardPiece], payload: [UInt8]) { self.tauHat = tauHat; self.pieces = pieces; self.payload = payload }

    init(_ bytes: [UInt8]) throws(FaceMatchError) {
        do {
            var r = ByteReader(bytes)
            tauHat = Int64(bitPattern: try r.read(width: 8, "threshold"))
            let count = Int(try r.read(width: 4, "pieces"))
            guard count <= ShardQuery.maxPieces else { throw FaceMatchError.protocolViolation("\(count) pieces") }
            pieces = []
            for _ in 0..<count {
                pieces.append(ShardPiece(firstRow: Int(try r.read(width: 8, "first row")), rows: Int(try r.read(width: 4, "rows")),
                                         slot: Int(try r.read(width: 4, "slot"))))
            }
            payload = Array(bytes[(12 + 16 * count)...])
        } catch let e as FaceMatchError { throw e } catch { throw FaceMatchError.protocolViolation("malformed shard query") }
        guard tauHat > 0, tauHat < 1 << 16 else { throw FaceMatchError.protocolViolation("threshold out of range") }
    }
}
