import Testing
import RingArithmetic
import SecureCompare

@Suite("Silent OT (Ferret)")
struct SilentOTTests {
    @Test("GGM tree: the receiver rebuilds every leaf but the punctured one, for every position, h = 1 ... 7 (single and double steps)")
    func ggmEveryPosition() {
        var g = testRNG(300)
        for h in 1...7 {
            let (leaves, sums) = GGMTree.expand(seed: Block.random(&g), depth: h)
            #expect(Set(leaves).count == leaves.count)
            for alpha in 0..<(1 << h) {
                // K_L^{1 - a_L}: the sum on the side the path does not take.
                let siblings = (1...h).map { level in sums[level - 1].side(1 - (alpha >> (h - level)) & 1) }
                let rebuilt = GGMTree.reconstruct(punctured: alpha, depth: h, siblingSums: siblings)
                #expect(rebuilt[alpha] == .zero)
                #expect((0..<(1 << h)).allSatisfy { $0 == alpha || rebuilt[$0] == leaves[$0] }, "h=\(h) alpha=\(alpha)")
            }
        }
    }

    @Test("GGM double step: the four grandchildren of the seed are BLAKE3's 64-byte output of \"GGM-PRG4\" (LE) || seed; wide levels are every other one from the leaves up")
    func ggmDoubleStep() {
        var g = testRNG(301)
        let seed = Block.random(&g)
        let (leaves, sums) = GGMTree.expand(seed: seed, depth: 2)
        var words = [UInt32](repeating: 0, count: 64)
        let message: [UInt64] = [0x3447_5250_2D4D_4747, seed.low, seed.high]
        for (i, x) in message.enumerated() { words[2 * i] = UInt32(truncatingIfNeeded: x); words[2 * i + 1] = UInt32(truncatingIfNeeded: x >> 32) }
        for l in 1..<4 { for k in 0..<16 { words[16 * l + k] = words[k] } }
        var out = [UInt32](repeating: 0, count: 64)
        BLAKE3.extendedBlocks4(words, length: 24, into: &out)
        func word(_ i: Int) -> UInt64 { UInt64(out[i]) }
        let blocks = (0..<4).map { c -> Block in
            let low: UInt64 = word(4 * c) | word(4 * c + 1) << 32
            let high: UInt64 = word(4 * c + 2) | word(4 * c + 3) << 32
            return Block(low: low, high: high)
        }
        #expect(leaves == blocks)
        // Level 1 is wide: its sums are the 256-bit children (s00, s01) and (s10, s11).
        #expect(sums[0].left.0 == blocks[0] && sums[0].left.1 == blocks[1] && sums[0].right.0 == blocks[2] && sums[0].right.1 == blocks[3])
        #expect(sums[1].left.0 == blocks[0] ^ blocks[2] && sums[1].right.0 == blocks[1] ^ blocks[3])
        #expect((1...9).filter { GGMTree.isWide(level: $0, depth: 9) } == [2, 4, 6, 8])
        #expect((1...4).filter { GGMTree.isWide(level: $0, depth: 4) } == [1, 3])
    }

    @Test("regular-noise MPCOT over the channel equals the direct computation: tree τ punctured at τ, every position for h = 1 ... 5")
    func mpcotDirect() throws {
        for h in 1...5 {
            let trees = 1 << h
            var g = testRNG(UInt64(310 + h))
            let delta = Block.random(&g)
            // Base COTs made directly: b_q = 1 - (bit of τ at level L), so that α_τ = τ.
            var v: [Block] = [], w: [Block] = [], b: [Bool] = []
            for tau in 0..<trees {
                for level in 1...h {
                    let bit = (tau >> (h - level)) & 1 == 0
                    let x = Block.random(&g)
                    v.append(x); b.append(bit); w.append(bit ? x ^ delta : x)
                }
            }
            let baseV = v, baseW = w, bits = b
            let (sv, (rw, alphas), s, r) = try runParties({ ch in
                var rng = testRNG(320)
                var out = [Block](repeating: .zero, count: trees << h)
                try baseV.withUnsafeBufferPointer { base in
                    try out.withUnsafeMutableBufferPointer {
                        try RegularNoiseMPCOT.send(base: base, tweak: 77, highTweak: 1 << 40, delta: delta, trees: trees, depth: h, rng: &rng, channel: ch, into: $0)
                    }
                }
                return out
            }, { ch in
                var out = [Block](repeating: .zero, count: trees << h)
                let alphas = try baseW.withUnsafeBufferPointer { base in
                    try out.withUnsafeMutableBufferPointer {
                        try RegularNoiseMPCOT.receive(base: base, choices: { bits[$0] }, tweak: 77, highTweak: 1 << 40, trees: trees, depth: h, channel: ch, into: $0)
                    }
                }
                return (out, alphas)
            })
            #expect(alphas == Array(0..<trees))
            for i in 0..<(trees << h) {
                let noisy = i >> h == i & (trees - 1)
                #expect(rw[i] == (noisy ? sv[i] ^ delta : sv[i]), "h=\(h) i=\(i)")
            }
            #expect(s.statistics.bytesSent == RegularNoiseMPCOT.messageBytes(trees: trees, depth: h) + 5)
            #expect(RegularNoiseMPCOT.messageBytes(trees: trees, depth: h) == trees * (32 * h + 32 * (h / 2) + 16))
            #expect(r.statistics.bytesSent == 0)
        }
    }

    @Test("LPN code: the same from one seed on both sides, exactly d entries per output, indices cover 0 ..< k (chi-square)")
    func lpnCode() {
        let k = FerretParameters.main.k
        let a = LPNCode(k: k, seed: 0x1234), b = LPNCode(k: k, seed: 0x1234), other = LPNCode(k: k, seed: 0x1235)
        var counts = [Int](repeating: 0, count: k)
        let outputs = 300_000
        var differs = 0
        for i in 0..<outputs {
            let row = a.indices(i)
            #expect(row.count == LPNCode.d)
            if i < 1000 {
                #expect(row == b.indices(i))
                if row != other.indices(i) { differs += 1 }
            }
            for j in row { counts[j] += 1 }
        }
        #expect(differs >= 999)
        #expect(counts.allSatisfy { $0 >= 0 } && counts.reduce(0, +) == outputs * LPNCode.d)
        // Chi-square with k - 1 degrees of freedom: mean k - 1, standard deviation sqrt(2 (k - 1)).
        let expected = Double(outputs * LPNCode.d) / Double(k)
        let chi = counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        let df = Double(k - 1)
        #expect(abs(chi - df) < 6 * (2 * df).squareRoot(), "chi-square \(chi) for \(df) degrees of freedom")
    }

    @Test("LPN code: indices equal the generator stepped one state at a time (SplitMix64 seed, MMIX LCG, high 32 bits scaled to k)")
    func lpnCodeChain() {
        for (k, seed) in [(FerretParameters.small.k, UInt64(7)), (FerretParameters.main.k, 0xDEAD_BEEF), (1, 3)] {
            let code = LPNCode(k: k, seed: seed)
            for i in [0, 1, 2, 63, 64, 1000, 649_727, 10_608_639] {
                // SplitMix64's finalizer of seed + i * golden gamma, then d LCG steps.
                var z = seed &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                var x = z ^ (z >> 31)
                var chained: [Int] = []
                for _ in 0..<LPNCode.d {
                    x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    chained.append(Int(((x >> 32) &* UInt64(k)) >> 32))
                }
                #expect(code.indices(i) == chained, "k \(k), output \(i)")
            }
        }
    }

    /// Runs a Ferret sender and receiver over IKNP; returns both sides' batches and channels.
    /// With `prepare`, the iterations start at once; without, small takes come from IKNP first.
    func ferret(schedule: FerretSchedule, takes: [Int], seed: UInt64, prepare: Bool = true) throws -> ([COTBatch], [COTBatch], InMemoryChannel, InMemoryChannel) {
        try runParties({ ch in
            let iknp = OTExtensionSender(channel: ch, randomness: testSource(seed))
            try iknp.setup()
            ch.setPhase("ferret")
            let s = FerretCOTSender(bootstrap: iknp, randomness: testSource(seed + 1), schedule: schedule)
            if prepare { try s.prepare() }
            return try takes.map { n throws(SecureCompareError) in try s.take(n) }
        }, { ch in
            let iknp = OTExtensionReceiver(channel: ch, randomness: testSource(seed + 2))
            try iknp.setup()
            ch.setPhase("ferret")
            let r = FerretCOTReceiver(bootstrap: iknp, randomness: testSource(seed + 3), schedule: schedule)
            if prepare { try r.prepare() }
            return try takes.map { n throws(SecureCompareError) in try r.take(n) }
        })
    }

    /// IKNP bytes from receiver to sender for `m` extensions: 16 per padded OT, 5 per frame of 2^15.
    func iknpBytes(_ m: Int) -> Int {
        let padded = (m + 127) / 128 * 128
        return 16 * padded + 5 * ((padded + 32767) / 32768)
    }

    @Test("small sessions: takes within the direct limit are IKNP rows, correlated with the same Δ as the iterations after them")
    func directThenIterations() throws {
        let takes = [10, 5000, FerretSchedule.directLimit - 5011, 1, 70_000]  // the fourth fills the limit, the fifth iterates
        let (s, r, cs, cr) = try ferret(schedule: .small, takes: takes, seed: 350, prepare: false)
        let (bad, ones, _) = correlation(s, r)
        #expect(bad == 0 && ones > 0)
        #expect(zip(s.dropFirst(), s).allSatisfy { $0.firstTweak == $1.firstTweak + UInt64($1.blocks.count) })
        let direct = takes.prefix(4).reduce(0) { $0 + iknpBytes($1) }
        #expect(cr.statistics.phases["ferret"]?.sent == direct + iknpBytes(FerretParameters.small.baseCount))
        #expect(cs.statistics.phases["ferret"]?.sent == FerretParameters.small.bytes)
    }

    /// Checks `w = v ^ b Δ` for one unknown nonzero Δ; returns (mismatches, ones).
    func correlation(_ s: [COTBatch], _ r: [COTBatch]) -> (Int, Int, Block) {
        var delta: Block?
        var bad = 0, ones = 0
        for (sb, rb) in zip(s, r) {
            #expect(sb.firstTweak == rb.firstTweak && sb.blocks.count == rb.blocks.count && rb.choices.count == rb.blocks.count)
            for i in 0..<sb.blocks.count {
                let d = sb.blocks[i] ^ rb.blocks[i]
                if rb.choices[i] {
                    ones += 1
                    if delta == nil { delta = d }
                    if d != delta || d == .zero { bad += 1 }
                } else if d != .zero {
                    bad += 1
                }
            }
        }
        return (bad, ones, delta ?? .zero)
    }

    @Test("small set: w = v ^ b Δ for every COT of several iterations, balanced choice bits, exact bytes")
    func smallIterations() throws {
        let small = FerretParameters.small, usable = small.n - small.baseCount
        let takes = [1, 1000, usable - 1001, 2 * usable + 12_345]  // crosses three iteration boundaries
        let (s, r, cs, cr) = try ferret(schedule: .small, takes: takes, seed: 330)
        let total = takes.reduce(0, +)
        let (bad, ones, _) = correlation(s, r)
        #expect(bad == 0)
        #expect(abs(Double(ones) / Double(total) - 0.5) < 0.005, "ones \(ones) of \(total)")
        // Tweaks run on across batches.
        #expect(s[1].firstTweak == s[0].firstTweak + 1 && s[3].firstTweak == s[2].firstTweak + UInt64(takes[2]))
        // Bytes: the IKNP bootstrap and 4 iterations.
        let iknp = iknpBytes(small.baseCount)
        #expect(cr.statistics.phases["ferret"]?.sent == iknp)
        #expect(cs.statistics.phases["ferret"]?.sent == 4 * small.bytes)
        #expect(cs.statistics.phases["ferret"]?.received == iknp)
    }

    @Test("silent MSB bytes are exact: per block one frame of derandomization bits up and one of tables down, plus one iteration")
    func msbBytes() throws {
        let n = 1000, l = 11
        var g = testRNG(360)
        let a = (0..<n).map { _ in g.next() & 2047 }, b = (0..<n).map { _ in g.next() & 2047 }
        let (sa, sb, cs, cc) = try runParties({ ch in
            let s = ComparisonServer(channel: ch, randomness: testSource(361))
            try s.setup()
            return try s.msbShares(a, bits: l)
        }, { ch in
            let c = ComparisonClient(channel: ch, randomness: testSource(362))
            try c.setup()
            return try c.msbShares(b, bits: l)
        })
        let m = sa ^ sb
        #expect((0..<n).allSatisfy { m[$0] == ((a[$0] + b[$0]) & 2047 >= 1024) })
        // l - 1 = 10 bits in blocks of 4, 3 + 1 and 3 + 1 choice bits: 12 COTs per value, one
        // small iteration (run inside the millionaires' phase), 16-bit tables.
        let up = 3 * (5 + (4 * n + 7) / 8), down = 3 * (5 + (16 * n + 7) / 8) + FerretParameters.small.bytes
        #expect(cc.statistics.phases["millionaire"]?.sent == up)
        #expect(cs.statistics.phases["millionaire"]?.sent == down)
        #expect(cs.statistics.phases["millionaire"]?.received == up)
    }

    @Test("main set: one full main iteration (after the small bootstrap) is correlated, choice bits balanced")
    func mainIteration() throws {
        let small = FerretParameters.small, main = FerretParameters.main
        let first = small.n - main.baseCount, second = main.n - main.baseCount
        let (s, r, cs, _) = try ferret(schedule: .main, takes: [first, second], seed: 340)
        let (bad, ones, _) = correlation(s, r)
        #expect(bad == 0)
        #expect(abs(Double(ones) / Double(first + second) - 0.5) < 0.005, "ones \(ones)")
        #expect(cs.statistics.phases["ferret"]?.sent == small.bytes + main.bytes)
        // Under two thirds of a bit per usable COT for the main iteration (0.65: 32 bytes per
        // level and tree, 64 per wide level, 16 for the correction).
        #expect(Double(8 * main.bytes) / Double(second) < 0.66)
    }
}
