/// BLAKE3 (the BLAKE3 specification, 2020): unkeyed hashes with the default 32-byte output,
/// checked against the official test vectors. `hash` is the general scalar form (1024-byte
/// chunks merged in a binary tree). Its compression is BLAKE2s's with seven rounds instead of
/// ten, so the OT hash uses it: one block per input, computed four (or eight) inputs at a time
/// in SIMD lanes.
public enum BLAKE3 {
    @usableFromInline static let chunkStart: UInt32 = 1
    @usableFromInline static let chunkEnd: UInt32 = 2
    static let parent: UInt32 = 4
    @usableFromInline static let root: UInt32 = 8
    static let permutation = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8]

    /// The inputs of one compression; the last node's is held back until it is known whether
    /// it is the root.
    struct Node {
        var cv: [UInt32], block: [UInt32], length: UInt32, counter: UInt64, flags: UInt32
        func chainingValue(extraFlags: UInt32 = 0) -> [UInt32] {
            compress(cv, block, length: length, counter: counter, flags: flags | extraFlags)
        }
    }

    /// The 32-byte digest of `message` (any length). Cost: one compression per 64 bytes plus
    /// one per pair of 1024-byte chunks merged.
    public static func hash(_ message: [UInt8]) -> [UInt8] {
        let chunks = max(1, (message.count + 1023) / 1024)
        var stack: [[UInt32]] = []  // chaining values of complete left subtrees
        var last = Node(cv: [], block: [], length: 0, counter: 0, flags: 0)
        for c in 0..<chunks {
            let start = 1024 * c, end = min(message.count, start + 1024)
            let blocks = max(1, (end - start + 63) / 64)
            var cv = BLAKE2s.iv
            for b in 0..<blocks {
                let from = start + 64 * b, take = min(64, end - from)
                var block = [UInt32](repeating: 0, count: 16)
                for i in 0..<take { block[i / 4] |= UInt32(message[from + i]) << (8 * UInt32(i % 4)) }
                let flags = (b == 0 ? chunkStart : 0) | (b == blocks - 1 ? chunkEnd : 0)
                let node = Node(cv: cv, block: block, length: UInt32(take), counter: UInt64(c), flags: flags)
                if b < blocks - 1 { cv = node.chainingValue() } else { last = node }
            }
            if c < chunks - 1 {
                // Merge while the number of chunks so far is even: the stack then holds one
                // chaining value per set bit of that number (complete subtrees, largest first).
                var right = last.chainingValue()
                var total = c + 1
                while total & 1 == 0 {
                    right = Node(cv: BLAKE2s.iv, block: stack.removeLast() + right, length: 64, counter: 0, flags: parent).chainingValue()
                    total >>= 1
                }
                stack.append(right)
            }
        }
        // The last chunk joins the remaining subtrees from the right; the final node is the root.
        while let left = stack.popLast() {
            last = Node(cv: BLAKE2s.iv, block: left + last.chainingValue(), length: 64, counter: 0, flags: parent)
        }
        let cv = last.chainingValue(extraFlags: root)
        return (0..<32).map { UInt8(truncatingIfNeeded: cv[$0 / 4] >> (8 * UInt32($0 % 4))) }
    }

    /// The compression function, truncated to the 8-word chaining value.
    static func compress(_ cv: [UInt32], _ block: [UInt32], length: UInt32, counter: UInt64, flags: UInt32) -> [UInt32] {
        var v = cv + Array(BLAKE2s.iv[0..<4])
        v += [UInt32(truncatingIfNeeded: counter), UInt32(truncatingIfNeeded: counter >> 32), length, flags]
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
        let (h0, h1, h2, h3) = rootCompress4(WordLanes4(words: words), length: length).h
        for l in 0..<4 {
            output[4 * l] = h0[l]; output[4 * l + 1] = h1[l]; output[4 * l + 2] = h2[l]; output[4 * l + 3] = h3[l]
        }
    }

    /// Message words of four messages stored one after another, 16 words each.
    @usableFromInline
    struct WordLanes4: MessageLanes4 {
        @usableFromInline let words: UnsafePointer<UInt32>
        @inlinable init(words: UnsafePointer<UInt32>) { self.words = words }
        @inlinable @inline(__always)
        func word(_ k: Int) -> SIMD4<UInt32> { SIMD4(words[k], words[16 + k], words[32 + k], words[48 + k]) }
    }

    /// The compression of `hashBlocks4` on message words given as lanes (`m.word(k)` holds word
    /// `k` of every message): returns output words 0 ..< 4 of each lane. Specialized per lane
    /// source, so message words that are constant zero cost nothing. Never inlined: inlined into
    /// a large caller, its 56 `blakeMix` calls stayed calls (measured 47-51 vs 34 ns per hash).
    @inlinable @inline(never)
    static func rootCompress4<M: MessageLanes4>(_ m: M, length: Int) -> Digest4 {
        typealias V = SIMD4<UInt32>
        let m0 = m.word(0), m1 = m.word(1), m2 = m.word(2), m3 = m.word(3), m4 = m.word(4), m5 = m.word(5), m6 = m.word(6), m7 = m.word(7)
        let m8 = m.word(8), m9 = m.word(9), m10 = m.word(10), m11 = m.word(11), m12 = m.word(12), m13 = m.word(13), m14 = m.word(14), m15 = m.word(15)
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
        // Words 8 ..< 16 of the extended output: the state's second half XOR the input key (IV).
        let x = (v8 ^ V(repeating: 0x6A09E667), v9 ^ V(repeating: 0xBB67AE85), v10 ^ V(repeating: 0x3C6EF372), v11 ^ V(repeating: 0xA54FF53A))
        let y = (v12 ^ V(repeating: 0x510E527F), v13 ^ V(repeating: 0x9B05688C), v14 ^ V(repeating: 0x1F83D9AB), v15 ^ V(repeating: 0x5BE0CD19))
        return Digest4(h: (v0 ^ v8, v1 ^ v9, v2 ^ v10, v3 ^ v11), g: (v4 ^ v12, v5 ^ v13, v6 ^ v14, v7 ^ v15), x: x, y: y)
    }

    /// Output words of four lanes: words 0 ..< 4 (`h`), 4 ..< 8 (`g`), 8 ..< 12 (`x`) and
    /// 12 ..< 16 (`y`) of each lane's 64-byte (extended) output; `h, g` are the 32-byte digest.
    @usableFromInline
    struct Digest4 {
        @usableFromInline typealias Words = (SIMD4<UInt32>, SIMD4<UInt32>, SIMD4<UInt32>, SIMD4<UInt32>)
        @usableFromInline var h: Words
        @usableFromInline var g: Words
        @usableFromInline var x: Words
        @usableFromInline var y: Words
        @inlinable init(h: Words, g: Words, x: Words, y: Words) {
            self.h = h
            self.g = g
            self.x = x
            self.y = y
        }
    }

    /// The 64-byte BLAKE3 outputs (extended output, the BLAKE3 specification section 2.6) of
    /// four single-block messages of `length` bytes (`length <= 64`) given as in `hashBlocks4`:
    /// `output` receives 16 words per message. Equal to the first 64 bytes of the XOF per message.
    public static func extendedBlocks4(_ words: UnsafePointer<UInt32>, length: Int, into output: UnsafeMutablePointer<UInt32>) {
        let d = rootCompress4(WordLanes4(words: words), length: length)
        for l in 0..<4 {
            let lane = [d.h.0, d.h.1, d.h.2, d.h.3, d.g.0, d.g.1, d.g.2, d.g.3, d.x.0, d.x.1, d.x.2, d.x.3, d.y.0, d.y.1, d.y.2, d.y.3]
            for w in 0..<16 { output[16 * l + w] = lane[w][l] }
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

/// Sixteen message words, one message per SIMD lane, as read by `BLAKE3.rootCompress4`.
@usableFromInline
protocol MessageLanes4 {
    /// Word `k` (`0 ..< 16`) of every lane.
    func word(_ k: Int) -> SIMD4<UInt32>
}
