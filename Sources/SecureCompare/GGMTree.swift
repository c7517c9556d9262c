/// GGM trees (Goldreich, Goldwasser, Micali, J. ACM 1986) for single-point correlated OT as in
/// Ferret (Yang, Weng, Lan, Zhang, Wang, CCS 2020): a seed expands by a length-doubling PRG into
/// `2^depth` leaves; the XORs of all left children and of all right children of each level (the
/// level sums) let a party that knows all but one path rebuild every leaf except the punctured one.
///
/// PRG: `G(s) = BLAKE3-256(tag || s)` (one compression of a 24-byte message, the 8-byte `tag`
/// fixed), left child the first 16 digest bytes, right child the next 16; four nodes per SIMD pass.
/// The message has the shape of an `OTHash` input; `tag` is a value no counter-based OT tweak
/// reaches (IKNP indices would need 2^54 OTs), so PRG and hash calls never share an input.
/// Level `L` (1-based) sums: `K_L^0` = XOR of the even (left) nodes of level `L`, `K_L^1` of the
/// odd (right) ones. Leaves are indexed left to right; bit `depth - L` of a leaf index is the
/// direction taken at level `L` (the first level is the most significant bit).
public enum GGMTree {
    /// The PRG's domain tag ("GGM-PRG").
    static let tag: UInt64 = 0x0047_5250_2D4D_4747

    /// The hash-input shape of a PRG call: 24-byte messages.
    struct Shape: OTHash.ItemShape { static var wide: Bool { false } }

    /// Expands level `L` stored at `nodes[0 ..< count]` into level `L + 1` at `nodes[0 ..< 2 count]`
    /// in place (right to left, so no node is overwritten before it is read), returning the level
    /// sums `(K^0, K^1)` of the new level.
    @inline(__always)
    static func expandLevel(_ nodes: UnsafeMutablePointer<Block>, count: Int) -> (Block, Block) {
        var left = Block.zero, right = Block.zero
        #if CRYPTOMASK_AVX512
        // Message words at vectors 0 ..< 6, left children at 6 ..< 10, right ones at 10 ..< 14.
        withUnsafeTemporaryAllocation(of: BLAKE3.Lanes16.self, capacity: 14) { buffer in
            let words = UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: UInt32.self)
            let lefts = UnsafePointer(words + 96), rights = UnsafePointer(words + 160)
            var end = count
            while end > 0 {
                let lanes = min(16, end), base = end - lanes
                // All parents are read before any child is written (children land at 2j >= j).
                for l in 0..<16 { BLAKE3.setLane16(words, l, tag, nodes[base + min(l, lanes - 1)], .zero, wide: false) }
                let digest = BLAKE3.rootCompress16(UnsafePointer(buffer.baseAddress!), shape: Shape.self, length: 24)
                BLAKE3.store16(digest.h, buffer.baseAddress! + 6)
                BLAKE3.store16(digest.g, buffer.baseAddress! + 10)
                for l in 0..<lanes {
                    let l0 = BLAKE3.block16(lefts, l), r0 = BLAKE3.block16(rights, l)
                    nodes[2 * (base + l)] = l0
                    nodes[2 * (base + l) + 1] = r0
                    left = left ^ l0
                    right = right ^ r0
                }
                end = base
            }
        }
        return (left, right)
        #else
        var end = count
        while end > 0 {
            let lanes = min(4, end), base = end - lanes
            // All four parents are read before any child is written (children land at 2j >= j).
            let a = nodes[base], b = nodes[base + min(1, lanes - 1)], c = nodes[base + min(2, lanes - 1)], d = nodes[end - 1]
            let digest = BLAKE3.rootCompress4(ItemLanes4<Shape>((tag, a, .zero), (tag, b, .zero), (tag, c, .zero), (tag, d, .zero)), length: 24)
            let (h0, h1, h2, h3) = digest.h, (g0, g1, g2, g3) = digest.g
            for l in 0..<lanes {
                let l0 = Block(low: UInt64(h0[l]) | UInt64(h1[l]) << 32, high: UInt64(h2[l]) | UInt64(h3[l]) << 32)
                let r0 = Block(low: UInt64(g0[l]) | UInt64(g1[l]) << 32, high: UInt64(g2[l]) | UInt64(g3[l]) << 32)
                nodes[2 * (base + l)] = l0
                nodes[2 * (base + l) + 1] = r0
                left = left ^ l0
                right = right ^ r0
            }
            end = base
        }
        return (left, right)
        #endif
    }

    /// The sender's tree: `leaves[0 ..< 2^depth]` from `seed`, and the level sums
    /// `sums[L - 1] = (K_L^0, K_L^1)` for `L = 1 ... depth`. Cost: `2^depth - 1` PRG calls.
    static func expand(seed: Block, depth: Int, leaves: UnsafeMutablePointer<Block>, sums: UnsafeMutablePointer<(Block, Block)>) {
        leaves[0] = seed
        for level in 0..<depth { sums[level] = expandLevel(leaves, count: 1 << level) }
    }

    /// The receiver's tree: every leaf except `punctured` (set to zero) from the sibling sums
    /// `sibling(L - 1) = K_L^{1 - a_L}` (`a_L` the punctured path's direction at level `L`).
    ///
    /// Level by level, the receiver expands every node it knows (the path node holds junk and
    /// is expanded too); the off-path child of the path node is then the sibling sum XOR every
    /// other node on its side, and the on-path child is unknown (zeroed).
    static func reconstruct(punctured alpha: Int, depth: Int, leaves: UnsafeMutablePointer<Block>, sibling: (Int) -> Block) {
        leaves[0] = .zero
        for level in 0..<depth {
            let (left, right) = expandLevel(leaves, count: 1 << level)
            let parent = alpha >> (depth - level), a = (alpha >> (depth - level - 1)) & 1
            let off = 2 * parent + (1 - a)
            // leaves[off] currently holds junk, included in its side's sum: remove it and add K.
            leaves[off] = sibling(level) ^ (a == 0 ? right : left) ^ leaves[off]
            leaves[2 * parent + a] = .zero
        }
    }

    /// The sender's tree as arrays: `2^depth` leaves and `depth` level sums (`levelSums[L - 1]`
    /// for level `L`). `1 <= depth <= 24`.
    public static func expand(seed: Block, depth: Int) -> (leaves: [Block], levelSums: [(Block, Block)]) {
        precondition(depth >= 1 && depth <= 24)
        var leaves = [Block](repeating: .zero, count: 1 << depth)
        var sums = [(Block, Block)](repeating: (.zero, .zero), count: depth)
        leaves.withUnsafeMutableBufferPointer { l in
            sums.withUnsafeMutableBufferPointer { expand(seed: seed, depth: depth, leaves: l.baseAddress!, sums: $0.baseAddress!) }
        }
        return (leaves, sums)
    }

    /// The receiver's leaves for punctured leaf `punctured` (`0 ..< 2^depth`) from
    /// `siblingSums[L - 1] = K_L^{1 - a_L}`: equal to the sender's leaves except at `punctured`,
    /// which is zero.
    public static func reconstruct(punctured: Int, depth: Int, siblingSums: [Block]) -> [Block] {
        precondition(depth >= 1 && depth <= 24 && punctured >= 0 && punctured < 1 << depth && siblingSums.count == depth)
        var leaves = [Block](repeating: .zero, count: 1 << depth)
        leaves.withUnsafeMutableBufferPointer { reconstruct(punctured: punctured, depth: depth, leaves: $0.baseAddress!) { siblingSums[$0] } }
        return leaves
    }
}
