import Testing
import RingArithmetic

@Suite("Primes")
struct PrimesTests {
    @Test("primality on known primes, composites and strong pseudoprimes")
    func knownValues() {
        let primes: [UInt64] = [2, 3, 5, 7, 65537, 2_147_483_647, (1 << 61) - 1, 18_446_744_073_709_551_557,
                                4_611_686_018_427_387_847, 1_099_511_627_791]
        let composites: [UInt64] = [0, 1, 4, 561, 1105, 1729, 2047, 3_215_031_751, 25_326_001,
                                    341_550_071_728_321, 3_825_123_056_546_413_051, 18_446_744_073_709_551_615,
                                    (1 << 62) - 1, 4_611_686_014_132_420_609 /* (2^31-1)^2 */]
        for p in primes { #expect(Primes.isPrime(p), "\(p) is prime") }
        for c in composites { #expect(!Primes.isPrime(c), "\(c) is composite") }
        // Agreement with trial division on a small range.
        for n in UInt64(0)..<3000 {
            var isP = n >= 2
            var d: UInt64 = 2
            while d * d <= n { if n % d == 0 { isP = false; break }; d += 1 }
            #expect(Primes.isPrime(n) == isP)
        }
    }

    @Test("NTT-friendly primes are prime, distinct, 1 mod 2N and of the asked size",
          arguments: [(17, 1024), (24, 4096), (30, 1024), (45, 4096), (50, 4096), (59, 8192), (62, 32768), (62, 16)])
    func generation(bits: Int, degree: Int) throws {
        for order in [Primes.Order.largestFirst, .smallestFirst] {
            let ps = try Primes.nttFriendly(bits: bits, count: 3, degree: degree, order: order)
            #expect(Set(ps).count == 3)
            for p in ps {
                #expect(Primes.isPrime(p))
                #expect(p % UInt64(2 * degree) == 1)
                #expect(64 - p.leadingZeroBitCount == bits)
            }
            #expect(order == .largestFirst ? ps == ps.sorted(by: >) : ps == ps.sorted())
            let more = try Primes.nttFriendly(bits: bits, count: 2, degree: degree, order: order, excluding: ps)
            #expect(Set(more).isDisjoint(with: ps))
        }
    }

    @Test("too few primes is an error")
    func tooFew() {
        #expect(throws: RingError.self) { try Primes.nttFriendly(bits: 10, count: 5, degree: 4096) }
        #expect(throws: RingError.self) { try Primes.nttFriendly(bits: 63, count: 1, degree: 16) }
        #expect(throws: RingError.self) { try Primes.nttFriendly(bits: 40, count: 1, degree: 1000) }
    }
}
