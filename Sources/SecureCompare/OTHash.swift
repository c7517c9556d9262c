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

    /// Splits large batches over all cores (hashing dominates OT extension).
    static func hash(count: Int, tweak: (Int) -> UInt64, block: (Int) -> Block, into out: inout [Block]) {
        let parallelThreshold = 1 << 14
        guard count >= parallelThreshold else { hashRange(0, count, tweak, block, &out); return }
        let parts = 8
        let chunk = (count + parts - 1) / parts / 4 * 4 + 4
        out.withUnsafeMutableBufferPointer { o in
            let base = SendableBuffer(o.baseAddress!)
            withoutActuallyEscaping(tweak) { tweak in
                withoutActuallyEscaping(block) { block in
                    let functions = SendableFunctions(tweak: tweak, block: block)
                    DispatchQueue.concurrentPerform(iterations: parts) { p in
                        let start = p * chunk, end = min(count, start + chunk)
                        guard start < end else { return }
                        var local = [Block](repeating: .zero, count: end - start)
                        hashRange(start, end, functions.tweak, functions.block, &local)
                        for i in start..<end { base.pointer[i] = local[i - start] }
                    }
                }
            }
        }
    }

    @inline(__always)
    static func hashRange(_ from: Int, _ to: Int, _ tweak: (Int) -> UInt64, _ block: (Int) -> Block, _ out: inout [Block]) {
        let count = to - from
        var words = [UInt32](repeating: 0, count: 64)
        var digest = [UInt32](repeating: 0, count: 16)
        words.withUnsafeMutableBufferPointer { w in
            digest.withUnsafeMutableBufferPointer { d in
                out.withUnsafeMutableBufferPointer { o in
                    var k = 0
                    while k < count {
                        let lanes = min(4, count - k)
                        for l in 0..<4 {
                            let i = from + k + min(l, lanes - 1)
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

/// Disjoint writes from parallel iterations.
struct SendableBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Block>
    init(_ p: UnsafeMutablePointer<Block>) { pointer = p }
}

/// Read-only closures shared by parallel iterations.
struct SendableFunctions: @unchecked Sendable {
    let tweak: (Int) -> UInt64
    let block: (Int) -> Block
}

import Dispatch
