import Dispatch

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
        return hash(count: blocks.count, length: 24) { i, w in
            write(tweaks[i], w)
            write(blocks[i], w + 2)
        }
    }

    /// `H(first + k, blocks[k])` for consecutive tweaks.
    public static func hash(firstTweak first: UInt64, blocks: [Block]) -> [Block] {
        hash(count: blocks.count, length: 24) { i, w in
            write(first &+ UInt64(i), w)
            write(blocks[i], w + 2)
        }
    }

    /// `H(tweaks[k], wide[k])` for 256-bit inputs given as pairs of blocks.
    static func hash(tweaks: [UInt64], wide: [(Block, Block)]) -> [Block] {
        precondition(tweaks.count == wide.count)
        return hash(count: wide.count, length: 40) { i, w in
            write(tweaks[i], w)
            write(wide[i].0, w + 2)
            write(wide[i].1, w + 6)
        }
    }

    @inline(__always)
    static func write(_ x: UInt64, _ w: UnsafeMutablePointer<UInt32>) {
        w[0] = UInt32(truncatingIfNeeded: x); w[1] = UInt32(truncatingIfNeeded: x >> 32)
    }

    @inline(__always)
    static func write(_ b: Block, _ w: UnsafeMutablePointer<UInt32>) {
        write(b.low, w)
        write(b.high, w + 2)
    }

    /// Hashes `count` inputs of `length` bytes whose message words `fill(i, words)` writes.
    static func hash(count: Int, length: Int, fill: (Int, UnsafeMutablePointer<UInt32>) -> Void) -> [Block] {
        // Every digest is written by `hash(count:length:into:fill:)`: no zero fill.
        [Block](unsafeUninitializedCapacity: count) { o, initialized in
            hash(count: count, length: length, into: o.baseAddress!, fill: fill)
            initialized = count
        }
    }

    /// Like `hash(count:length:fill:)`, writing digest `i` to `out[i]`.
    static func hash(count: Int, length: Int, into out: UnsafeMutablePointer<Block>,
                     fill: (Int, UnsafeMutablePointer<UInt32>) -> Void) {
        let parallelThreshold = 1 << 14
        let base = SendableBuffer(out)
        guard count >= parallelThreshold else { hashRange(0, count, length, fill, base.pointer); return }
        let parts = 8
        let chunk = (count + parts - 1) / parts / 4 * 4 + 4
        withoutActuallyEscaping(fill) { fill in
            let f = SendableFill(fill: fill)
            DispatchQueue.concurrentPerform(iterations: parts) { p in
                let start = p * chunk, end = min(count, start + chunk)
                // Each part writes its own disjoint range of the output.
                if start < end { hashRange(start, end, length, f.fill, base.pointer) }
            }
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

/// Disjoint writes from parallel iterations.
struct SendableBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Block>
    init(_ p: UnsafeMutablePointer<Block>) { pointer = p }
}

/// A read-only message filler shared by parallel iterations.
struct SendableFill: @unchecked Sendable {
    let fill: (Int, UnsafeMutablePointer<UInt32>) -> Void
}
