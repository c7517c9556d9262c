import RingArithmetic
import SecureCompare

/// Cluster link message types (0x33 ... 0x3F are the shard protocol's).
extension MessageType {
    /// Shard to front: `"CMCL" | version (1) | nonce_s (32)`.
    public static let clusterChallenge = MessageType(rawValue: 0x30)
    /// Front to shard: `nonce_f (32) | tag_f (32)`.
    public static let clusterProof = MessageType(rawValue: 0x31)
    /// Shard to front: `tag_s (32)`.
    public static let clusterConfirm = MessageType(rawValue: 0x32)
}

/// Mutual authentication of a front and a shard that share a `ClusterKey`, then a sealed link
/// (docs/DESIGN.md, Cluster link). The shard speaks first:
///
/// 1. shard: challenge `"CMCL" | 1 | nonce_s`, 32 fresh bytes from the system generator;
/// 2. front: `nonce_f | tag_f`, `tag_f = HMAC(K, "CryptoMask cluster front v1" | nonce_s | nonce_f)`;
/// 3. shard: checks `tag_f` in constant time; on failure sends only an error frame
///    "cluster authentication failed" and throws; else sends
///    `tag_s = HMAC(K, "CryptoMask cluster shard v1" | nonce_s | nonce_f)`, which the front checks.
///
/// Each side then derives the cipher and MAC keys of both directions as
/// `HMAC(K, label | nonce_s | nonce_f)` with four more labels. Every label is distinct and the
/// nonces have a fixed length, so no tag or key of one role and purpose equals another's: a
/// tag reflected back to its sender, or replayed from another session (fresh nonces), fails.
public enum ClusterHandshake {
    static let magic: [UInt8] = Array("CMCL".utf8)
    static let version: UInt8 = 1
    static let nonceSize = 32
    /// The only thing a peer that fails authentication is told.
    static let refusal = "cluster authentication failed"

    static let frontLabel = "CryptoMask cluster front v1"
    static let shardLabel = "CryptoMask cluster shard v1"
    static let frontToShardCipher = "CryptoMask cluster front->shard cipher v1"
    static let frontToShardMAC = "CryptoMask cluster front->shard mac v1"
    static let shardToFrontCipher = "CryptoMask cluster shard->front cipher v1"
    static let shardToFrontMAC = "CryptoMask cluster shard->front mac v1"

    /// Runs the front's side over `channel` (connected to a shard).
    /// - Returns: the sealed link; every later frame must go through it.
    /// - Throws: `FaceMatchError.notAuthenticated` when the peer is not a shard holding `key`
    ///   (it is sent an error frame); `.peerError` with the shard's text when the shard refused
    ///   (for instance our key); `.secureCompare` when the channel fails.
    public static func asFront(_ channel: Channel, key: ClusterKey) throws(FaceMatchError) -> SealedChannel {
        let challenge = try receive(.clusterChallenge, on: channel)
        guard challenge.count == magic.count + 1 + nonceSize, Array(challenge.prefix(magic.count)) == magic else {
            try? channel.send(.error, Array(refusal.utf8))
            throw FaceMatchError.notAuthenticated("the peer is not a CryptoMask shard (no valid cluster challenge)")
        }
        guard challenge[magic.count] == version else {
            try? channel.send(.error, Array("unsupported cluster protocol version".utf8))
            throw FaceMatchError.notAuthenticated("the shard speaks cluster protocol version \(challenge[magic.count]), this front speaks \(version)")
        }
        let nonceS = Array(challenge.suffix(nonceSize))
        let nonceF = freshNonce()
        try channel.post(.clusterProof, nonceF + key.tag(frontLabel, nonceS, nonceF))
        let confirm = try receive(.clusterConfirm, on: channel)
        // A fake shard (or one reflecting our own tag_f) cannot produce the shard-labelled tag.
        guard HMAC.constantTimeEqual(confirm, key.tag(shardLabel, nonceS, nonceF)) else {
            try? channel.send(.error, Array(refusal.utf8))
            throw FaceMatchError.notAuthenticated("the shard did not prove that it holds the cluster key")
        }
        return SealedChannel(channel, key: key, nonceS: nonceS, nonceF: nonceF, asFront: true)
    }

    /// Runs the shard's side over `channel` (accepted from a would-be front).
    /// - Returns: the sealed link, on which every later frame must go; nil when the peer was a
    ///   readiness probe (`cryptomask ping`): its `.ping` was answered with `.pong` and
    ///   `PingAnswer.ready`, which is all a peer without the key learns besides the challenge.
    /// - Throws: `FaceMatchError.notAuthenticated` when the peer did not prove it holds `key`
    ///   (it is sent the error frame "cluster authentication failed" and nothing else);
    ///   `.peerError` with the peer's text when it ended the handshake; `.secureCompare` when
    ///   the channel fails.
    public static func asShard(_ channel: Channel, key: ClusterKey) throws(FaceMatchError) -> SealedChannel? {
        let nonceS = freshNonce()
        try channel.post(.clusterChallenge, magic + [version] + nonceS)
        let (type, proof) = try channel.next()
        switch type {
        case .clusterProof: break
        case .ping:
            try channel.post(.pong, Array(PingAnswer.ready.utf8))
            return nil
        case .error:
            throw FaceMatchError.peerError(String(decoding: proof.prefix(1000), as: UTF8.self))
        default:
            // Not a front (a verifier's hello, a stray client): refused like a wrong key.
            try? channel.send(.error, Array(refusal.utf8))
            throw FaceMatchError.notAuthenticated("the peer answered the cluster challenge with message type \(type.rawValue)")
        }
        let nonceF = Array(proof.prefix(nonceSize))
        // nonce_f == nonce_s would be our own challenge sent back: refused like a wrong tag.
        guard proof.count == 2 * nonceSize, nonceF != nonceS,
              HMAC.constantTimeEqual(Array(proof.suffix(nonceSize)), key.tag(frontLabel, nonceS, nonceF)) else {
            try? channel.send(.error, Array(refusal.utf8))
            throw FaceMatchError.notAuthenticated("the peer did not prove that it holds the cluster key")
        }
        try channel.post(.clusterConfirm, key.tag(shardLabel, nonceS, nonceF))
        return SealedChannel(channel, key: key, nonceS: nonceS, nonceF: nonceF, asFront: false)
    }

    /// 32 bytes from the system's cryptographic generator.
    static func freshNonce() -> [UInt8] { Seed.random().bytes }

    /// The next frame, of type `type`; the peer's error frame becomes `.peerError` with its text.
    static func receive(_ type: MessageType, on channel: Channel) throws(FaceMatchError) -> [UInt8] {
        do { return try channel.receive(type) } catch {
            if case .peerError(let text) = error { throw FaceMatchError.peerError(text) }
            throw FaceMatchError.secureCompare(error)
        }
    }
}
