/// HMAC-SHA-256 (RFC 2104; FIPS 198-1): `H((K' ^ opad) | H((K' ^ ipad) | message))`, where `K'`
/// is the key zero-padded to the 64-byte block (a longer key is hashed first). The two keyed
/// states are compressed once at `init`; each tag then costs the message's blocks plus three
/// compressions. A value: copy a keyed `HMAC` to authenticate many messages under one key.
package struct HMAC: Sendable {
    /// SHA-256 after the block `K' ^ ipad`.
    let keyedInner: SHA256.Hasher
    /// SHA-256 after the block `K' ^ opad`.
    let keyedOuter: SHA256.Hasher
    /// The inner hash of the message taken so far.
    var running: SHA256.Hasher

    /// An HMAC under `key` (any length) at the start of a message.
    package init(key: [UInt8]) {
        var k = key.count > SHA256.blockSize ? SHA256.hash(key) : key
        k += [UInt8](repeating: 0, count: SHA256.blockSize - k.count)
        var inner = SHA256.Hasher(), outer = SHA256.Hasher()
        inner.update(k.map { $0 ^ 0x36 })
        outer.update(k.map { $0 ^ 0x5c })
        keyedInner = inner
        keyedOuter = outer
        running = inner
    }

    /// Appends `bytes` to the message.
    package mutating func update(_ bytes: [UInt8]) { running.update(bytes) }

    /// Appends the bytes at `bytes` to the message (hashed in place, not copied).
    package mutating func update(_ bytes: UnsafeRawBufferPointer) { running.update(bytes) }

    /// The 32-byte tag of the message taken so far (this value is left as it was).
    package func finalize() -> [UInt8] {
        var outer = keyedOuter
        outer.update(running.finalize())
        return outer.finalize()
    }

    /// Starts a new message under the same key.
    package mutating func reset() { running = keyedInner }

    /// The 32-byte tag of `message` under `key`.
    package static func authenticate(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        var h = HMAC(key: key)
        h.update(message)
        return h.finalize()
    }

    /// Whether `a` and `b` are equal, in time that depends on their lengths only (not on where
    /// they differ): for comparing a received tag with the expected one.
    package static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
