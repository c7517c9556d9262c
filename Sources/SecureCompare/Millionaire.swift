/// The millionaires' protocol in the CrypTFlow2 style: XOR shares of `[x > y]` for `l`-bit `x`
/// (server) and `y` (client), batched over many pairs. This is the form of the IKNP/KK13
/// supply; the silent supply chains its leaves instead (`chainedGreaterThan`).
///
/// Inputs split into `ceil(l / leafBits)` blocks of nearly equal width (at most `leafBits` bits;
/// the wider ones lowest, e.g. 4, 3, 3 for `l = 10`: a leaf of `w` bits costs the server `2^w`
/// hashes, so balanced blocks hash least for the fewest blocks). For block `j` the
/// server draws masks `alpha_j, beta_j` and offers, for every value `v` of the client's block,
/// `([x_j > v] ^ alpha_j, [x_j = v] ^ beta_j)`; the client fetches its entry by 1-out-of-2^w OT
/// (KK13, one 256-bit extension row per leaf; see `KK13`).
/// Adjacent ranges merge as `gt = gt_hi ^ eq_hi & gt_lo`, `eq = eq_hi & eq_lo` (the two terms of
/// `gt` are exclusive, so XOR is OR), in `ceil(log2 blocks)` rounds of batched ANDs; the range
/// holding block 0 never needs its `eq`.
/// Cost per pair for `l = 10`, `leafBits = 4`: 3 KK13 instances (96 bytes, 32 sender hashes),
/// 32 table entries of 2 bits (8 bytes), 2 ANDs (about 33 bytes and 4 bit OTs each).
extension Engine {
    static let leafBits = 4
    /// Values compared per batch inside `msb`.
    static let chunk = 1 << 16

    /// Shares of `[x > y]`. The server passes its `x` values, the client its `y` values.
    func greaterThan(_ values: [UInt64], bits l: Int) throws(SecureCompareError) -> BitVector {
        guard l >= 1, l <= 63 else { throw SecureCompareError.invalidArgument("comparison width \(l) must be 1 ... 63") }
        let n = values.count
        if n == 0 { return BitVector(count: 0) }
        channel.setPhase("millionaire")
        if supply == .silent { return try chainedGreaterThan(values, bits: l) }
        let blocks = (l + Engine.leafBits - 1) / Engine.leafBits
        let widths = (0..<blocks).map { l / blocks + ($0 < l % blocks ? 1 : 0) }
        let offsets = (0..<blocks).map { j in widths[0..<j].reduce(0, +) }
        // Leaves, block-major: leaf (j, i) at index j * n + i.
        var gt = [BitVector](), eq = [BitVector]()
        var instanceWidths: [Int] = []
        for j in 0..<blocks { instanceWidths += [Int](repeating: widths[j], count: n) }
        if party == .server {
            var alphas: [BitVector] = [], betas: [BitVector] = []
            for _ in 0..<blocks {
                alphas.append(BitVector.random(count: n, rng: &rng))
                betas.append(BitVector.random(count: n, rng: &rng))
            }
            // Entry v of instance (j, i): ([x_j > v] ^ alpha, [x_j = v] ^ beta) as two bits. The
            // unmasked row of a leaf value x is looked up (rows[x], entry v at bits 2v, 2v + 1);
            // the mask pair alpha | beta << 1 repeats in every entry (times 0x55...55).
            var rows = [UInt64](repeating: 0, count: 1 << Engine.leafBits)
            for x in rows.indices {
                for v in rows.indices {
                    let entry: UInt64 = (x > v ? 1 : 0) | (x == v ? 2 : 0)
                    rows[x] |= entry << UInt64(2 * v)
                }
            }
            let alphaWords = alphas.map(\.words), betaWords = betas.map(\.words)
            try kkSend(widths: instanceWidths, entryBits: 2) { e in
                let j = e / n, i = e % n
                let w = widths[j]
                let xj = Int((values[i] >> UInt64(offsets[j])) & ((1 << UInt64(w)) - 1))
                let a = alphaWords[j][i >> 6] >> UInt64(i & 63) & 1, b = betaWords[j][i >> 6] >> UInt64(i & 63) & 1
                let span = 2 * (1 << w)
                return (rows[xj] ^ (a | b << 1) &* 0x5555_5555_5555_5555) & (span == 64 ? .max : (1 << UInt64(span)) - 1)
            }
            gt = alphas
            eq = betas
        } else {
            var choices: [UInt64] = []
            choices.reserveCapacity(blocks * n)
            for j in 0..<blocks {
                let w = widths[j]
                for i in 0..<n { choices.append((values[i] >> UInt64(offsets[j])) & ((1 << UInt64(w)) - 1)) }
            }
            let entries = try kkReceive(choices: choices, widths: instanceWidths, entryBits: 2)
            for j in 0..<blocks {
                // Bit 0 of each entry is the gt share, bit 1 the eq share: packed 64 at a time.
                var g = [UInt64](repeating: 0, count: (n + 63) / 64), e = g
                entries.withUnsafeBufferPointer { ep in
                    for i in 0..<n {
                        let entry = ep[j * n + i]
                        g[i >> 6] |= (entry & 1) << UInt64(i & 63)
                        e[i >> 6] |= (entry >> 1 & 1) << UInt64(i & 63)
                    }
                }
                gt.append(BitVector(count: n, words: g))
                eq.append(BitVector(count: n, words: e))
            }
        }
        // Merge adjacent ranges, low blocks first; ranges[0] contains block 0 (no eq needed).
        while gt.count > 1 {
            let pairs = gt.count / 2
            var xs: [BitVector] = [], ys: [BitVector] = []
            for p in 0..<pairs {
                let lo = 2 * p, hi = 2 * p + 1
                xs.append(eq[hi]); ys.append(gt[lo])
                if p > 0 { xs.append(eq[hi]); ys.append(eq[lo]) }
            }
            let products = try and(BitVector.concatenate(xs), BitVector.concatenate(ys))
            var nextGt: [BitVector] = [], nextEq: [BitVector] = []
            var k = 0
            for p in 0..<pairs {
                let hi = 2 * p + 1
                nextGt.append(gt[hi] ^ products.slice(k * n ..< k * n + n))
                k += 1
                if p > 0 {
                    nextEq.append(products.slice(k * n ..< k * n + n))
                    k += 1
                } else {
                    nextEq.append(BitVector(count: n))  // never used
                }
            }
            if gt.count % 2 == 1 { nextGt.append(gt[gt.count - 1]); nextEq.append(eq[eq.count - 1]) }
            gt = nextGt
            eq = nextEq
        }
        return gt[0]
    }

    /// Shares of `msb(a + b mod 2^l)` for additive shares `a` (server) and `b` (client), using
    /// `msb(a + b) = msb(a) ^ msb(b) ^ carry` with `carry = [a' > 2^(l-1) - 1 - b']` on the low
    /// `l - 1` bits: one millionaires' instance per value. `2 <= l <= 32`.
    func msb(_ shares: [UInt64], bits l: Int) throws(SecureCompareError) -> BitVector {
        guard l >= 2, l <= 32 else { throw SecureCompareError.invalidArgument("share width \(l) must be 2 ... 32") }
        let low = (UInt64(1) << UInt64(l - 1)) - 1
        let inputs = party == .server ? shares.map { $0 & low } : shares.map { low - ($0 & low) }
        // Chunks of 2^16 values bound the working memory (OT rows, pads) to tens of megabytes.
        var parts: [BitVector] = []
        var start = 0
        while start < inputs.count {
            let end = min(inputs.count, start + Engine.chunk)
            parts.append(try greaterThan(Array(inputs[start..<end]), bits: l - 1))
            start = end
        }
        var out = BitVector.concatenate(parts)
        for (i, s) in shares.enumerated() where (s >> UInt64(l - 1)) & 1 == 1 { out[i].toggle() }
        return out
    }

    /// Shares of `OR` of all shared bits, as `NOT AND(NOT b_i)` over a balanced tree of batched
    /// ANDs: `ceil(log2 n)` rounds and `n - 1` ANDs, triples made in one batch up front.
    func or(_ bits: BitVector) throws(SecureCompareError) -> Bool {
        guard bits.count > 0 else { throw SecureCompareError.invalidArgument("OR of no bits") }
        try makeTriples(max(0, bits.count - 1 - pool.a.count))
        channel.setPhase("or")
        // NOT on XOR shares: only the server flips.
        var level = party == .server ? ~bits : bits
        while level.count > 1 {
            let half = level.count / 2
            let product = try and(level.slice(0 ..< half), level.slice(half ..< 2 * half))
            level = level.count % 2 == 1 ? BitVector.concatenate([product, level.slice(2 * half ..< level.count)]) : product
        }
        return party == .server ? !level[0] : level[0]
    }
}
