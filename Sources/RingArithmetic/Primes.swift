/// Primality testing and generation of NTT-friendly primes.
public enum Primes {
    /// Whether `n` is prime. Deterministic for every 64-bit `n`: Miller-Rabin with the first
    /// twelve prime bases, which has no 64-bit pseudoprime. Cost: about 12 modular
    /// exponentiations. Variable time (inputs are public).
    public static func isPrime(_ n: UInt64) -> Bool {
        if n < 2 { return false }
        let small: [UInt64] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37]
        for p in small where n % p == 0 { return n == p }
        var d = n - 1
        var s = 0
        while d & 1 == 0 { d >>= 1; s += 1 }
        for a in small {
            var x = powMod(a, d, n)
            if x == 1 || x == n - 1 { continue }
            var composite = true
            for _ in 1..<max(s, 1) {
                x = mulMod(x, x, n)
                if x == n - 1 { composite = false; break }
            }
            if composite { return false }
        }
        return true
    }

    /// Order of generation for `nttFriendly`.
    public enum Order: Sendable {
        /// Largest primes below `2^bits` first.
        case largestFirst
        /// Smallest primes at or above `2^(bits-1)` first.
        case smallestFirst
    }

    /// `count` distinct primes `p` of exactly `bits` bits with `p = 1 mod 2*degree`, so that
    /// `Z_p[X]/(X^degree + 1)` has a negacyclic NTT.
    /// - Parameters:
    ///   - bits: bit size, `2 ... 62`.
    ///   - degree: ring degree `N`, a power of two.
    ///   - excluding: primes that must not be returned (to keep several lists distinct).
    /// - Throws: `RingError.unsupportedBitSize`, `.unsupportedDegree`, `.notEnoughPrimes`.
    public static func nttFriendly(
        bits: Int, count: Int, degree: Int, order: Order = .largestFirst, excluding: [UInt64] = []
    ) throws(RingError) -> [UInt64] {
        guard bits >= 2, bits <= 62 else { throw RingError.unsupportedBitSize(bits) }
        guard degree >= 1, degree.nonzeroBitCount == 1, degree <= 1 << 20 else {
            throw RingError.unsupportedDegree(degree)
        }
        let step = UInt64(2 * degree)
        let low = UInt64(1) << (bits - 1)
        let high = (UInt64(1) << bits) - 1  // inclusive upper bound
        var found: [UInt64] = []
        // Candidates are k*step + 1 in [low, high].
        let kMin = (low - 1 + step - 1) / step
        guard high >= 1 else { throw RingError.notEnoughPrimes(bits: bits, requested: count, found: 0) }
        let kMax = (high - 1) / step
        if kMin <= kMax {
            var k = order == .largestFirst ? kMax : kMin
            while found.count < count {
                let candidate = k * step + 1
                if candidate >= low, isPrime(candidate), !excluding.contains(candidate) {
                    found.append(candidate)
                }
                if order == .largestFirst {
                    if k == kMin { break }
                    k -= 1
                } else {
                    if k == kMax { break }
                    k += 1
                }
            }
        }
        guard found.count == count else {
            throw RingError.notEnoughPrimes(bits: bits, requested: count, found: found.count)
        }
        return found
    }

    @usableFromInline
    static func mulMod(_ a: UInt64, _ b: UInt64, _ n: UInt64) -> UInt64 {
        let m = a.multipliedFullWidth(by: b)
        return n.dividingFullWidth((m.high, m.low)).remainder
    }

    @usableFromInline
    static func powMod(_ base: UInt64, _ exponent: UInt64, _ n: UInt64) -> UInt64 {
        var result: UInt64 = 1 % n
        var b = base % n
        var e = exponent
        while e > 0 {
            if e & 1 == 1 { result = mulMod(result, b, n) }
            b = mulMod(b, b, n)
            e >>= 1
        }
        return result
    }
}
