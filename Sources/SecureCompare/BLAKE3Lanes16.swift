#if CRYPTOMASK_AVX512
/// BLAKE3 root compressions of sixteen single-block messages at once, one message per lane of
/// a 512-bit vector: the native build on a CPU with AVX-512, where each rotation of the mixing
/// function is one instruction (on SSE2 it takes three). Same digests as `hashBlocks4`.
extension BLAKE3 {
    /// Sixteen lanes of one state or message word.
    typealias Lanes16 = SIMD16<UInt32>

    /// Output words 0 ..< 4 (`h`, the OT hash's 16 bytes and a GGM node's first child),
    /// 4 ..< 8 (`g`, the second child) and 8 ..< 16 of the extended output, of every lane.
    struct Digest16 {
        typealias Words = (Lanes16, Lanes16, Lanes16, Lanes16)
        var h: Words
        var g: Words
        /// Words 8 ..< 12 and 12 ..< 16 of the 64-byte extended output.
        var x: Words
        var y: Words
    }

    /// The root compression of sixteen messages of `length` bytes (`length <= 64`) whose
    /// message words are `words[k]` (word `k` of every lane, `k < (S.wide ? 10 : 6)`; the
    /// others are zero padding, constants here). Written out like `hashBlocks8`: generic over
    /// the lane type, the compression did not specialize to the same vector code.
    @inline(never)
    static func rootCompress16<S: OTHash.ItemShape>(_ words: UnsafePointer<Lanes16>, shape: S.Type, length: Int) -> Digest16 {
        typealias V = Lanes16
        @inline(__always) func word(_ k: Int) -> V { k < (S.wide ? 10 : 6) ? words[k] : V() }
        let m0 = word(0), m1 = word(1), m2 = word(2), m3 = word(3), m4 = word(4), m5 = word(5), m6 = word(6), m7 = word(7)
        let m8 = word(8), m9 = word(9), m10 = word(10), m11 = word(11), m12 = word(12), m13 = word(13), m14 = word(14), m15 = word(15)
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
        let x = (v8 ^ V(repeating: 0x6A09E667), v9 ^ V(repeating: 0xBB67AE85), v10 ^ V(repeating: 0x3C6EF372), v11 ^ V(repeating: 0xA54FF53A))
        let y = (v12 ^ V(repeating: 0x510E527F), v13 ^ V(repeating: 0x9B05688C), v14 ^ V(repeating: 0x1F83D9AB), v15 ^ V(repeating: 0x5BE0CD19))
        return Digest16(h: (v0 ^ v8, v1 ^ v9, v2 ^ v10, v3 ^ v11), g: (v4 ^ v12, v5 ^ v13, v6 ^ v14, v7 ^ v15), x: x, y: y)
    }

    /// Writes the message words of `item` into lane `lane` of a word-major buffer (word `k` of
    /// lane `l` at `16 k + l`): `tweak || x0 (|| x1)` as little-endian words.
    @inline(__always)
    static func setLane16(_ words: UnsafeMutablePointer<UInt32>, _ lane: Int, _ tweak: UInt64, _ x0: Block, _ x1: Block, wide: Bool) {
        @inline(__always) func put(_ k: Int, _ x: UInt64) {
            words[16 * k + lane] = UInt32(truncatingIfNeeded: x)
            words[16 * k + 16 + lane] = UInt32(truncatingIfNeeded: x >> 32)
        }
        put(0, tweak); put(2, x0.low); put(4, x0.high)
        if wide { put(6, x1.low); put(8, x1.high) }
    }

    /// Stores four output words of every lane at `buffer[0 ..< 4]` (vector stores, so lanes are
    /// then read from memory instead of extracted one by one from registers).
    @inline(__always)
    static func store16(_ w: (Lanes16, Lanes16, Lanes16, Lanes16), _ buffer: UnsafeMutablePointer<Lanes16>) {
        buffer[0] = w.0; buffer[1] = w.1; buffer[2] = w.2; buffer[3] = w.3
    }

    /// Lane `lane` of four stored output words (see `store16`) as a block (words 0 and 1 the low half).
    @inline(__always)
    static func block16(_ words: UnsafePointer<UInt32>, _ lane: Int) -> Block {
        Block(low: UInt64(words[lane]) | UInt64(words[16 + lane]) << 32, high: UInt64(words[32 + lane]) | UInt64(words[48 + lane]) << 32)
    }
}

/// `blakeMix` on sixteen lanes. The `|` form becomes one rotate instruction with AVX-512.
@inline(__always)
func blakeMix(_ a: inout SIMD16<UInt32>, _ b: inout SIMD16<UInt32>, _ c: inout SIMD16<UInt32>, _ d: inout SIMD16<UInt32>,
              _ x: SIMD16<UInt32>, _ y: SIMD16<UInt32>) {
    typealias V = SIMD16<UInt32>
    @inline(__always) func rotr(_ x: V, _ n: UInt32) -> V { (x &>> V(repeating: n)) | (x &<< V(repeating: 32 - n)) }
    a = a &+ b &+ x; d = rotr(d ^ a, 16)
    c = c &+ d; b = rotr(b ^ c, 12)
    a = a &+ b &+ y; d = rotr(d ^ a, 8)
    c = c &+ d; b = rotr(b ^ c, 7)
}
#endif
