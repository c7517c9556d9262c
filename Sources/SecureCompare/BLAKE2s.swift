/// BLAKE2s (RFC 7693): 32-bit ARX hash, digests of 1 ... 32 bytes, optional key up to 32 bytes.
/// `hash` is the general scalar form, checked against the official vectors; `hashBlocks4`
/// hashes four single-block messages at once in SIMD lanes. A reference within the package (its
/// IV and G function are BLAKE3's; the benchmark compares the two as OT hashes), not public API.
package enum BLAKE2s {
    static let iv: [UInt32] = [
        0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19,
    ]
    static let sigma: [[Int]] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
        [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
        [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
        [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
        [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
        [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
        [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
        [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
        [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    ]

    /// The digest of `message` with an optional `key` (at most 32 bytes).
    /// - Precondition: `1 <= digestLength <= 32`, `key.count <= 32`.
    package static func hash(_ message: [UInt8], digestLength: Int = 32, key: [UInt8] = []) -> [UInt8] {
        precondition(digestLength >= 1 && digestLength <= 32 && key.count <= 32)
        var h = iv
        h[0] ^= 0x0101_0000 ^ UInt32(key.count) << 8 ^ UInt32(digestLength)
        var data = message
        if !key.isEmpty { data = key + [UInt8](repeating: 0, count: 64 - key.count) + message }
        var counter: UInt64 = 0
        var offset = 0
        repeat {
            let remaining = data.count - offset
            let last = remaining <= 64
            let take = min(64, remaining)
            var block = [UInt32](repeating: 0, count: 16)
            for i in 0..<take { block[i / 4] |= UInt32(data[offset + i]) << (8 * UInt32(i % 4)) }
            counter &+= UInt64(take)
            compress(&h, block, counter: counter, last: last)
            offset += take
        } while offset < data.count
        var out: [UInt8] = []
        for i in 0..<digestLength { out.append(UInt8(truncatingIfNeeded: h[i / 4] >> (8 * UInt32(i % 4)))) }
        return out
    }

    static func compress(_ h: inout [UInt32], _ m: [UInt32], counter: UInt64, last: Bool) {
        var v = h + iv
        v[12] ^= UInt32(truncatingIfNeeded: counter)
        v[13] ^= UInt32(truncatingIfNeeded: counter >> 32)
        if last { v[14] ^= 0xFFFF_FFFF }
        for r in 0..<10 {
            let s = sigma[r]
            blakeMix(&v, 0, 4, 8, 12, m[s[0]], m[s[1]]); blakeMix(&v, 1, 5, 9, 13, m[s[2]], m[s[3]])
            blakeMix(&v, 2, 6, 10, 14, m[s[4]], m[s[5]]); blakeMix(&v, 3, 7, 11, 15, m[s[6]], m[s[7]])
            blakeMix(&v, 0, 5, 10, 15, m[s[8]], m[s[9]]); blakeMix(&v, 1, 6, 11, 12, m[s[10]], m[s[11]])
            blakeMix(&v, 2, 7, 8, 13, m[s[12]], m[s[13]]); blakeMix(&v, 3, 4, 9, 14, m[s[14]], m[s[15]])
        }
        for i in 0..<8 { h[i] ^= v[i] ^ v[i + 8] }
    }

    /// Hashes four unkeyed single-block messages of `length` bytes (`length <= 64`) at once,
    /// one per SIMD lane, into 16-byte digests. `words` holds the four messages as 16
    /// little-endian words each (zero-padded); `output` receives 4 words per message.
    /// Equal to `hash(message, digestLength: 16)` per message.
    @inlinable
    package static func hashBlocks4(_ words: UnsafePointer<UInt32>, length: Int, into output: UnsafeMutablePointer<UInt32>) {
        typealias V = SIMD4<UInt32>
        @inline(__always) func lane(_ i: Int) -> V { V(words[i], words[16 + i], words[32 + i], words[48 + i]) }
        let m0 = lane(0), m1 = lane(1), m2 = lane(2), m3 = lane(3), m4 = lane(4), m5 = lane(5), m6 = lane(6), m7 = lane(7)
        let m8 = lane(8), m9 = lane(9), m10 = lane(10), m11 = lane(11), m12 = lane(12), m13 = lane(13), m14 = lane(14), m15 = lane(15)
        let h0 = V(repeating: 0x6A09E667 ^ 0x0101_0000 ^ 16)
        var v0 = h0, v1 = V(repeating: 0xBB67AE85), v2 = V(repeating: 0x3C6EF372), v3 = V(repeating: 0xA54FF53A)
        var v4 = V(repeating: 0x510E527F), v5 = V(repeating: 0x9B05688C), v6 = V(repeating: 0x1F83D9AB), v7 = V(repeating: 0x5BE0CD19)
        var v8 = V(repeating: 0x6A09E667), v9 = V(repeating: 0xBB67AE85), v10 = V(repeating: 0x3C6EF372), v11 = V(repeating: 0xA54FF53A)
        var v12 = V(repeating: 0x510E527F ^ UInt32(length)), v13 = V(repeating: 0x9B05688C)
        var v14 = V(repeating: 0x1F83D9AB ^ 0xFFFF_FFFF), v15 = V(repeating: 0x5BE0CD19)
        // Ten rounds, message schedule unrolled (RFC 7693 sigma).
        // Round 0.
        blakeMix(&v0, &v4, &v8, &v12, m0, m1); blakeMix(&v1, &v5, &v9, &v13, m2, m3)
        blakeMix(&v2, &v6, &v10, &v14, m4, m5); blakeMix(&v3, &v7, &v11, &v15, m6, m7)
        blakeMix(&v0, &v5, &v10, &v15, m8, m9); blakeMix(&v1, &v6, &v11, &v12, m10, m11)
        blakeMix(&v2, &v7, &v8, &v13, m12, m13); blakeMix(&v3, &v4, &v9, &v14, m14, m15)
        // Round 1.
        blakeMix(&v0, &v4, &v8, &v12, m14, m10); blakeMix(&v1, &v5, &v9, &v13, m4, m8)
        blakeMix(&v2, &v6, &v10, &v14, m9, m15); blakeMix(&v3, &v7, &v11, &v15, m13, m6)
        blakeMix(&v0, &v5, &v10, &v15, m1, m12); blakeMix(&v1, &v6, &v11, &v12, m0, m2)
        blakeMix(&v2, &v7, &v8, &v13, m11, m7); blakeMix(&v3, &v4, &v9, &v14, m5, m3)
        // Round 2.
        blakeMix(&v0, &v4, &v8, &v12, m11, m8); blakeMix(&v1, &v5, &v9, &v13, m12, m0)
        blakeMix(&v2, &v6, &v10, &v14, m5, m2); blakeMix(&v3, &v7, &v11, &v15, m15, m13)
        blakeMix(&v0, &v5, &v10, &v15, m10, m14); blakeMix(&v1, &v6, &v11, &v12, m3, m6)
        blakeMix(&v2, &v7, &v8, &v13, m7, m1); blakeMix(&v3, &v4, &v9, &v14, m9, m4)
        // Round 3.
        blakeMix(&v0, &v4, &v8, &v12, m7, m9); blakeMix(&v1, &v5, &v9, &v13, m3, m1)
        blakeMix(&v2, &v6, &v10, &v14, m13, m12); blakeMix(&v3, &v7, &v11, &v15, m11, m14)
        blakeMix(&v0, &v5, &v10, &v15, m2, m6); blakeMix(&v1, &v6, &v11, &v12, m5, m10)
        blakeMix(&v2, &v7, &v8, &v13, m4, m0); blakeMix(&v3, &v4, &v9, &v14, m15, m8)
        // Round 4.
        blakeMix(&v0, &v4, &v8, &v12, m9, m0); blakeMix(&v1, &v5, &v9, &v13, m5, m7)
        blakeMix(&v2, &v6, &v10, &v14, m2, m4); blakeMix(&v3, &v7, &v11, &v15, m10, m15)
        blakeMix(&v0, &v5, &v10, &v15, m14, m1); blakeMix(&v1, &v6, &v11, &v12, m11, m12)
        blakeMix(&v2, &v7, &v8, &v13, m6, m8); blakeMix(&v3, &v4, &v9, &v14, m3, m13)
        // Round 5.
        blakeMix(&v0, &v4, &v8, &v12, m2, m12); blakeMix(&v1, &v5, &v9, &v13, m6, m10)
        blakeMix(&v2, &v6, &v10, &v14, m0, m11); blakeMix(&v3, &v7, &v11, &v15, m8, m3)
        blakeMix(&v0, &v5, &v10, &v15, m4, m13); blakeMix(&v1, &v6, &v11, &v12, m7, m5)
        blakeMix(&v2, &v7, &v8, &v13, m15, m14); blakeMix(&v3, &v4, &v9, &v14, m1, m9)
        // Round 6.
        blakeMix(&v0, &v4, &v8, &v12, m12, m5); blakeMix(&v1, &v5, &v9, &v13, m1, m15)
        blakeMix(&v2, &v6, &v10, &v14, m14, m13); blakeMix(&v3, &v7, &v11, &v15, m4, m10)
        blakeMix(&v0, &v5, &v10, &v15, m0, m7); blakeMix(&v1, &v6, &v11, &v12, m6, m3)
        blakeMix(&v2, &v7, &v8, &v13, m9, m2); blakeMix(&v3, &v4, &v9, &v14, m8, m11)
        // Round 7.
        blakeMix(&v0, &v4, &v8, &v12, m13, m11); blakeMix(&v1, &v5, &v9, &v13, m7, m14)
        blakeMix(&v2, &v6, &v10, &v14, m12, m1); blakeMix(&v3, &v7, &v11, &v15, m3, m9)
        blakeMix(&v0, &v5, &v10, &v15, m5, m0); blakeMix(&v1, &v6, &v11, &v12, m15, m4)
        blakeMix(&v2, &v7, &v8, &v13, m8, m6); blakeMix(&v3, &v4, &v9, &v14, m2, m10)
        // Round 8.
        blakeMix(&v0, &v4, &v8, &v12, m6, m15); blakeMix(&v1, &v5, &v9, &v13, m14, m9)
        blakeMix(&v2, &v6, &v10, &v14, m11, m3); blakeMix(&v3, &v7, &v11, &v15, m0, m8)
        blakeMix(&v0, &v5, &v10, &v15, m12, m2); blakeMix(&v1, &v6, &v11, &v12, m13, m7)
        blakeMix(&v2, &v7, &v8, &v13, m1, m4); blakeMix(&v3, &v4, &v9, &v14, m10, m5)
        // Round 9.
        blakeMix(&v0, &v4, &v8, &v12, m10, m2); blakeMix(&v1, &v5, &v9, &v13, m8, m4)
        blakeMix(&v2, &v6, &v10, &v14, m7, m6); blakeMix(&v3, &v7, &v11, &v15, m1, m5)
        blakeMix(&v0, &v5, &v10, &v15, m15, m11); blakeMix(&v1, &v6, &v11, &v12, m9, m14)
        blakeMix(&v2, &v7, &v8, &v13, m3, m12); blakeMix(&v3, &v4, &v9, &v14, m13, m0)
        let out = (h0 ^ v0 ^ v8, V(repeating: 0xBB67AE85) ^ v1 ^ v9, V(repeating: 0x3C6EF372) ^ v2 ^ v10,
                   V(repeating: 0xA54FF53A) ^ v3 ^ v11)
        for l in 0..<4 {
            output[4 * l] = out.0[l]; output[4 * l + 1] = out.1[l]
            output[4 * l + 2] = out.2[l]; output[4 * l + 3] = out.3[l]
        }
    }

    /// Like `hashBlocks4` for eight messages (eight SIMD lanes; two SSE2 registers or one AVX2
    /// register per state word). Written out rather than generic over the lane type: a generic
    /// version measured 2.5x slower here (it does not specialize to the same vector code).
    /// Equal to `hash(message, digestLength: 16)` per message.
    @inlinable
    package static func hashBlocks8(_ words: UnsafePointer<UInt32>, length: Int, into output: UnsafeMutablePointer<UInt32>) {
        typealias V = SIMD8<UInt32>
        @inline(__always) func lane(_ i: Int) -> V { V(words[i], words[16 + i], words[32 + i], words[48 + i], words[64 + i], words[80 + i], words[96 + i], words[112 + i]) }
        let m0 = lane(0), m1 = lane(1), m2 = lane(2), m3 = lane(3), m4 = lane(4), m5 = lane(5), m6 = lane(6), m7 = lane(7)
        let m8 = lane(8), m9 = lane(9), m10 = lane(10), m11 = lane(11), m12 = lane(12), m13 = lane(13), m14 = lane(14), m15 = lane(15)
        let h0 = V(repeating: 0x6A09E667 ^ 0x0101_0000 ^ 16)
        var v0 = h0, v1 = V(repeating: 0xBB67AE85), v2 = V(repeating: 0x3C6EF372), v3 = V(repeating: 0xA54FF53A)
        var v4 = V(repeating: 0x510E527F), v5 = V(repeating: 0x9B05688C), v6 = V(repeating: 0x1F83D9AB), v7 = V(repeating: 0x5BE0CD19)
        var v8 = V(repeating: 0x6A09E667), v9 = V(repeating: 0xBB67AE85), v10 = V(repeating: 0x3C6EF372), v11 = V(repeating: 0xA54FF53A)
        var v12 = V(repeating: 0x510E527F ^ UInt32(length)), v13 = V(repeating: 0x9B05688C)
        var v14 = V(repeating: 0x1F83D9AB ^ 0xFFFF_FFFF), v15 = V(repeating: 0x5BE0CD19)
        // Ten rounds, message schedule unrolled (RFC 7693 sigma).
        // Round 0.
        blakeMix(&v0, &v4, &v8, &v12, m0, m1); blakeMix(&v1, &v5, &v9, &v13, m2, m3)
        blakeMix(&v2, &v6, &v10, &v14, m4, m5); blakeMix(&v3, &v7, &v11, &v15, m6, m7)
        blakeMix(&v0, &v5, &v10, &v15, m8, m9); blakeMix(&v1, &v6, &v11, &v12, m10, m11)
        blakeMix(&v2, &v7, &v8, &v13, m12, m13); blakeMix(&v3, &v4, &v9, &v14, m14, m15)
        // Round 1.
        blakeMix(&v0, &v4, &v8, &v12, m14, m10); blakeMix(&v1, &v5, &v9, &v13, m4, m8)
        blakeMix(&v2, &v6, &v10, &v14, m9, m15); blakeMix(&v3, &v7, &v11, &v15, m13, m6)
        blakeMix(&v0, &v5, &v10, &v15, m1, m12); blakeMix(&v1, &v6, &v11, &v12, m0, m2)
        blakeMix(&v2, &v7, &v8, &v13, m11, m7); blakeMix(&v3, &v4, &v9, &v14, m5, m3)
        // Round 2.
        blakeMix(&v0, &v4, &v8, &v12, m11, m8); blakeMix(&v1, &v5, &v9, &v13, m12, m0)
        blakeMix(&v2, &v6, &v10, &v14, m5, m2); blakeMix(&v3, &v7, &v11, &v15, m15, m13)
        blakeMix(&v0, &v5, &v10, &v15, m10, m14); blakeMix(&v1, &v6, &v11, &v12, m3, m6)
        blakeMix(&v2, &v7, &v8, &v13, m7, m1); blakeMix(&v3, &v4, &v9, &v14, m9, m4)
        // Round 3.
        blakeMix(&v0, &v4, &v8, &v12, m7, m9); blakeMix(&v1, &v5, &v9, &v13, m3, m1)
        blakeMix(&v2, &v6, &v10, &v14, m13, m12); blakeMix(&v3, &v7, &v11, &v15, m11, m14)
        blakeMix(&v0, &v5, &v10, &v15, m2, m6); blakeMix(&v1, &v6, &v11, &v12, m5, m10)
        blakeMix(&v2, &v7, &v8, &v13, m4, m0); blakeMix(&v3, &v4, &v9, &v14, m15, m8)
        // Round 4.
        blakeMix(&v0, &v4, &v8, &v12, m9, m0); blakeMix(&v1, &v5, &v9, &v13, m5, m7)
        blakeMix(&v2, &v6, &v10, &v14, m2, m4); blakeMix(&v3, &v7, &v11, &v15, m10, m15)
        blakeMix(&v0, &v5, &v10, &v15, m14, m1); blakeMix(&v1, &v6, &v11, &v12, m11, m12)
        blakeMix(&v2, &v7, &v8, &v13, m6, m8); blakeMix(&v3, &v4, &v9, &v14, m3, m13)
        // Round 5.
        blakeMix(&v0, &v4, &v8, &v12, m2, m12); blakeMix(&v1, &v5, &v9, &v13, m6, m10)
        blakeMix(&v2, &v6, &v10, &v14, m0, m11); blakeMix(&v3, &v7, &v11, &v15, m8, m3)
        blakeMix(&v0, &v5, &v10, &v15, m4, m13); blakeMix(&v1, &v6, &v11, &v12, m7, m5)
        blakeMix(&v2, &v7, &v8, &v13, m15, m14); blakeMix(&v3, &v4, &v9, &v14, m1, m9)
        // Round 6.
        blakeMix(&v0, &v4, &v8, &v12, m12, m5); blakeMix(&v1, &v5, &v9, &v13, m1, m15)
        blakeMix(&v2, &v6, &v10, &v14, m14, m13); blakeMix(&v3, &v7, &v11, &v15, m4, m10)
        blakeMix(&v0, &v5, &v10, &v15, m0, m7); blakeMix(&v1, &v6, &v11, &v12, m6, m3)
        blakeMix(&v2, &v7, &v8, &v13, m9, m2); blakeMix(&v3, &v4, &v9, &v14, m8, m11)
        // Round 7.
        blakeMix(&v0, &v4, &v8, &v12, m13, m11); blakeMix(&v1, &v5, &v9, &v13, m7, m14)
        blakeMix(&v2, &v6, &v10, &v14, m12, m1); blakeMix(&v3, &v7, &v11, &v15, m3, m9)
        blakeMix(&v0, &v5, &v10, &v15, m5, m0); blakeMix(&v1, &v6, &v11, &v12, m15, m4)
        blakeMix(&v2, &v7, &v8, &v13, m8, m6); blakeMix(&v3, &v4, &v9, &v14, m2, m10)
        // Round 8.
        blakeMix(&v0, &v4, &v8, &v12, m6, m15); blakeMix(&v1, &v5, &v9, &v13, m14, m9)
        blakeMix(&v2, &v6, &v10, &v14, m11, m3); blakeMix(&v3, &v7, &v11, &v15, m0, m8)
        blakeMix(&v0, &v5, &v10, &v15, m12, m2); blakeMix(&v1, &v6, &v11, &v12, m13, m7)
        blakeMix(&v2, &v7, &v8, &v13, m1, m4); blakeMix(&v3, &v4, &v9, &v14, m10, m5)
        // Round 9.
        blakeMix(&v0, &v4, &v8, &v12, m10, m2); blakeMix(&v1, &v5, &v9, &v13, m8, m4)
        blakeMix(&v2, &v6, &v10, &v14, m7, m6); blakeMix(&v3, &v7, &v11, &v15, m1, m5)
        blakeMix(&v0, &v5, &v10, &v15, m15, m11); blakeMix(&v1, &v6, &v11, &v12, m9, m14)
        blakeMix(&v2, &v7, &v8, &v13, m3, m12); blakeMix(&v3, &v4, &v9, &v14, m13, m0)
        let out = (h0 ^ v0 ^ v8, V(repeating: 0xBB67AE85) ^ v1 ^ v9, V(repeating: 0x3C6EF372) ^ v2 ^ v10,
                   V(repeating: 0xA54FF53A) ^ v3 ^ v11)
        for l in 0..<8 {
            output[4 * l] = out.0[l]; output[4 * l + 1] = out.1[l]
            output[4 * l + 2] = out.2[l]; output[4 * l + 3] = out.3[l]
        }
    }
}
