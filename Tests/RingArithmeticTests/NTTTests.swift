import Testing
import RingArithmetic

@Suite("NTT")
struct NTTTests {
    static let cases: [(Int, Int)] = [(16, 20), (16, 62), (64, 40), (256, 30), (256, 62), (1024, 50), (1024, 62), (2048, 59)]

    @Test("inverse(forward(a)) == a for every supported degree")
    func roundTrip() throws {
        var rng = testRNG(11)
        var n = 2
        while n <= 32768 {
            for bits in [30, 62] {
                let p = try Primes.nttFriendly(bits: bits, count: 1, degree: n)[0]
                let tables = try NTTTables(modulus: try Modulus(p), degree: n)
                let a = (0..<n).map { _ in rng.next() % p }
                var b = a
                tables.forward(&b)
                #expect(b.allSatisfy { $0 < p })
                tables.inverse(&b)
                #expect(a == b, "N=\(n) bits=\(bits)")
            }
            n *= 2
        }
    }

    @Test("NTT products equal schoolbook negacyclic products", arguments: cases)
    func products(n: Int, bits: Int) throws {
        var rng = testRNG(UInt64(n * 100 + bits))
        for p in try Primes.nttFriendly(bits: bits, count: 2, degree: n) {
            let tables = try NTTTables(modulus: try Modulus(p), degree: n)
            for trial in 0..<2 {
                // Random operands, then edge operands (all p-1, a single 1).
                var a = (0..<n).map { _ in rng.next() % p }
                var b = (0..<n).map { _ in rng.next() % p }
                if trial == 1 { a = [UInt64](repeating: p - 1, count: n); b[0] = p - 1 }
                let expected = schoolbookNegacyclic(a, b, p)
                let m = try Modulus(p)
                tables.forward(&a)
                tables.forward(&b)
                var c = zip(a, b).map { m.multiply($0, $1) }
                tables.inverse(&c)
                #expect(c == expected, "N=\(n) p=\(p)")
            }
        }
    }

    @Test("lazy forward accepts inputs up to 4p")
    func lazyInputs() throws {
        let n = 256
        let p = try Primes.nttFriendly(bits: 62, count: 1, degree: n)[0]
        let tables = try NTTTables(modulus: try Modulus(p), degree: n)
        var rng = testRNG(5)
        let a = (0..<n).map { _ in rng.next() % p }
        var lifted = a.enumerated().map { $0.element + UInt64($0.offset % 4) * p }  // < 4p
        var reference = a
        tables.forward(&reference)
        lifted.withUnsafeMutableBufferPointer { tables.forwardLazy($0.baseAddress!) }
        #expect(lifted.allSatisfy { $0 < 4 * p })
        #expect(lifted.map { $0 % p } == reference)
    }

    @Test("rejects non-NTT-friendly moduli and bad degrees")
    func rejects() throws {
        #expect(throws: RingError.self) { try NTTTables(modulus: try Modulus(65537), degree: 65536) }
        #expect(throws: RingError.self) { try NTTTables(modulus: try Modulus(97), degree: 64) }
        #expect(throws: RingError.self) { try NTTTables(modulus: try Modulus(12289), degree: 100) }
        #expect(throws: RingError.self) { try NTTTables(modulus: try Modulus(12289 * 3), degree: 16) }
    }
}
