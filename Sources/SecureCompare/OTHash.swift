/// The correlation-robust hash of the OT layer: `H(tweak, x) = BLAKE2s-128(tweak (8 bytes LE) || x (16 bytes))`,
/// a single BLAKE2s block, computed four inputs at a time in SIMD lanes. Every call site uses
/// tweaks that never repeat within a session (the OT index, combined with a choice index).
public enum OTHash {
    /// `H(tweaks[k], blocks[k])` for every `k`. Cost: one BLAKE2s compression per input,
    /// four per SIMD pass.
    public static func hash(tweaks: [UInt64], blocks: [Block]) -> [Block] {
        precondition(tweaks.count == blocks.count)
        var out = [Block](repeating: .zero, count: blocks.count)
        hash(count: blocks.count, tweak: { tweaks[$0] }, block: { blocks[$0] }, into: &out)
        return out
    }

    /// `H(first + k, blocks[k])` for consecutive tweaks.
    public static func hash(firstTweak first: UInt64, blocks: [Block]) -> [Block] {
        var out = [Block](repeating: .zero, count: blocks.count)
        hash(count: blocks.count, tweak: { first &+ UInt64($0) }, block: { blocks[$0] }, into: &out)
        return out
    }

    @inline(__always)
    static func hash(count: Int, tweak: (Int) -> UInt64, block: (Int) -> Block, into out: inout [Block]) {
        var words = [UInt32](repeating: 0, count: 64)
        var digest = [UInt32](repeating: 0, count: 16)
        words.withUnsafeMutableBufferPointer { w in
            digest.withUnsafeMutableBufferPointer { d in
                out.withUnsafeMutableBufferPointer { o in
                    var k = 0
                    while k < count {
                        let lanes = min(4, count - k)
                        for l in 0..<4 {
                            let i = k + min(l, lanes - 1)
                            let t = tweak(i), b = block(i)
                            let base = 16 * l
                            w[base] = UInt32(truncatingIfNeeded: t); w[base + 1] = UInt32(truncatingIfNeeded: t >> 32)
                            w[base + 2] = UInt32(truncatingIfNeeded: b.low); w[base + 3] = UInt32(truncatingIfNeeded: b.low >> 32)
                            w[base + 4] = UInt32(truncatingIfNeeded: b.high); w[base + 5] = UInt32(truncatingIfNeeded: b.high >> 32)
                        }
                        BLAKE2s.hashBlocks4(UnsafePointer(w.baseAddress!), length: 24, into: d.baseAddress!)
                        for l in 0..<lanes {
                            o[k + l] = Block(low: UInt64(d[4 * l]) | UInt64(d[4 * l + 1]) << 32,
                                             high: UInt64(d[4 * l + 2]) | UInt64(d[4 * l + 3]) << 32)
                        }
                        k += lanes
                    }
                }
            }
        }
    }
}
