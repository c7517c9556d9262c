/// SHA-256 (FIPS 180-4). The reference correlation-robust hash and the hash under `HMAC`;
/// `BLAKE3` is the fast one the OT extension uses. Cost: one 64-round compression per 64-byte
/// block. `hash` digests a whole message; `Hasher` takes a message in pieces without copying it.
package enum SHA256 {
    static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    /// The chaining value: eight words.
    typealias State = (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
    static let initial: State = (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)

    /// The block size in bytes (HMAC pads its key to it).
    package static let blockSize = 64
    /// The digest size in bytes.
    package static let digestSize = 32

    /// The 32-byte digest of `message`.
    package static func hash(_ message: [UInt8]) -> [UInt8] {
        var h = Hasher()
        h.update(message)
        return h.finalize()
    }

    /// An incremental SHA-256: `update` with the message's pieces in order, then `finalize`.
    /// A value: a copy continues independently (HMAC keeps its keyed states this way).
    package struct Hasher: Sendable {
        var state = SHA256.initial
        /// Bytes of a block not yet compressed (`buffered` of them).
        var pending: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        var buffered = 0
        /// Message bytes taken so far.
        var length: UInt64 = 0

        /// A hasher at the start of a message.
        package init() {}

        /// Appends `bytes` to the message.
        package mutating func update(_ bytes: [UInt8]) {
            bytes.withUnsafeBytes { update($0) }
        }

        /// Appends the bytes at `bytes` to the message; whole blocks are compressed in place.
        package mutating func update(_ bytes: UnsafeRawBufferPointer) {
            guard var p = bytes.baseAddress, bytes.count > 0 else { return }
            var count = bytes.count
            length &+= UInt64(count)
            if buffered > 0 {
                let take = min(count, 64 - buffered)
                let filled = buffered
                withUnsafeMutableBytes(of: &pending) { ($0.baseAddress! + filled).copyMemory(from: p, byteCount: take) }
                buffered += take
                p += take
                count -= take
                guard buffered == 64 else { return }
                withUnsafeBytes(of: pending) { SHA256.compress(&state, $0.baseAddress!, blocks: 1) }
                buffered = 0
            }
            let whole = count / 64
            if whole > 0 { SHA256.compress(&state, p, blocks: whole) }
            let rest = count - 64 * whole
            if rest > 0 {
                let tail = p + 64 * whole
                withUnsafeMutableBytes(of: &pending) { $0.baseAddress!.copyMemory(from: tail, byteCount: rest) }
                buffered = rest
            }
        }

        /// The 32-byte digest of the message taken so far (the hasher itself is left as it was).
        package func finalize() -> [UInt8] {
            // Padding: 0x80, zeros up to 56 mod 64, the bit length as 64 bits big-endian.
            let bitLength = length &* 8
            var pad = [UInt8](repeating: 0, count: buffered < 56 ? 64 - buffered : 128 - buffered)
            pad[0] = 0x80
            for i in 0..<8 { pad[pad.count - 1 - i] = UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(i))) }
            var last = self
            last.update(pad)
            let words = last.state
            return [UInt8](unsafeUninitializedCapacity: 32) { out, n in
                withUnsafeBytes(of: words) { w in
                    for i in 0..<8 {
                        let v = w.load(fromByteOffset: 4 * i, as: UInt32.self).bigEndian
                        UnsafeMutableRawPointer(out.baseAddress! + 4 * i).storeBytes(of: v, as: UInt32.self)
                    }
                }
                n = 32
            }
        }
    }

    /// Compresses `blocks` consecutive 64-byte blocks at `data` into `h`. The message schedule
    /// lives on the stack; the rounds run eight at a time with the working variables' roles
    /// rotated in the arguments (no moves between rounds), and no array is touched inside them.
    static func compress(_ h: inout State, _ data: UnsafeRawPointer, blocks: Int) {
        @inline(__always) func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x &>> n) | (x &<< (32 - n)) }
        /// One round: `d += t1`, `h = t1 + t2` (the caller rotates the roles).
        @inline(__always) func round(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
                                     _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ kw: UInt32) {
            let t1 = h &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ (g ^ (e & (f ^ g))) &+ kw
            let t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) | (c & (a | b)))
            d &+= t1
            h = t1 &+ t2
        }
        k.withUnsafeBufferPointer { kp in
            let k = kp.baseAddress!
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { wp in
                let w = wp.baseAddress!
                for block in 0..<blocks {
                    let m = data + 64 * block
                    // The schedule with the round constants added: w[i] + k[i].
                    for i in 0..<16 { w[i] = UInt32(bigEndian: m.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
                    for i in 16..<64 {
                        let x = w[i - 15], y = w[i - 2]
                        let s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x &>> 3)
                        let s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y &>> 10)
                        w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
                    }
                    for i in 0..<64 { w[i] &+= k[i] }
                    var (a, b, c, d, e, f, g, hh) = h
                    var i = 0
                    while i < 64 {
                        round(a, b, c, &d, e, f, g, &hh, w[i])
                        round(hh, a, b, &c, d, e, f, &g, w[i + 1])
                        round(g, hh, a, &b, c, d, e, &f, w[i + 2])
                        round(f, g, hh, &a, b, c, d, &e, w[i + 3])
                        round(e, f, g, &hh, a, b, c, &d, w[i + 4])
                        round(d, e, f, &g, hh, a, b, &c, w[i + 5])
                        round(c, d, e, &f, g, hh, a, &b, w[i + 6])
                        round(b, c, d, &e, f, g, hh, &a, w[i + 7])
                        i += 8
                    }
                    h = (h.0 &+ a, h.1 &+ b, h.2 &+ c, h.3 &+ d, h.4 &+ e, h.5 &+ f, h.6 &+ g, h.7 &+ hh)
                }
            }
        }
    }
}
