/// What the comparison needs, derived from the Ferret COT supply (`FerretCOTSender`): random
/// OTs, 1-out-of-2^m OT and (in `BooleanShares`) Beaver bit triples.
///
/// **Random OT.** COT `i` of a batch (sender `v_i`, receiver `b_i`, `w_i = v_i ^ b_i Δ`) gives
/// the sender `R_i^0 = H(τ_i, v_i)`, `R_i^1 = H(τ_i, v_i ^ Δ)` and the receiver
/// `R_i^{b_i} = H(τ_i, w_i)`, with `H` the correlation-robust `OTHash` and `τ_i` the COT's own
/// tweak (`COTBatch.firstTweak + i`, unique in the session). Why `Δ` cannot leak: the receiver
/// sees only outputs of `H` on inputs that differ from `w_i` by `Δ`, each under a tweak used
/// for no other COT, and no COT block is ever XORed with another before hashing (with a common
/// `Δ`, `w_1 ^ w_2 = v_1 ^ v_2` whenever `b_1 = b_2`, so such XORs would collide across choices).
/// Bit random OTs keep the low bit of each `R`.
///
/// **Chosen choice bits.** The receiver sends `d_i = c_i ^ b_i` (one bit per OT); the sender
/// swaps its pair where `d_i = 1`, so the receiver's `R_i^{b_i}` becomes the entry of choice `c_i`.
/// `b_i` is uniform and never used again, so `d_i` hides `c_i`.
///
/// **1-out-of-2^m OT of short entries** (Brassard, Crépeau, Robert, FOCS 1986; Naor, Pinkas,
/// STOC 1999): the receiver's choice `c` drives `m` random OTs with chosen bits `c_1 .. c_m`;
/// entry `v` (`entryBits` wide, `2^m entryBits <= 64`) is masked by bits
/// `v entryBits ..< (v + 1) entryBits` of `XOR_i R_i^{v_i}` (low 64 bits). For `v != c` some
/// `R_i^{1 - c_i}` is unknown to the receiver and uniform, and different entries use disjoint
/// bit ranges of it, so every other entry is masked by fresh uniform bits. No second hash per
/// entry: the sender hashes `2m` times per instance, the receiver `m`.
/// Bytes: receiver to sender `ceil(M / 8) + 5` for `M` OTs; sender to receiver the tables.
extension Engine {
    /// Calls `body` with the pads of a batch: at the sender `R_i^0` at `2i` and `R_i^1` at
    /// `2i + 1`, at the receiver `R_i^{b_i}` at `i`. The pads live in a scratch buffer the
    /// engine keeps (no fresh pages per batch); valid during the call.
    func withPads<R, E: Error>(_ batch: COTBatch, _ body: (UnsafePointer<Block>) throws(E) -> R) throws(E) -> R {
        let sender = party == .server, count = (sender ? 2 : 1) * batch.blocks.count
        if padScratch.count < count { padScratch = [Block](repeating: .zero, count: count) }
        let delta = sender ? cotSender!.delta : .zero
        return try padScratch.withUnsafeMutableBufferPointer { (out) throws(E) -> R in
            batch.blocks.withUnsafeBufferPointer { b in
                OTHash.hash(OTHash.ConsecutiveBlocks(first: batch.firstTweak, blocks: b.baseAddress, offset: delta, paired: sender),
                            count: count, into: out.baseAddress!)
            }
            return try body(UnsafePointer(out.baseAddress!))
        }
    }

    /// The low bit of `pads[stride * i + offset]` for `i < count`, packed.
    static func lowBits(_ pads: UnsafePointer<Block>, count: Int, stride: Int, offset: Int) -> BitVector {
        var words = [UInt64](repeating: 0, count: (count + 63) / 64)
        for i in 0..<count { words[i >> 6] |= (pads[stride * i + offset].low & 1) << UInt64(i & 63) }
        return BitVector(count: count, words: words)
    }

    /// Sender side of `m` bit random OTs from COTs: `(m0, m1)`.
    func cotBitOTsSend(_ m: Int) throws(SecureCompareError) -> (m0: BitVector, m1: BitVector) {
        withPads(try cotSender!.take(m)) { pads in
            (Engine.lowBits(pads, count: m, stride: 2, offset: 0), Engine.lowBits(pads, count: m, stride: 2, offset: 1))
        }
    }

    /// Receiver side of `m` bit random OTs from COTs: random choices `c` and `m_c`.
    func cotBitOTsReceive(_ m: Int) throws(SecureCompareError) -> (choices: BitVector, chosen: BitVector) {
        let batch = try cotReceiver!.take(m)
        return (batch.choices, withPads(batch) { Engine.lowBits($0, count: m, stride: 1, offset: 0) })
    }

    /// Masks of the entries whose index has bit `i` set, for `eb`-bit entries in a 64-bit word:
    /// `segmentMasks[6 (eb - 1) + i]` (`eb` 1 ... 32, `i` 0 ..< 6).
    static let segmentMasks: [UInt64] = (1...32).flatMap { eb in
        (0..<6).map { i in
            var mask: UInt64 = 0
            for v in 0..<(64 / eb) where (v >> i) & 1 == 1 { mask |= ((1 << UInt64(eb)) - 1) << UInt64(v * eb) }
            return mask
        }
    }

    /// Server side of 1-out-of-2^m OT from COTs: instance `e` offers `2^widths[e]` entries of
    /// `entryBits(e)` bits packed by `table(e)` (entry `v` at bit `v entryBits(e)`).
    func cotOneOfNSend(widths: [Int], entryBits: (Int) -> Int, table: (Int) -> UInt64) throws(SecureCompareError) {
        var offsets = [Int](repeating: 0, count: widths.count + 1)
        for (e, m) in widths.enumerated() {
            precondition(m >= 1 && m <= 5 && (1 << m) * entryBits(e) <= 64)
            offsets[e + 1] = offsets[e] + m
        }
        let total = offsets[widths.count]
        let batch = try cotSender!.take(total)
        var packed = [UInt64](repeating: 0, count: widths.count)
        // The pads are hashed before the receiver's bits arrive (they do not depend on them).
        try withPads(batch) { (r) throws(SecureCompareError) in
            let flips = try BitVector(bytes: channel.receive(.otChoices), count: total)
            let masks = Engine.segmentMasks
            packed.withUnsafeMutableBufferPointer { pk in
                let out = SharedPointer(pk.baseAddress!)
                parallelRanges(widths.count, minimumPerTask: 4096) { range in
                    for e in range {
                        let o = offsets[e], base = 6 * (entryBits(e) - 1)
                        var pad: UInt64 = 0
                        for i in 0..<widths[e] {
                            // Pair swapped where the receiver flipped its choice: R^{c} for c = d ^ b.
                            let d = flips[o + i] ? 1 : 0
                            let r0 = r[2 * (o + i) + d].low, r1 = r[2 * (o + i) + 1 - d].low
                            pad ^= (r0 & ~masks[base + i]) | (r1 & masks[base + i])
                        }
                        out.pointer[e] = pad
                    }
                }
            }
        }
        try channel.send(.otMessages, Engine.maskTables(widths: widths, entryBits: entryBits, packedPads: packed, table: table))
    }

    /// Client side: entry `choices[e]` of instance `e` (see `cotOneOfNSend`).
    func cotOneOfNReceive(choices: [UInt64], widths: [Int], entryBits: (Int) -> Int) throws(SecureCompareError) -> [UInt64] {
        let total = widths.reduce(0, +)
        let batch = try cotReceiver!.take(total)
        var flips = [UInt64](repeating: 0, count: (total + 63) / 64)
        var o = 0
        for (e, m) in widths.enumerated() {
            for i in 0..<m {
                let bit = (choices[e] >> UInt64(i)) & 1 ^ (batch.choices[o + i] ? 1 : 0)
                flips[(o + i) >> 6] |= bit << UInt64((o + i) & 63)
            }
            o += m
        }
        try channel.send(.otChoices, BitVector(count: total, words: flips).bytes)
        var pads = [Block](repeating: .zero, count: widths.count)
        withPads(batch) { strings in
            var o = 0
            for (e, m) in widths.enumerated() {
                var x: UInt64 = 0
                for i in 0..<m { x ^= strings[o + i].low }
                pads[e] = Block(low: x >> UInt64(Int(choices[e]) * entryBits(e)), high: 0)
                o += m
            }
        }
        return try Engine.unmaskTables(choices: choices, widths: widths, entryBits: entryBits, pads: pads,
                                       payload: channel.receive(.otMessages))
    }
}
