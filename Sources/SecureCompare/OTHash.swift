/// The correlation-robust hash of the OT layer:
/// `H(tweak, x) = BLAKE3-128(tweak (8 bytes LE) || x)` (the first 16 bytes of the BLAKE3 digest)
/// for a 128-bit `x` (24-byte input) or a 256-bit `x` (40 bytes), a single BLAKE3 block (seven
/// rounds; BLAKE2s needs ten for the same block), computed four inputs at a time in SIMD lanes
/// and large batches split over all cores. Every call site uses tweaks that never repeat within
/// a session for the same kind of input (the OT index, combined with a choice index).
public enum OTHash {
    /// `H(tweaks[k], blocks[k])` for every `k`. Cost: one BLAKE3 compression per input.
    public static func hash(tweaks: [UInt64], blocks: [Block]) -> [Block] {
        precondition(tweaks.count == blocks.count)
        return tweaks.withUnsafeBufferPointer { t in
            blocks.withUnsafeBufferPointer { b in
                hash(TweakedBlocks(tweaks: t.baseAddress, blocks: b.baseAddress), count: blocks.count)
            }
        }
    }

    /// `H(first + k, blocks[k])` for consecutive tweaks.
    public static func hash(firstTweak first: UInt64, blocks: [Block]) -> [Block] {
        blocks.withUnsafeBufferPointer { b in
            hash(ConsecutiveBlocks(first: first, blocks: b.baseAddress, offset: .zero, paired: false), count: blocks.count)
        }
    }

    /// `H(tweaks[k], wide[k])` for 256-bit inputs given as pairs of blocks (40-byte messages
    /// `tweak || wide[k].0 || wide[k].1`). Cost: one BLAKE3 compression per input.
    public static func hash(tweaks: [UInt64], wide: [(Block, Block)]) -> [Block] {
        precondition(tweaks.count == wide.count)
        return tweaks.withUnsafeBufferPointer { t in
            wide.withUnsafeBufferPointer { w in hash(TweakedPairs(tweaks: t.baseAddress, pairs: w.baseAddress), count: wide.count) }
        }
    }

    /// The inputs of a batch: item `i` is `(tweak, x)` with `x = x0` (24-byte messages) or
    /// `x = x0 || x1` (40 bytes, `wide`). Concrete types keep the message loads inlined in the
    /// hashing loop (no call per input).
    protocol Items: ItemShape {
        func item(_ i: Int) -> (tweak: UInt64, x0: Block, x1: Block)
    }

    /// Whether the inputs of a batch are 128-bit (24-byte messages) or 256-bit (40 bytes).
    protocol ItemShape: Sendable {
        static var wide: Bool { get }
    }

    /// The inputs of 1-out-of-N pads: instance `k` has `2^width(k)` entries, entry `v` hashes
    /// `item(k, v)`.
    protocol InstanceItems: ItemShape {
        func width(_ k: Int) -> Int
        func item(_ k: Int, _ v: Int) -> (tweak: UInt64, x0: Block, x1: Block)
    }

    /// Per-instance packed pads: bits `v * entryBits ..< (v + 1) * entryBits` of `out[k]` are the
    /// low bits of `H(item(k, v))`, for `2^width(k) * entryBits <= 64` and `entryBits <= 32`.
    /// One compression per entry, four entries per SIMD pass; only the pad bits are stored (the
    /// 1-out-of-N sender needs no more). Large batches run in parallel over instances.
    static func packedPads<I: InstanceItems>(_ items: I, instances: Int, entryBits: Int) -> [UInt64] {
        precondition(entryBits >= 1 && entryBits <= 32)
        guard instances > 0 else { return [] }
        let mask: UInt64 = (1 << UInt64(entryBits)) - 1
        return [UInt64](unsafeUninitializedCapacity: instances) { out, initialized in
            let base = SharedPointer(out.baseAddress!)
            // Instances of `range`; each writes only its own word.
            parallelRanges(instances, minimumPerTask: parallelThreshold / 8) { range in
                for k in range {
                    let n = 1 << items.width(k)
                    precondition(n * entryBits <= 64)
                    var packed: UInt64 = 0
                    var v = 0
                    while v < n {
                        let c = min(4, n - v)
                        let (h0, _, _, _) = BLAKE3.rootCompress4(
                            ItemLanes4<I>(items.item(k, v), items.item(k, v + min(1, c - 1)), items.item(k, v + min(2, c - 1)), items.item(k, v + c - 1)),
                            length: I.wide ? 40 : 24).h
                        for l in 0..<c { packed |= (UInt64(h0[l]) & mask) << UInt64((v + l) * entryBits) }
                        v += c
                    }
                    base.pointer[k] = packed
                }
            }
            initialized = instances
        }
    }

    /// `(tweaks[i], blocks[i])`.
    struct TweakedBlocks: Items, @unchecked Sendable {
        static var wide: Bool { false }
        let tweaks: UnsafePointer<UInt64>?, blocks: UnsafePointer<Block>?
        func item(_ i: Int) -> (tweak: UInt64, x0: Block, x1: Block) { (tweaks![i], blocks![i], .zero) }
    }

    /// `(tweaks[i], pairs[i])`, 256-bit inputs.
    struct TweakedPairs: Items, @unchecked Sendable {
        static var wide: Bool { true }
        let tweaks: UnsafePointer<UInt64>?, pairs: UnsafePointer<(Block, Block)>?
        func item(_ i: Int) -> (tweak: UInt64, x0: Block, x1: Block) { (tweaks![i], pairs![i].0, pairs![i].1) }
    }

    /// `(first + i, blocks[i])`; with `paired`, items `2j` and `2j + 1` are
    /// `(first + j, blocks[j])` and `(first + j, blocks[j] ^ offset)` (both IKNP sender outputs).
    struct ConsecutiveBlocks: Items, @unchecked Sendable {
        static var wide: Bool { false }
        let first: UInt64, blocks: UnsafePointer<Block>?, offset: Block, paired: Bool
        func item(_ i: Int) -> (tweak: UInt64, x0: Block, x1: Block) {
            guard paired else { return (first &+ UInt64(i), blocks![i], .zero) }
            let odd = 0 &- UInt64(i & 1)
            let x = blocks![i >> 1] ^ Block(low: offset.low & odd, high: offset.high & odd)
            return (first &+ UInt64(i >> 1), x, .zero)
        }
    }

    /// `H(item(i))` for every item, as an array. Large batches run in parallel.
    static func hash<I: Items>(_ items: I, count: Int) -> [Block] {
        guard count > 0 else { return [] }
        // Every digest is written: no zero fill.
        return [Block](unsafeUninitializedCapacity: count) { o, initialized in
            hash(items, count: count, into: o.baseAddress!)
            initialized = count
        }
    }

    /// `out[i] = H(item(i))` for `i < count`.
    static func hash<I: Items>(_ items: I, count: Int, into out: UnsafeMutablePointer<Block>) {
        #if CRYPTOMASK_WIDE_SIMD && !CRYPTOMASK_AVX512
        // Eight lanes: through the message-word kernels.
        hash(count: count, length: I.wide ? 40 : 24, into: out) { i, w in
            let (tweak, x0, x1) = items.item(i)
            write(tweak, w)
            write(x0, w + 2)
            if I.wide { write(x1, w + 6) }
        }
        #else
        let base = SharedPointer(out)
        // Each range writes its own part of the output.
        parallelRanges(count, minimumPerTask: parallelThreshold / 2) { range in
            #if CRYPTOMASK_AVX512
            hashItems16(items, range.lowerBound, range.upperBound, base.pointer)
            #else
            hashItems4(items, range.lowerBound, range.upperBound, base.pointer)
            #endif
        }
        #endif
    }

    /// Items `from ..< to`, four per SIMD pass, message lanes built straight from the items (the
    /// zero words of the padded block are constants of the compression).
    @inline(__always)
    static func hashItems4<I: Items>(_ items: I, _ from: Int, _ to: Int, _ out: UnsafeMutablePointer<Block>) {
        var k = from
        while k < to {
            let n = min(4, to - k)
            // Short batches repeat their last input in the unused lanes.
            let a = items.item(k), b = items.item(k + min(1, n - 1)), c = items.item(k + min(2, n - 1)), d = items.item(k + n - 1)
            let (h0, h1, h2, h3) = BLAKE3.rootCompress4(ItemLanes4<I>(a, b, c, d), length: I.wide ? 40 : 24).h
            for l in 0..<n {
                out[k + l] = Block(low: UInt64(h0[l]) | UInt64(h1[l]) << 32, high: UInt64(h2[l]) | UInt64(h3[l]) << 32)
            }
            k += n
        }
    }

    #if CRYPTOMASK_AVX512
    /// Items `from ..< to`, sixteen per vector pass (word-major message buffer, see
    /// `BLAKE3.setLane16`).
    static func hashItems16<I: Items>(_ items: I, _ from: Int, _ to: Int, _ out: UnsafeMutablePointer<Block>) {
        // Message words at vectors 0 ..< 10, digests at 10 ..< 14.
        withUnsafeTemporaryAllocation(of: BLAKE3.Lanes16.self, capacity: 14) { buffer in
            let words = UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: UInt32.self)
            let digest = UnsafePointer(words + 160)
            var k = from
            while k < to {
                let n = min(16, to - k)
                // Short batches repeat their last input in the unused lanes.
                for l in 0..<16 {
                    let (tweak, x0, x1) = items.item(k + min(l, n - 1))
                    BLAKE3.setLane16(words, l, tweak, x0, x1, wide: I.wide)
                }
                let h = BLAKE3.rootCompress16(UnsafePointer(buffer.baseAddress!), shape: I.self, length: I.wide ? 40 : 24).h
                BLAKE3.store16(h, buffer.baseAddress! + 10)
                for l in 0..<n { out[k + l] = BLAKE3.block16(digest, l) }
                k += n
            }
        }
    }
    #endif

    /// Batches of at least this many inputs are split over all cores (`parallelRanges`).
    static let parallelThreshold = 1 << 14

    @inline(__always)
    static func write(_ x: UInt64, _ w: UnsafeMutablePointer<UInt32>) {
        w[0] = UInt32(truncatingIfNeeded: x); w[1] = UInt32(truncatingIfNeeded: x >> 32)
    }

    @inline(__always)
    static func write(_ b: Block, _ w: UnsafeMutablePointer<UInt32>) {
        write(b.low, w)
        write(b.high, w + 2)
    }

    /// Hashes `count` inputs of `length` bytes whose message words `fill(i, words)` writes,
    /// digest `i` to `out[i]`, through the message-word kernels (the eight-lane path of the
    /// native build; the default build hashes `Items` straight from their values).
    static func hash(count: Int, length: Int, into out: UnsafeMutablePointer<Block>,
                     fill: (Int, UnsafeMutablePointer<UInt32>) -> Void) {
        let base = SharedPointer(out)
        // Each range writes its own part of the output.
        parallelRanges(count, minimumPerTask: parallelThreshold / 2) { range in
            hashRange(range.lowerBound, range.upperBound, length, fill, base.pointer)
        }
    }

    /// Messages per SIMD pass: eight when the native build has wide vectors (AVX2 or AVX-512),
    /// four otherwise (eight lanes on SSE2 spill registers and run slower).
    #if CRYPTOMASK_WIDE_SIMD
    static let lanes = 8
    #else
    static let lanes = 4
    #endif

    static func hashRange(_ from: Int, _ to: Int, _ length: Int,
                          _ fill: (Int, UnsafeMutablePointer<UInt32>) -> Void, _ out: UnsafeMutablePointer<Block>) {
        let width = lanes
        var words = [UInt32](repeating: 0, count: 16 * width)
        var digest = [UInt32](repeating: 0, count: 4 * width)
        words.withUnsafeMutableBufferPointer { w in
            digest.withUnsafeMutableBufferPointer { d in
                var k = from
                while k < to {
                    let count = min(width, to - k)
                    // Short batches repeat their last input in the unused lanes.
                    for l in 0..<width { fill(k + min(l, count - 1), w.baseAddress! + 16 * l) }
                    if width == 8 {
                        BLAKE3.hashBlocks8(UnsafePointer(w.baseAddress!), length: length, into: d.baseAddress!)
                    } else {
                        BLAKE3.hashBlocks4(UnsafePointer(w.baseAddress!), length: length, into: d.baseAddress!)
                    }
                    for l in 0..<count {
                        out[k + l] = Block(low: UInt64(d[4 * l]) | UInt64(d[4 * l + 1]) << 32,
                                           high: UInt64(d[4 * l + 2]) | UInt64(d[4 * l + 3]) << 32)
                    }
                    k += count
                }
            }
        }
    }
}




/// The padded message blocks of four OT-hash items: `tweak || x0 (|| x1)`, zeros after.
struct ItemLanes4<I: OTHash.ItemShape>: MessageLanes4 {
    typealias Item = (tweak: UInt64, x0: Block, x1: Block)
    let a: Item, b: Item, c: Item, d: Item
    @inline(__always) init(_ a: Item, _ b: Item, _ c: Item, _ d: Item) { self.a = a; self.b = b; self.c = c; self.d = d }

    @inline(__always)
    func word(_ k: Int) -> SIMD4<UInt32> {
        @inline(__always) func lanes(_ f: (Item) -> UInt64, high: Bool) -> SIMD4<UInt32> {
            let shift: UInt64 = high ? 32 : 0
            return SIMD4(UInt32(truncatingIfNeeded: f(a) >> shift), UInt32(truncatingIfNeeded: f(b) >> shift),
                         UInt32(truncatingIfNeeded: f(c) >> shift), UInt32(truncatingIfNeeded: f(d) >> shift))
        }
        switch k {
        case 0, 1: return lanes({ $0.tweak }, high: k == 1)
        case 2, 3: return lanes({ $0.x0.low }, high: k == 3)
        case 4, 5: return lanes({ $0.x0.high }, high: k == 5)
        case 6, 7: return I.wide ? lanes({ $0.x1.low }, high: k == 7) : .zero
        case 8, 9: return I.wide ? lanes({ $0.x1.high }, high: k == 9) : .zero
        default: return .zero
        }
    }
}
