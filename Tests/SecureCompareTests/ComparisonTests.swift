import Testing
import RingArithmetic
import SecureCompare

@Suite("Comparison, MSB and OR")
struct ComparisonTests {
    @Test("millionaires: every pair of 6-bit inputs, and random 32-bit pairs", arguments: [OTSupply.silent, .iknp])
    func millionaires(supply: OTSupply) throws {
        let xs = (0..<4096).map { UInt64($0 / 64) }, ys = (0..<4096).map { UInt64($0 % 64) }
        var g = testRNG(40)
        let bx = (0..<2000).map { _ in g.next() & 0xFFFF_FFFF }
        var by = (0..<2000).map { _ in g.next() & 0xFFFF_FFFF }
        by[0] = bx[0]; by[1] = bx[1] + 1; by[2] = bx[2] &- 1 & 0xFFFF_FFFF; by[3] = 0
        let cy = by
        let (s, c) = try runComparison(seed: 41, supply: supply, { s in
            (try s.greaterThanShares(xs, bits: 6), try s.greaterThanShares(bx, bits: 32))
        }, { c in
            (try c.greaterThanShares(ys, bits: 6), try c.greaterThanShares(cy, bits: 32))
        })
        let small = s.0 ^ c.0, big = s.1 ^ c.1
        #expect((0..<4096).allSatisfy { small[$0] == (xs[$0] > ys[$0]) })
        #expect((0..<2000).allSatisfy { big[$0] == (bx[$0] > by[$0]) })
    }

    @Test("MSB of additive shares for l in {8, 11, 16, 32}, edge values and wrap-around splits", arguments: [OTSupply.silent, .iknp])
    func msb(supply: OTSupply) throws {
        for l in [8, 11, 16, 32] {
            let modulus = UInt64(1) << UInt64(l)
            let half = Int64(modulus / 2)
            var g = testRNG(UInt64(50 + l))
            var values: [Int64] = [0, 1, -1, 2, -2, -half, half - 1, -half + 1]
            values += (0..<500).map { _ in Int64(g.next() % modulus) - half }
            var a: [UInt64] = [], b: [UInt64] = []
            for (k, v) in values.enumerated() {
                // Splits: random, zero, all-ones (wrap-around), and v itself on one side.
                let r: UInt64 = [g.next() % modulus, 0, modulus - 1, UInt64(bitPattern: v) % modulus][k % 4]
                a.append(r)
                b.append((UInt64(bitPattern: v) &- r) & (modulus - 1))
            }
            let sharesA = a, sharesB = b
            let (sa, sb) = try runComparison(seed: UInt64(60 + l), supply: supply, { s in try s.msbShares(sharesA, bits: l) }, { c in try c.msbShares(sharesB, bits: l) })
            let m = sa ^ sb
            for (k, v) in values.enumerated() { #expect(m[k] == (v < 0), "l=\(l) v=\(v)") }
        }
    }

    @Test("OR of n bits for n in {1, 2, 3, 1000, 2^20}, opened to the client only", arguments: [OTSupply.silent, .iknp])
    func or(supply: OTSupply) throws {
        for n in [1, 2, 3, 1000, 1 << 20] {
            var cases: [[Int]] = [[], [0], [n / 2], [n - 1]]
            if n > 3 { cases.append(Array(stride(from: 0, to: n, by: 3))) }
            for ones in cases {
                var g = testRNG(UInt64(n + ones.count))
                var truth = BitVector(count: n)
                for i in ones { truth[i] = true }
                let mask = BitVector.random(count: n, rng: &g)
                let serverShare = mask, clientShare = mask ^ truth
                let (_, result) = try runComparison(seed: UInt64(70 + n % 7), supply: supply, { s in try s.revealOR(serverShare) },
                                                    { c in try c.revealOR(clientShare) })
                #expect(result == !ones.isEmpty, "n=\(n) ones=\(ones.prefix(3))")
                if n == 1 << 20 { break }  // one large case keeps the suite fast
            }
        }
    }

    @Test("anyNonNegative end to end, and exact byte accounting")
    func endToEnd() throws {
        let l = 11
        var g = testRNG(80)
        for scenario in 0..<3 {
            let n = 3000
            var values = (0..<n).map { _ in -Int64(g.next() % 1000) - 1 }  // all negative
            if scenario == 1 { values[1234] = 0 }
            if scenario == 2 { values[n - 1] = 1023 }
            let r = (0..<n).map { _ in g.next() % 2048 }
            let a = r, b = (0..<n).map { (UInt64(bitPattern: values[$0]) &- r[$0]) & 2047 }
            let (_, answer) = try runEndToEnd(a, b, l)
            #expect(answer == (scenario != 0))
        }
    }

    @Test("the client's received messages look uniform and do not depend on the inputs beyond the output")
    func privacy() throws {
        // Two inputs with the same OR (1): one 1 at index 0, and many ones.
        let n = 4096
        var first = BitVector(count: n); first[0] = true
        var many = BitVector(count: n); for i in stride(from: 0, to: n, by: 2) { many[i] = true }
        func receivedBits(_ truth: BitVector, seed: UInt64) throws -> [Int] {
            var g = testRNG(seed)
            let mask = BitVector.random(count: n, rng: &g)
            let (_, counts, _, _) = try runParties({ ch in
                let s = ComparisonServer(channel: ch, randomness: testSource(seed + 1))
                try s.setup()
                try s.revealOR(mask)
            }, { ch in
                let rec = RecordingChannel(ch)
                let c = ComparisonClient(channel: rec, randomness: testSource(seed + 2))
                try c.setup()
                _ = try c.revealOR(mask ^ truth)
                // Bits of every AND opening the client received.
                var ones = 0, total = 0
                for (type, payload) in rec.received where type == .andOpen {
                    for byte in payload { ones += byte.nonzeroBitCount; total += 8 }
                }
                return [ones, total]
            })
            return counts
        }
        let a = try receivedBits(first, seed: 90), b = try receivedBits(many, seed: 91)
        for counts in [a, b] {
            let p = Double(counts[0]) / Double(counts[1])
            // 8190 opened bits: a fair coin stays within 0.5 +- 0.03 (over 5 sigma).
            #expect(abs(p - 0.5) < 0.03, "share of ones \(p)")
        }
        // Same number of bytes whatever the input.
        #expect(a[1] == b[1])
    }
}

/// Runs anyNonNegative with recording channels; returns (byte accounting ok, answer).
func runEndToEnd(_ a: [UInt64], _ b: [UInt64], _ l: Int) throws -> (Bool?, Bool) {
    let (serverSide, answer, channelS, channelC) = try runParties({ ch in
        let rec = RecordingChannel(ch)
        let s = ComparisonServer(channel: rec, randomness: testSource(83))
        try s.setup()
        try s.anyNonNegative(shares: a, bits: l)
        return (rec.sentBytes, rec.receivedBytes)
    }, { ch in
        let c = ComparisonClient(channel: ch, randomness: testSource(84))
        try c.setup()
        return try c.anyNonNegative(shares: b, bits: l)
    })
    let stats = channelS.statistics
    let ok = stats.bytesSent == serverSide.0 && stats.bytesReceived == serverSide.1
        && channelC.statistics.bytesReceived == stats.bytesSent
        && stats.phases.values.reduce(0) { $0 + $1.sent } == stats.bytesSent
    #expect(ok)
    return (ok, answer)
}
