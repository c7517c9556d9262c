import Testing
import RingArithmetic

@Suite("Modulus")
struct ModulusTests {
    static let moduli: [UInt64] = [
        2, 3, 17, 65537, 12289, (1 << 30) - 35, 0xFFFF_FFFF_0000_0001 >> 3,
        (1 << 61) - 1, (1 << 62) - 57, 4_611_686_018_427_387_847, 1_125_899_906_826_241, (1 << 62) - 1,
    ]

    @Test("rejects moduli outside 2 ..< 2^62")
    func rejectsOutOfRange() {
        #expect(throws: RingError.self) { try Modulus(0) }
        #expect(throws: RingError.self) { try Modulus(1) }
        #expect(throws: RingError.self) { try Modulus(1 << 62) }
        #expect(throws: RingError.self) { try Modulus(.max) }
    }

    @Test("operations equal UInt128 reference arithmetic", arguments: moduli)
    func matchesReference(p: UInt64) throws {
        let m = try Modulus(p)
        var rng = testRNG(p)
        let P = UInt128(p)
        var residues: [UInt64] = [0, 1, p - 1, p / 2, (p + 1) / 2].filter { $0 < p }
        for _ in 0..<300 { residues.append(rng.next() % p) }
        let words: [UInt64] = [0, 1, p - 1, p, p + 1, UInt64.max, UInt64.max - 1, 1 << 63, (1 << 63) - 1]
            + (0..<300).map { _ in rng.next() }
        for x in words {
            #expect(UInt128(m.reduce(x)) == UInt128(x) % P)
        }
        for _ in 0..<300 {
            let hi = rng.next(), lo = rng.next()
            let x = UInt128(hi) << 64 | UInt128(lo)
            #expect(UInt128(m.reduce(high: hi, low: lo)) == x % P)
        }
        #expect(UInt128(m.reduce(UInt128.max)) == UInt128.max % P)
        for a in residues.prefix(40) {
            for b in residues.suffix(40) {
                #expect(UInt128(m.add(a, b)) == (UInt128(a) + UInt128(b)) % P)
                #expect(UInt128(m.subtract(a, b)) == (UInt128(a) + P - UInt128(b)) % P)
                #expect(UInt128(m.multiply(a, b)) == UInt128(a) * UInt128(b) % P)
                let bs = m.shoupPrecompute(b)
                #expect(UInt128(m.multiplyShoup(a, b, bs)) == UInt128(a) * UInt128(b) % P)
            }
            #expect(UInt128(m.negate(a)) == (P - UInt128(a)) % P)
        }
        // Shoup's lazy product for any 64-bit left operand stays below 2p and is congruent.
        for x in words {
            let w = residues[residues.count / 2]
            let r = m.multiplyShoupLazy(x, w, m.shoupPrecompute(w))
            #expect(r < 2 * p)
            #expect(UInt128(r) % P == UInt128(x) * UInt128(w) % P)
        }
        // Signed residues and centered representatives.
        for v: Int64 in [0, 1, -1, 5, -5, Int64(p / 2), -Int64(p / 2), Int64.max, Int64.min + 1] {
            let r = m.residue(v)
            let expected = v >= 0 ? UInt128(v.magnitude) % P : (P - UInt128(v.magnitude) % P) % P
            #expect(UInt128(r) == expected)
        }
        for x in residues {
            let c = m.centered(x)
            #expect(c > -Int64((p + 1) / 2) && c <= Int64(p / 2))
            #expect(m.residue(c) == x)
        }
    }

    @Test("pow and inverse on primes")
    func powInverse() throws {
        for p: UInt64 in [65537, (1 << 61) - 1, (1 << 62) - 57] {
            let m = try Modulus(p)
            var rng = testRNG(3)
            for _ in 0..<50 {
                let a = 1 + rng.next() % (p - 1)
                let inv = try m.inverse(a)
                #expect(m.multiply(a, inv) == 1)
                #expect(m.pow(a, p - 1) == 1)  // Fermat
                #expect(m.pow(a, p - 2) == inv)
            }
            #expect(m.pow(0, 0) == 1)
            #expect(m.pow(5, 0) == 1)
            #expect(throws: RingError.self) { try m.inverse(0) }
        }
        let composite = try Modulus(100)
        #expect(throws: RingError.self) { try composite.inverse(10) }
        #expect(try composite.inverse(3) == 67)
    }
}
