import RingArithmetic

/// Multi-point correlated OT with regular noise, semi-honest, after Ferret (Yang, Weng, Lan,
/// Zhang, Wang, CCS 2020): `t` GGM trees (`GGMTree`) of `2^h` leaves side by side; tree `τ`
/// covers outputs `τ 2^h ..< (τ + 1) 2^h` and has exactly one noise position `α_τ` (one per bin).
///
/// Sender (holds `Δ`): outputs `v` (its leaves). Receiver: outputs `w` with
/// `w_i = v_i ^ e_i Δ`, `e` the unit vector at `τ 2^h + α_τ` in each bin.
///
/// Inputs: `t h` earlier COTs (`v_q` at the sender, `b_q` and `w_q = v_q ^ b_q Δ` at the
/// receiver), COT `q = τ h + L - 1` serving level `L` of tree `τ`. Level OT: the sender sends
/// `K_L^0 ^ H(tweak + q, v_q)` and `K_L^1 ^ H(tweak + q, v_q ^ Δ)`; the receiver unmasks
/// `K_L^{b_q}` with `H(tweak + q, w_q)`. On a wide level (`GGMTree.isWide`) the sums are 256
/// bits and each pad is `H(tweak + q, x) || H(highTweak + q, x)`. So the punctured path takes
/// direction `a_L = 1 - b_q`:
/// the noise position is fixed by the receiver's random choice bits, and no choice needs to be
/// sent. Then the sender sends `c_τ = Δ ^ XOR of its leaves`, from which the receiver gets
/// `w_α = c_τ ^ XOR_{i != α} v_i = v_α ^ Δ`. The hash is `OTHash` (correlation-robust); each
/// base COT is hashed under its own tweak, never XORed with another COT block first, so the
/// pads of different COTs are independent although they share `Δ`, and `Δ` only ever enters
/// a hash input or the correction `c_τ`, which is masked by the uniform leaf `v_α` the receiver
/// never sees.
///
/// Bytes: one frame of `t (32 h + 32 floor(h / 2) + 16)` payload bytes from sender to
/// receiver (per tree: 32 bytes per level, 64 per wide level, and the 16-byte correction).
public enum RegularNoiseMPCOT {
    /// Payload bytes of the sender's message.
    public static func messageBytes(trees: Int, depth: Int) -> Int { trees * treeBytes(depth: depth) }

    /// Bytes of one tree's record.
    static func treeBytes(depth: Int) -> Int { 32 * depth + 32 * GGMTree.wideLevels(depth: depth) + 16 }

    /// Offset of level `level`'s (0-based) sums in a tree's record.
    static func levelOffset(_ level: Int, depth: Int) -> Int {
        (0..<level).reduce(0) { $0 + (GGMTree.isWide(level: $1 + 1, depth: depth) ? 64 : 32) }
    }

    /// The base COTs `q` that serve wide levels, in order.
    static func wideBase(trees: Int, depth: Int) -> [Int] {
        (0..<trees).flatMap { tau in (0..<depth).filter { GGMTree.isWide(level: $0 + 1, depth: depth) }.map { tau * depth + $0 } }
    }

    /// Checks the shape: `1 <= depth <= 20`, `trees >= 1`, the base and output sizes.
    static func check(trees: Int, depth: Int, base: Int, output: Int) throws(SecureCompareError) {
        // trees * depth < 2^24: base COT indices stay below the level tweaks' 24-bit field.
        guard trees >= 1, depth >= 1, depth <= 20, trees * depth < 1 << 24, base == trees * depth, output == trees << depth else {
            throw SecureCompareError.invalidArgument("MPCOT of \(trees) trees of depth \(depth) needs \(trees * depth) base COTs and \(trees << depth) outputs")
        }
    }

    /// Sender: writes `v` (`trees 2^depth` blocks) to `output` and sends the level OTs and
    /// corrections. `base[q]` are the sender's base COT blocks, hashed under `tweak + q`.
    public static func send(base: UnsafeBufferPointer<Block>, tweak: UInt64, highTweak: UInt64, delta: Block, trees: Int, depth: Int,
                            rng: inout ChaChaDRBG, channel: Channel, into output: UnsafeMutableBufferPointer<Block>) throws(SecureCompareError) {
        try check(trees: trees, depth: depth, base: base.count, output: output.count)
        let seeds = (0..<trees).map { _ in Block.random(&rng) }
        var sums = [GGMTree.LevelSums](repeating: GGMTree.LevelSums(left: (.zero, .zero), right: (.zero, .zero)), count: trees * depth)
        let out = SharedPointer(output.baseAddress!), leaves = 1 << depth
        sums.withUnsafeMutableBufferPointer { s in
            let sp = SharedPointer(s.baseAddress!)
            parallelRanges(trees, minimumPerTask: 8) { range in
                for tau in range { GGMTree.expand(seed: seeds[tau], depth: depth, leaves: out.pointer + tau * leaves, sums: sp.pointer + tau * depth) }
            }
        }
        // Pads H(tweak + q, v_q) and H(tweak + q, v_q ^ Δ), interleaved; for wide levels also
        // the second halves under highTweak + q (index w of the wide COTs: 2w, 2w + 1).
        let pads = OTHash.hash(OTHash.ConsecutiveBlocks(first: tweak, blocks: base.baseAddress, offset: delta, paired: true), count: 2 * base.count)
        let wide = wideBase(trees: trees, depth: depth)
        let highPads = OTHash.hash(tweaks: wide.flatMap { [highTweak + UInt64($0), highTweak + UInt64($0)] },
                                   blocks: wide.flatMap { [base[$0], base[$0] ^ delta] })
        var message = [UInt8](repeating: 0, count: messageBytes(trees: trees, depth: depth))
        message.withUnsafeMutableBytes { m in
            var offset = 0, w = 0
            for tau in 0..<trees {
                for level in 0..<depth {
                    let q = tau * depth + level
                    m.storeBlock(sums[q].left.0 ^ pads[2 * q], at: offset)
                    m.storeBlock(sums[q].right.0 ^ pads[2 * q + 1], at: offset + 16)
                    offset += 32
                    if GGMTree.isWide(level: level + 1, depth: depth) {
                        m.storeBlock(sums[q].left.1 ^ highPads[2 * w], at: offset)
                        m.storeBlock(sums[q].right.1 ^ highPads[2 * w + 1], at: offset + 16)
                        offset += 32
                        w += 1
                    }
                }
                // The XOR of all leaves is the XOR of the last (never wide) level's two sums.
                let last = sums[tau * depth + depth - 1]
                m.storeBlock(delta ^ last.left.0 ^ last.right.0, at: offset)
                offset += 16
            }
        }
        try channel.send(.silentOT, message)
    }

    /// Receiver: writes `w` to `output` and returns the noise positions `α_τ` (within each bin).
    /// `base[q]` and `choices(q)` are the receiver's base COT blocks and choice bits.
    /// - Throws: `SecureCompareError.malformed` for a message of the wrong size.
    public static func receive(base: UnsafeBufferPointer<Block>, choices: (Int) -> Bool, tweak: UInt64, highTweak: UInt64, trees: Int, depth: Int,
                               channel: Channel, into output: UnsafeMutableBufferPointer<Block>) throws(SecureCompareError) -> [Int] {
        try check(trees: trees, depth: depth, base: base.count, output: output.count)
        let message = try channel.receive(.silentOT)
        guard message.count == messageBytes(trees: trees, depth: depth) else {
            throw SecureCompareError.malformed("MPCOT message of \(message.count) bytes")
        }
        let bits = (0..<base.count).map(choices)
        let pads = OTHash.hash(OTHash.ConsecutiveBlocks(first: tweak, blocks: base.baseAddress, offset: .zero, paired: false), count: base.count)
        // Second pad halves of the wide levels' COTs, and where each q's lands (-1: narrow).
        let wide = wideBase(trees: trees, depth: depth)
        let highPads = OTHash.hash(tweaks: wide.map { highTweak + UInt64($0) }, blocks: wide.map { base[$0] })
        var highIndex = [Int](repeating: -1, count: base.count)
        for (w, q) in wide.enumerated() { highIndex[q] = w }
        let offsets = (0..<depth).map { levelOffset($0, depth: depth) }
        // Path direction a_L = 1 - b_q, most significant bit first.
        let alphas = (0..<trees).map { tau in
            (0..<depth).reduce(0) { $0 << 1 | (bits[tau * depth + $1] ? 0 : 1) }
        }
        let out = SharedPointer(output.baseAddress!), leaves = 1 << depth, stride = treeBytes(depth: depth)
        message.withUnsafeBytes { m in
            let raw = SharedRawPointer(UnsafeMutableRawPointer(mutating: m.baseAddress!))
            parallelRanges(trees, minimumPerTask: 8) { range in
                for tau in range {
                    let tree = out.pointer + tau * leaves, record = UnsafeRawBufferPointer(start: raw.pointer + tau * stride, count: stride)
                    GGMTree.reconstruct(punctured: alphas[tau], depth: depth, leaves: tree) { level in
                        let q = tau * depth + level, at = offsets[level] + (bits[q] ? 16 : 0)
                        let low = record.loadBlock(at: at) ^ pads[q]
                        guard highIndex[q] >= 0 else { return (low, .zero) }
                        return (low, record.loadBlock(at: at + 32) ^ highPads[highIndex[q]])
                    }
                    var sum = record.loadBlock(at: stride - 16)
                    for i in 0..<leaves { sum = sum ^ tree[i] }
                    tree[alphas[tau]] = sum
                }
            }
        }
        return alphas
    }
}

extension UnsafeMutableRawBufferPointer {
    /// Stores `b` as 16 little-endian bytes at `offset`.
    @inline(__always)
    func storeBlock(_ b: Block, at offset: Int) {
        storeBytes(of: b.low.littleEndian, toByteOffset: offset, as: UInt64.self)
        storeBytes(of: b.high.littleEndian, toByteOffset: offset + 8, as: UInt64.self)
    }
}

extension UnsafeRawBufferPointer {
    /// The block stored as 16 little-endian bytes at `offset`.
    @inline(__always)
    func loadBlock(at offset: Int) -> Block {
        Block(low: UInt64(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self)),
              high: UInt64(littleEndian: loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)))
    }
}
