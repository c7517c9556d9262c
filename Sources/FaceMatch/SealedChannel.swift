import RingArithmetic
import SecureCompare
import Synchronization

/// A `Channel` whose frames are encrypted and authenticated (docs/DESIGN.md, Cluster link).
/// Made by `ClusterHandshake`. A frame's type byte stays in clear; its payload becomes
/// `ChaCha20(cipher key, nonce = frame counter) XOR plaintext | tag`, where
/// `tag = HMAC-SHA-256(MAC key, counter (12 bytes LE) | type | ciphertext)` truncated to 16
/// bytes. Each direction has its own keys and counter, starting at 0 and advancing by one per
/// frame. The receiver checks the tag in constant time before decrypting; a tampered, replayed,
/// reordered or dropped frame (the counter differs) or a payload shorter than the tag throws
/// `SecureCompareError.malformed`, and every later receive throws the same.
///
/// Sealed frames are `tagSize` (16) bytes longer than their plaintext: frame limits and
/// `maxFrameSize` of the underlying channel count them. Sends are serialized by a lock (the
/// counter order is the wire order), receives by another; a send and a receive may run at once.
public final class SealedChannel: Channel {
    /// Bytes a sealed frame adds to its plaintext: the truncated HMAC-SHA-256 tag.
    public static let tagSize = 16

    /// The channel the sealed frames travel on (for its deadlines and frame limits:
    /// `(sealed.underlying as? SessionTransport)?.expect(...)`). Sending on it directly breaks
    /// the link.
    public let underlying: Channel

    /// One direction's keys and frame counter.
    struct Direction: Sendable {
        /// ChaCha20 key as eight little-endian words.
        let cipherKey: [UInt32]
        /// HMAC-SHA-256 under the direction's MAC key.
        let mac: HMAC
        var counter: UInt64 = 0
        /// The error of a frame that failed to open: the direction is dead from then on.
        var failure: SecureCompareError?

        init(cipherKey: [UInt8], macKey: [UInt8]) {
            self.cipherKey = (0..<8).map { i in (0..<4).reduce(UInt32(0)) { $0 | UInt32(cipherKey[4 * i + $1]) << (8 * UInt32($1)) } }
            mac = HMAC(key: macKey)
        }
    }

    private let sending: Mutex<Direction>
    private let receiving: Mutex<Direction>

    /// The link after a successful handshake with nonces `nonceS` and `nonceF`.
    init(_ channel: Channel, key: ClusterKey, nonceS: [UInt8], nonceF: [UInt8], asFront: Bool) {
        typealias H = ClusterHandshake
        let frontToShard = Direction(cipherKey: key.tag(H.frontToShardCipher, nonceS, nonceF), macKey: key.tag(H.frontToShardMAC, nonceS, nonceF))
        let shardToFront = Direction(cipherKey: key.tag(H.shardToFrontCipher, nonceS, nonceF), macKey: key.tag(H.shardToFrontMAC, nonceS, nonceF))
        underlying = channel
        sending = Mutex(asFront ? frontToShard : shardToFront)
        receiving = Mutex(asFront ? shardToFront : frontToShard)
    }

    /// Seals and sends one frame.
    /// - Throws: what the underlying channel throws (`.frameTooLarge` counts the 16-byte tag).
    public func send(_ type: MessageType, _ payload: [UInt8]) throws(SecureCompareError) {
        try sending.withLock { (d: inout Direction) throws(SecureCompareError) in
            let frame = SealedChannel.seal(type, payload, d)
            d.counter += 1
            try underlying.send(type, frame)
        }
    }

    /// Receives and opens the next frame.
    /// - Throws: `.malformed` for a frame that fails authentication or is shorter than the tag
    ///   (and for every frame after it), and what the underlying channel throws.
    public func receiveAny() throws(SecureCompareError) -> (MessageType, [UInt8]) {
        try receiving.withLock { (d: inout Direction) throws(SecureCompareError) -> (MessageType, [UInt8]) in
            if let failure = d.failure { throw failure }
            var (type, frame) = try underlying.receiveAny()
            guard SealedChannel.open(type, &frame, d) else {
                let failure = SecureCompareError.malformed(frame.count < SealedChannel.tagSize
                    ? "a sealed cluster frame is shorter than its \(SealedChannel.tagSize)-byte tag"
                    : "a sealed cluster frame failed authentication (tampered, replayed, reordered or dropped on the way)")
                d.failure = failure
                throw failure
            }
            d.counter += 1
            return (type, frame)
        }
    }

    /// The underlying channel's counters (sealed sizes).
    public var statistics: ChannelStatistics { underlying.statistics }

    /// Names the phase on the underlying channel.
    public func setPhase(_ name: String) { underlying.setPhase(name) }

    /// The ChaCha20 nonce of frame `counter`: its 64 bits little-endian, then 32 zero bits.
    static func nonce(_ counter: UInt64) -> (UInt32, UInt32, UInt32) {
        (UInt32(truncatingIfNeeded: counter), UInt32(truncatingIfNeeded: counter >> 32), 0)
    }

    /// The 16-byte tag of `ciphertext` sent as frame `d.counter` of type `type`.
    static func tag(_ type: MessageType, _ ciphertext: UnsafeRawBufferPointer, _ d: Direction) -> [UInt8] {
        var h = d.mac
        var header = [UInt8](repeating: 0, count: 13)
        for i in 0..<8 { header[i] = UInt8(truncatingIfNeeded: d.counter >> (8 * UInt64(i))) }
        header[12] = type.rawValue
        h.update(header)
        h.update(ciphertext)
        return Array(h.finalize().prefix(tagSize))
    }

    /// `ciphertext | tag` of `payload` as frame `d.counter`.
    static func seal(_ type: MessageType, _ payload: [UInt8], _ d: Direction) -> [UInt8] {
        let n = payload.count
        return [UInt8](unsafeUninitializedCapacity: n + tagSize) { out, count in
            let body = UnsafeRawBufferPointer(start: out.baseAddress, count: n)
            payload.withUnsafeBytes { plaintext in
                d.cipherKey.withUnsafeBufferPointer { ChaCha20.xor(plaintext, into: out.baseAddress!, key: $0.baseAddress!, nonce: nonce(d.counter), counter: 0) }
            }
            let t = tag(type, body, d)
            for i in 0..<tagSize { out[n + i] = t[i] }
            count = n + tagSize
        }
    }

    /// Opens `frame`, received as frame `d.counter`, into its plaintext in place (no copy when
    /// the caller holds the only reference). Returns false, leaving `frame` as it was, when it
    /// is shorter than the tag or its tag does not match.
    static func open(_ type: MessageType, _ frame: inout [UInt8], _ d: Direction) -> Bool {
        guard frame.count >= tagSize else { return false }
        let n = frame.count - tagSize
        let expected = frame.withUnsafeBytes { tag(type, UnsafeRawBufferPointer(rebasing: $0.prefix(n)), d) }
        // Authenticate before decrypting anything.
        guard HMAC.constantTimeEqual(Array(frame.suffix(tagSize)), expected) else { return false }
        frame.removeLast(tagSize)
        frame.withUnsafeMutableBytes { b in
            d.cipherKey.withUnsafeBufferPointer { ChaCha20.xor(b, key: $0.baseAddress!, nonce: nonce(d.counter), counter: 0) }
        }
        return true
    }
}
