/// GGM trees (Goldreich, Goldwasser, Micali, J. ACM 1986) for single-point correlated OT as in
/// Ferret (Yang, Weng, Lan, Zhang, Wang, CCS 2020): a seed expands by PRGs into `2^depth`
/// leaves; the XORs of all left children and of all right children of each level (the level
/// sums) let a party that knows all but one path rebuild every leaf except the punctured one.
///
/// Levels are taken two at a time where they can be: one BLAKE3 compression yields 64 bytes
/// (the extended output), so a node at level `L` expands straight into its four grandchildren
/// at level `L + 2`, `G4(s) = BLAKE3-512(tag4 || s) = (s00, s01, s10, s11)`; its two children at
/// level `L + 1` are the 256-bit pairs `(s00, s01)` and `(s10, s11)`, split without a PRG call
/// ("wide" levels). A tree of depth `h` starts with one plain step `G(s) = BLAKE3-256(tag || s)`
/// (left child the first 16 digest bytes, right the next 16) when `h` is odd, then takes double
/// steps: about `2^h / 3` compressions instead of `2^h`. Level `L` is wide iff `h - L` is odd.
/// The price: a wide level's sums are 256-bit, so its level OT sends 64 bytes instead of 32.
///
/// Both messages have the shape of an `OTHash` input (24 bytes); `tag` and `tag4` are values
/// no counter-based OT tweak reaches (IKNP indices would need 2^54 and 2^61 OTs; every other
/// tweak domain has bit 62 or 63 set), so PRG and hash calls never share an input. Level `L` (1-based) sums: `K_L^0` = XOR of the even (left) nodes of
/// level `L`, `K_L^1` of the odd (right) ones. Leaves are indexed left to right; bit `depth - L`
/// of a leaf index is the direction taken at level `L` (the first level is the most significant
/// bit).
public enum GGMTree {
    /// The PRG's domain tag ("GGM-PRG").
    static let tag: UInt64 = 0x0047_5250_2D4D_4747
    /// The four-way PRG's domain tag ("GGM-PRG4").
    static let tag4: UInt64 = 0x3447_5250_2D4D_4747

    /// Whether level `level` (1-based) of a tree of depth `depth` is wide (256-bit nodes, the
    /// middle of a double step).
    public static func isWide(level: Int, depth: Int) -> Bool { (depth - level) % 2 == 1 }

    /// The wide levels of a tree of depth `depth`: `depth / 2`.
    public static func wideLevels(depth: Int) -> Int { depth / 2 }

    /// The sums of one level: `left = K^0`, `right = K^1`, each 256-bit on a wide level
    /// (`.1` the second block) and 128-bit otherwise (`.1` zero).
    public struct LevelSums: Sendable {
        public var left: (Block, Block)
        public var right: (Block, Block)
        public init(left: (Block, Block), right: (Block, Block)) {
            self.left = left
            self.right = right
        }
        /// `K^bit`.
        public func side(_ bit: Int) -> (Block, Block) { bit == 0 ? left : right }
    }

    /// The hash-input shape of a PRG call: 24-byte messages.
    struct Shape: OTHash.ItemShape { static var wide: Bool { false } }

    /// The PRG outputs of `nodes[0 ..< count]`, right to left: `body(j, out)` with the four
    /// 16-byte blocks of `BLAKE3(tag || nodes[j])`'s 64-byte output (`G` uses the first two,
    /// `G4` all four). Every node of a SIMD pass is read before `body` runs for any of them, so
    /// `body` may overwrite nodes at indices `>= j` (children land at `2j` or `4j`).
    @inline(__always)
    static func forEachOutput(_ nodes: UnsafeMutablePointer<Block>, count: Int, tag: UInt64,
                              _ body: (Int, (Block, Block, Block, Block)) -> Void) {
        #if CRYPTOMASK_AVX512
        // Message words at vectors 0 ..< 6, the 16 output words at 6 ..< 22.
        withUnsafeTemporaryAllocation(of: BLAKE3.Lanes16.self, capacity: 22) { buffer in
            let words = UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: UInt32.self)
            let out = UnsafePointer(words + 96)
            var end = count
            while end > 0 {
                let lanes = min(16, end), base = end - lanes
                for l in 0..<16 { BLAKE3.setLane16(words, l, tag, nodes[base + min(l, lanes - 1)], .zero, wide: false) }
                let d = BLAKE3.rootCompress16(UnsafePointer(buffer.baseAddress!), shape: Shape.self, length: 24)
                BLAKE3.store16(d.h, buffer.baseAddress! + 6)
                BLAKE3.store16(d.g, buffer.baseAddress! + 10)
                BLAKE3.store16(d.x, buffer.baseAddress! + 14)
                BLAKE3.store16(d.y, buffer.baseAddress! + 18)
                for l in (0..<lanes).reversed() {
                    body(base + l, (BLAKE3.block16(out, l), BLAKE3.block16(out + 64, l), BLAKE3.block16(out + 128, l), BLAKE3.block16(out + 192, l)))
                }
                end = base
            }
        }
        #else
        @inline(__always) func block(_ w: BLAKE3.Digest4.Words, _ l: Int) -> Block {
            Block(low: UInt64(w.0[l]) | UInt64(w.1[l]) << 32, high: UInt64(w.2[l]) | UInt64(w.3[l]) << 32)
        }
        var end = count
        while end > 0 {
            let lanes = min(4, end), base = end - lanes
            let a = nodes[base], b = nodes[base + min(1, lanes - 1)], c = nodes[base + min(2, lanes - 1)], d = nodes[end - 1]
            let digest = BLAKE3.rootCompress4(ItemLanes4<Shape>((tag, a, .zero), (tag, b, .zero), (tag, c, .zero), (tag, d, .zero)), length: 24)
            for l in (0..<lanes).reversed() {
                body(base + l, (block(digest.h, l), block(digest.g, l), block(digest.x, l), block(digest.y, l)))
            }
            end = base
        }
        #endif
    }

    /// Expands level `L` stored at `nodes[0 ..< count]` into level `L + 1` at `nodes[0 ..< 2 count]`
    /// in place (right to left, so no node is overwritten before it is read), returning the level
    /// sums `(K^0, K^1)` of the new level.
    @inline(__always)
    static func expandLevel(_ nodes: UnsafeMutablePointer<Block>, count: Int) -> (Block, Block) {
        var left = Block.zero, right = Block.zero
        forEachOutput(nodes, count: count, tag: tag) { j, out in
            nodes[2 * j] = out.0
            nodes[2 * j + 1] = out.1
            left = left ^ out.0
            right = right ^ out.1
        }
        return (left, right)
    }

    /// Expands level `L` stored at `nodes[0 ..< count]` into level `L + 2` at `nodes[0 ..< 4 count]`
    /// in place (right to left) by `G4`, returning the sums of the wide level `L + 1` (pairs)
    /// and of level `L + 2`.
    @inline(__always)
    static func expandTwoLevels(_ nodes: UnsafeMutablePointer<Block>, count: Int) -> (wide: LevelSums, next: LevelSums) {
        var wideLeft = (Block.zero, Block.zero), wideRight = (Block.zero, Block.zero), even = Block.zero, odd = Block.zero
        // Grandchildren of node j at 4j ..< 4j + 4: (s00, s01) is wide node 2j, (s10, s11) node 2j + 1.
        forEachOutput(nodes, count: count, tag: tag4) { j, c in
            nodes[4 * j] = c.0; nodes[4 * j + 1] = c.1; nodes[4 * j + 2] = c.2; nodes[4 * j + 3] = c.3
            wideLeft = (wideLeft.0 ^ c.0, wideLeft.1 ^ c.1)
            wideRight = (wideRight.0 ^ c.2, wideRight.1 ^ c.3)
            even = even ^ c.0 ^ c.2
            odd = odd ^ c.1 ^ c.3
        }
        return (LevelSums(left: wideLeft, right: wideRight), LevelSums(left: (even, .zero), right: (odd, .zero)))
    }

    /// The sender's tree: `leaves[0 ..< 2^depth]` from `seed`, and the level sums
    /// `sums[L - 1]` for `L = 1 ... depth`. Cost: about `2^depth / 3` compressions.
    static func expand(seed: Block, depth: Int, leaves: UnsafeMutablePointer<Block>, sums: UnsafeMutablePointer<LevelSums>) {
        leaves[0] = seed
        var level = 0
        while level < depth {
            if (depth - level) % 2 == 1 {
                let (left, right) = expandLevel(leaves, count: 1 << level)
                sums[level] = LevelSums(left: (left, .zero), right: (right, .zero))
                level += 1
            } else {
                let (wide, next) = expandTwoLevels(leaves, count: 1 << level)
                sums[level] = wide
                sums[level + 1] = next
                level += 2
            }
        }
    }

    /// The receiver's tree: every leaf except `punctured` (set to zero) from the sibling sums
    /// `sibling(L - 1) = K_L^{1 - a_L}` (`a_L` the punctured path's direction at level `L`;
    /// 256-bit on wide levels, the second block ignored on the others).
    ///
    /// Level by level, the receiver expands every node it knows (the path node holds junk and
    /// is expanded too); the off-path child of the path node is then the sibling sum XOR every
    /// other node on its side, and the on-path child is unknown (zeroed). A double step
    /// recovers the off-path wide child (a pair of grandchildren) first, then the off-path
    /// grandchild under the on-path wide child.
    static func reconstruct(punctured alpha: Int, depth: Int, leaves: UnsafeMutablePointer<Block>, sibling: (Int) -> (Block, Block)) {
        leaves[0] = .zero
        var level = 0
        while level < depth {
            let parent = alpha >> (depth - level), a1 = (alpha >> (depth - level - 1)) & 1
            if (depth - level) % 2 == 1 {
                let (left, right) = expandLevel(leaves, count: 1 << level)
                let off = 2 * parent + (1 - a1)
                // leaves[off] holds junk, included in its side's sum: remove it and add K.
                leaves[off] = sibling(level).0 ^ (a1 == 0 ? right : left) ^ leaves[off]
                leaves[2 * parent + a1] = .zero
                level += 1
            } else {
                let a2 = (alpha >> (depth - level - 2)) & 1
                let (wide, next) = expandTwoLevels(leaves, count: 1 << level)
                let p = 4 * parent
                let junk = (leaves[p], leaves[p + 1], leaves[p + 2], leaves[p + 3])
                @inline(__always) func junkAt(_ i: Int) -> Block { i == 0 ? junk.0 : i == 1 ? junk.1 : i == 2 ? junk.2 : junk.3 }
                // Wide level: the off-path pair is K^{1-a1} XOR every other pair on its side
                // (the side's sum includes the path node's junk pair, removed here).
                let offPair = 2 * (1 - a1), side = wide.side(1 - a1), k = sibling(level)
                let pair = (k.0 ^ side.0 ^ junkAt(offPair), k.1 ^ side.1 ^ junkAt(offPair + 1))
                // Next level: the off-path grandchild 2 a1 + (1 - a2) is K'^{1-a2} XOR every other
                // node of parity 1 - a2: the other nodes' (their sum less the path node's two junk
                // grandchildren of that parity) and the recovered pair's.
                let b = 1 - a2
                let others = next.side(b).0 ^ junkAt(b) ^ junkAt(2 + b)
                let target = sibling(level + 1).0 ^ others ^ (b == 0 ? pair.0 : pair.1)
                leaves[p + offPair] = pair.0
                leaves[p + offPair + 1] = pair.1
                leaves[p + 2 * a1 + b] = target
                leaves[p + 2 * a1 + a2] = .zero
                level += 2
            }
        }
    }

    /// The sender's tree as arrays: `2^depth` leaves and `depth` level sums (`levelSums[L - 1]`
    /// for level `L`). `1 <= depth <= 24`.
    public static func expand(seed: Block, depth: Int) -> (leaves: [Block], levelSums: [LevelSums]) {
        precondition(depth >= 1 && depth <= 24)
        var leaves = [Block](repeating: .zero, count: 1 << depth)
        var sums = [LevelSums](repeating: LevelSums(left: (.zero, .zero), right: (.zero, .zero)), count: depth)
        leaves.withUnsafeMutableBufferPointer { l in
            sums.withUnsafeMutableBufferPointer { expand(seed: seed, depth: depth, leaves: l.baseAddress!, sums: $0.baseAddress!) }
        }
        return (leaves, sums)
    }

    /// The receiver's leaves for punctured leaf `punctured` (`0 ..< 2^depth`) from
    /// `siblingSums[L - 1] = K_L^{1 - a_L}` (both blocks on a wide level, `GGMTree.isWide`; the
    /// second block is ignored on the others): equal to the sender's leaves except at
    /// `punctured`, which is zero.
    public static func reconstruct(punctured: Int, depth: Int, siblingSums: [(Block, Block)]) -> [Block] {
        precondition(depth >= 1 && depth <= 24 && punctured >= 0 && punctured < 1 << depth && siblingSums.count == depth)
        var leaves = [Block](repeating: .zero, count: 1 << depth)
        leaves.withUnsafeMutableBufferPointer { reconstruct(punctured: punctured, depth: depth, leaves: $0.baseAddress!) { siblingSums[$0] } }
        return leaves
    }
}
