/// BLAKE3 (the BLAKE3 specification, 2020) restricted to one chunk: unkeyed hashes of messages
/// up to 1024 bytes with the default 32-byte output, checked against the official test vectors.
/// Its compression is BLAKE2s's with seven rounds instead of ten, so the OT hash uses it: one
/// block per input, computed four (or eight) inputs at a time in SIMD lanes.
public enum BLAKE3 {
    @usableFromInline static let chunkStart: UInt32 = 1
    @usableFromInline static let chunkEnd: UInt32 = 2
    @usableFromInline static let root: UInt32 = 8
    static let permutation = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8]

    /// The 32-byte digest of `message`.
    /// - Precondition: `message.count <= 1024` (a single chunk).
    public static func hash(_ message: [UInt8]) -> [UInt8] {
        precondition(message.count <= 1024, "BLAKE3 here hashes one chunk (at most 1024 bytes)")
        var cv = BLAKE2s.iv
        var offset = 0
        repeat {
            let take = min(64, message.count - offset)
            var block = [UInt32](repeating: 0, count: 16)
            for i in 0..<take { block[i / 4] |= UInt32(message[offset + i]) << (8 * UInt32(i % 4)) }
            var flags: UInt32 = offset == 0 ? chunkStart : 0
            if offset + take == message.count { flags |= chunkEnd | root }
            cv = compress(cv, block, length: UInt32(take), flags: flags)
            offset += take
        } while offset < message.count
        var out: [UInt8] = []
        for i in 0..<32 { out.append(UInt8(truncatingIfNeeded: cv[i / 4] >> (8 * UInt32(i % 4)))) }
        return out
    }

    /// The compression function, truncated to the 8-word chaining value (block counter 0).
    static func compress(_ cv: [UInt32], _ block: [UInt32], length: UInt32, flags: UInt32) -> [UInt32] {
        var v = cv + Array(BLAKE2s.iv[0..<4]) + [0, 0, length, flags]
        var m = block
        for _ in 0..<7 {
            blakeMix(&v, 0, 4, 8, 12, m[0], m[1]); blakeMix(&v, 1, 5, 9, 13, m[2], m[3])
            blakeMix(&v, 2, 6, 10, 14, m[4], m[5]); blakeMix(&v, 3, 7, 11, 15, m[6], m[7])
            blakeMix(&v, 0, 5, 10, 15, m[8], m[9]); blakeMix(&v, 1, 6, 11, 12, m[10], m[11])
            blakeMix(&v, 2, 7, 8, 13, m[12], m[13]); blakeMix(&v, 3, 4, 9, 14, m[14], m[15])
            m = permutation.map { m[$0] }
        }
        return (0..<8).map { v[$0] ^ v[$0 + 8] }
    }

    /// Hashes 4 single-block messages of `length` bytes (`length <= 64`) at once, one per
    /// SIMD lane, into 16-byte digests (the first 16 bytes of the 32-byte output). `words` holds
    /// the messages as 16 little-endian words each (zero-padded); `output` receives 4 words per
    /// message. Equal to `hash(message).prefix(16)` per message.
    @inlinable
    public static func hashBlocks4(_ words: UnsafePointer<UInt32>, length: Int, into output: UnsafeMutablePointer<UInt32>) {
        typealias V = SIMD4<UInt32>
        @inline(__always) func lane(_ i: Int) -> V { V(words[i], words[16 + i], words[32 + i], words[48 + i]) }
        let m0 = lane(0), m1 = lane(1), m2 = lane(2), m3 = lane(3), m4 = lane(4), m5 = lane(5), m6 = lane(6), m7 = lane(7)
        let m8 = lane(8), m9 = lane(9), m10 = lane(10), m11 = lane(11), m12 = lane(12), m13 = lane(13), m14 = lane(14), m15 = lane(15)
        // A single block that starts, ends and roots its chunk, counter 0, key = IV.
        var v0 = V(repeating: 0x6A09E667), v1 = V(repeating: 0xBB67AE85), v2 = V(repeating: 0x3C6EF372), v3 = V(repeating: 0xA54FF53A)
        var v4 = V(repeating: 0x510E527F), v5 = V(repeating: 0x9B05688C), v6 = V(repeating: 0x1F83D9AB), v7 = V(repeating: 0x5BE0CD19)
        var v8 = V(repeating: 0x6A09E667), v9 = V(repeating: 0xBB67AE85), v10 = V(repeating: 0x3C6EF372), v11 = V(repeating: 0xA54FF53A)
        var v12 = V(repeating: 0), v13 = V(repeating: 0), v14 = V(repeating: UInt32(length))
        var v15 = V(repeating: BLAKE3.chunkStart | BLAKE3.chunkEnd | BLAKE3.root)
        // Seven rounds, the message permutation unrolled into the schedule.
        // Round 0.
        blakeMix(&v0, &v4, &v8, &v12, m0, m1); blakeMix(&v1, &v5, &v9, &v13, m2, m3)
        blakeMix(&v2, &v6, &v10, &v14, m4, m5); blakeMix(&v3, &v7, &v11, &v15, m6, m7)
        blakeMix(&v0, &v5, &v10, &v15, m8, m9); blakeMix(&v1, &v6, &v11, &v12, m10, m11)
        blakeMix(&v2, &v7, &v8, &v13, m12, m13); blakeMix(&v3, &v4, &v9, &v14, m14, m15)
        // Round 1.
        blakeMix(&v0, &v4, &v8, &v12, m2, m6); blakeMix(&v1, &v5, &v9, &v13, m3, m10)
        blakeMix(&v2, &v6, &v10, &v14, m7, m0); blakeMix(&v3, &v7, &v11, &v15, m4, m13)
        blakeMix(&v0, &v5, &v10, &v15, m1, m11); blakeMix(&v1, &v6, &v11, &v12, m12, m5)
        blakeMix(&v2, &v7, &v8, &v13, m9, m14); blakeMix(&v3, &v4, &v9, &v14, m15, m8)
        // Round 2.
        blakeMix(&v0, &v4, &v8, &v12, m3, m4); blakeMix(&v1, &v5, &v9, &v13, m10, m12)
        blakeMix(&v2, &v6, &v10, &v14, m13, m2); blakeMix(&v3, &v7, &v11, &v15, m7, m14)
        blakeMix(&v0, &v5, &v10, &v15, m6, m5); blakeMix(&v1, &v6, &v11, &v12, m9, m0)
        blakeMix(&v2, &v7, &v8, &v13, m11, m15); blakeMix(&v3, &v4, &v9, &v14, m8, m1)
        // Round 3.
        blakeMix(&v0, &v4, &v8, &v12, m10, m7); blakeMix(&v1, &v5, &v9, &v13, m12, m9)
        blakeMix(&v2, &v6, &v10, &v14, m14, m3); blakeMix(&v3, &v7, &v11, &v15, m13, m15)
        blakeMix(&v0, &v5, &v10, &v15, m4, m0); blakeMix(&v1, &v6, &v11, &v12, m11, m2)
        blakeMix(&v2, &v7, &v8, &v13, m5, m8); blakeMix(&v3, &v4, &v9, &v14, m1, m6)
        // Round 4.
        blakeMix(&v0, &v4, &v8, &v12, m12, m13); blakeMix(&v1, &v5, &v9, &v13, m9, m11)
        blakeMix(&v2, &v6, &v10, &v14, m15, m10); blakeMix(&v3, &v7, &v11, &v15, m14, m8)
        blakeMix(&v0, &v5, &v10, &v15, m7, m2); blakeMix(&v1, &v6, &v11, &v12, m5, m3)
        blakeMix(&v2, &v7, &v8, &v13, m0, m1); blakeMix(&v3, &v4, &v9, &v14, m6, m4)
        // Round 5.
        blakeMix(&v0, &v4, &v8, &v12, m9, m14); blakeMix(&v1, &v5, &v9, &v13, m11, m5)
        blakeMix(&v2, &v6, &v10, &v14, m8, m12); blakeMix(&v3, &v7, &v11, &v15, m15, m1)
        blakeMix(&v0, &v5, &v10, &v15, m13, m3); blakeMix(&v1, &v6, &v11, &v12, m0, m10)
        blakeMix(&v2, &v7, &v8, &v13, m2, m6); blakeMix(&v3, &v4, &v9, &v14, m4, m7)
        // Round 6.
        blakeMix(&v0, &v4, &v8, &v12, m11, m15); blakeMix(&v1, &v5, &v9, &v13, m5, m0)
        blakeMix(&v2, &v6, &v10, &v14, m1, m9); blakeMix(&v3, &v7, &v11, &v15, m8, m6)
        blakeMix(&v0, &v5, &v10, &v15, m14, m10); blakeMix(&v1, &v6, &v11, &v12, m2, m12)
        blakeMix(&v2, &v7, &v8, &v13, m3, m4); blakeMix(&v3, &v4, &v9, &v14, m7, m13)
        let h0 = v0 ^ v8, h1 = v1 ^ v9, h2 = v2 ^ v10, h3 = v3 ^ v11
        for l in 0..<4 {
            output[4 * l] = h0[l]; output[4 * l + 1] = h1[l]; output[4 * l + 2] = h2[l]; output[4 * l + 3] = h3[l]
        }
    }

    /// Like `hashBlocks4` for eight messages: one AVX2 register per state word in a native build
    /// (on SSE2 it spills and `hashBlocks4` is faster). Written out rather than generic over the
    /// lane type, which does not specialize to the same vector instructions.
    @inlinable
    public static func hashBlocks8(_ words: UnsafePointer<UInt32>, length: Int, into output: UnsafeMutablePointer<UInt32>) {
        typealias V = SIMD8<UInt32>
        @inline(__always) func lane(_ i: Int) -> V { V(words[i], words[16 + i], words[32 + i], words[48 + i], words[64 + i], words[80 + i], words[96 + i], words[112 + i]) }
        let m0 = lane(0), m1 = lane(1), m2 = lane(2), m3 = lane(3), m4 = lane(4), m5 = lane(5), m6 = lane(6), m7 = lane(7)
        let m8 = lane(8), m9 = lane(9), m10 = lane(10), m11 = lane(11), m12 = lane(12), m13 = lane(13), m14 = lane(14), m15 = lane(15)
        // A single block that starts, ends and roots its chunk, counter 0, key = IV.
        var v0 = V(repeating: 0x6A09E667), v1 = V(repeating: 0xBB67AE85), v2 = V(repeating: 0x3C6EF372), v3 = V(repeating: 0xA54FF53A)
        var v4 = V(repeating: 0x510E527F), v5 = V(repeating: 0x9B05688C), v6 = V(repeating: 0x1F83D9AB), v7 = V(repeating: 0x5BE0CD19)
        var v8 = V(repeating: 0x6A09E667), v9 = V(repeating: 0xBB67AE85), v10 = V(repeating: 0x3C6EF372), v11 = V(repeating: 0xA54FF53A)
        var v12 = V(repeating: 0), v13 = V(repeating: 0), v14 = V(repeating: UInt32(length))
        var v15 = V(repeating: BLAKE3.chunkStart | BLAKE3.chunkEnd | BLAKE3.root)
        // Seven rounds, the message permutation unrolled into the schedule.
        // Round 0.
        blakeMix(&v0, &v4, &v8, &v12, m0, m1); blakeMix(&v1, &v5, &v9, &v13, m2, m3)
        blakeMix(&v2, &v6, &v10, &v14, m4, m5); blakeMix(&v3, &v7, &v11, &v15, m6, m7)
        blakeMix(&v0, &v5, &v10, &v15, m8, m9); blakeMix(&v1, &v6, &v11, &v12, m10, m11)
        blakeMix(&v2, &v7, &v8, &v13, m12, m13); blakeMix(&v3, &v4, &v9, &v14, m14, m15)
        // Round 1.
        blakeMix(&v0, &v4, &v8, &v12, m2, m6); blakeMix(&v1, &v5, &v9, &v13, m3, m10)
        blakeMix(&v2, &v6, &v10, &v14, m7, m0); blakeMix(&v3, &v7, &v11, &v15, m4, m13)
        blakeMix(&v0, &v5, &v10, &v15, m1, m11); blakeMix(&v1, &v6, &v11, &v12, m12, m5)
        blakeMix(&v2, &v7, &v8, &v13, m9, m14); blakeMix(&v3, &v4, &v9, &v14, m15, m8)
        // Round 2.
        blakeMix(&v0, &v4, &v8, &v12, m3, m4); blakeMix(&v1, &v5, &v9, &v13, m10, m12)
        blakeMix(&v2, &v6, &v10, &v14, m13, m2); blakeMix(&v3, &v7, &v11, &v15, m7, m14)
        blakeMix(&v0, &v5, &v10, &v15, m6, m5); blakeMix(&v1, &v6, &v11, &v12, m9, m0)
        blakeMix(&v2, &v7, &v8, &v13, m11, m15); blakeMix(&v3, &v4, &v9, &v14, m8, m1)
        // Round 3.
        blakeMix(&v0, &v4, &v8, &v12, m10, m7); blakeMix(&v1, &v5, &v9, &v13, m12, m9)
        blakeMix(&v2, &v6, &v10, &v14, m14, m3); blakeMix(&v3, &v7, &v11, &v15, m13, m15)
        blakeMix(&v0, &v5, &v10, &v15, m4, m0); blakeMix(&v1, &v6, &v11, &v12, m11, m2)
        blakeMix(&v2, &v7, &v8, &v13, m5, m8); blakeMix(&v3, &v4, &v9, &v14, m1, m6)
        // Round 4.
        blakeMix(&v0, &v4, &v8, &v12, m12, m13); blakeMix(&v1, &v5, &v9, &v13, m9, m11)
        blakeMix(&v2, &v6, &v10, &v14, m15, m10); blakeMix(&v3, &v7, &v11, &v15, m14, m8)
        blakeMix(&v0, &v5, &v10, &v15, m7, m2); blakeMix(&v1, &v6, &v11, &v12, m5, m3)
        blakeMix(&v2, &v7, &v8, &v13, m0, m1); blakeMix(&v3, &v4, &v9, &v14, m6, m4)
        // Round 5.
        blakeMix(&v0, &v4, &v8, &v12, m9, m14); blakeMix(&v1, &v5, &v9, &v13, m11, m5)
        blakeMix(&v2, &v6, &v10, &v14, m8, m12); blakeMix(&v3, &v7, &v11, &v15, m15, m1)
        blakeMix(&v0, &v5, &v10, &v15, m13, m3); blakeMix(&v1, &v6, &v11, &v12, m0, m10)
        blakeMix(&v2, &v7, &v8, &v13, m2, m6); blakeMix(&v3, &v4, &v9, &v14, m4, m7)
        // Round 6.
        blakeMix(&v0, &v4, &v8, &v12, m11, m15); blakeMix(&v1, &v5, &v9, &v13, m5, m0)
        blakeMix(&v2, &v6, &v10, &v14, m1, m9); blakeMix(&v3, &v7, &v11, &v15, m8, m6)
        blakeMix(&v0, &v5, &v10, &v15, m14, m10); blakeMix(&v1, &v6, &v11, &v12, m2, m12)
        blakeMix(&v2, &v7, &v8, &v13, m3, m4); blakeMix(&v3, &v4, &v9, &v14, m7, m13)
        let h0 = v0 ^ v8, h1 = v1 ^ v9, h2 = v2 ^ v10, h3 = v3 ^ v11
        for l in 0..<8 {
            output[4 * l] = h0[l]; output[4 * l + 1] = h1[l]; output[4 * l + 2] = h2[l]; output[4 * l + 3] = h3[l]
        }
    }
}
