/// A word-size modulus `p` with `2 <= p < 2^62` and precomputed constants for fast reduction.
///
/// Barrett reduction (`reduce`) works for any 64- or 128-bit input. Shoup multiplication
/// (`multiplyShoup`) multiplies by a fixed operand `w` with its precomputed quotient
/// `floor(w * 2^64 / p)` and costs two multiplications. Addition, subtraction, negation,
/// reduction and multiplication are branch-free (constant time in the operands); `pow` and
/// `inverse` are constant time in the base but not in the exponent, and meant for public values.
public struct Modulus: Sendable, Hashable, CustomStringConvertible {
    /// The modulus `p`.
    public let value: UInt64
    /// `ceil(log2(p + 1))`: the number of bits needed to store a residue.
    public let bitWidth: Int
    /// High word of `floor(2^128 / p)`.
    @usableFromInline let ratioHigh: UInt64
    /// Low word of `floor(2^128 / p)`.
    @usableFromInline let ratioLow: UInt64

    /// Creates a modulus.
    /// - Throws: `RingError.modulusOutOfRange` unless `2 <= p < 2^62`.
    public init(_ p: UInt64) throws(RingError) {
        guard p >= 2, p < (1 << 62) else { throw RingError.modulusOutOfRange(p) }
        value = p
        bitWidth = 64 - p.leadingZeroBitCount
        // floor((2^128 - 1) / p) equals floor(2^128 / p) because p is not a power of two
        // dividing 2^128 exactly unless p is a power of two; handle that case explicitly.
        let ratio: UInt128 = p.nonzeroBitCount == 1
            ? (UInt128(1) << (128 - p.trailingZeroBitCount))
            : UInt128.max / UInt128(p)
        ratioHigh = UInt64(truncatingIfNeeded: ratio >> 64)
        ratioLow = UInt64(truncatingIfNeeded: ratio)
    }

    public var description: String { "Modulus(\(value))" }

    // MARK: Reduction

    /// Returns `x mod p` for any 64-bit `x`. Branch-free.
    @inlinable @inline(__always)
    public func reduce(_ x: UInt64) -> UInt64 {
        // q ~ floor(x * floor(2^128/p) / 2^128) <= x/p and > x/p - 2 (here the high ratio word
        // suffices: x < 2^64), so x - q*p < 3p; two conditional subtractions bring it below p.
        let q = x.multipliedFullWidth(by: ratioHigh).high
        let r = x &- q &* value
        return subtractIfAbove(Modulus.subtract(r, ifAtLeast: value &<< 1))
    }

    /// Returns `(high * 2^64 + low) mod p` for any 128-bit input. Branch-free.
    @inlinable @inline(__always)
    public func reduce(high: UInt64, low: UInt64) -> UInt64 {
        // Estimate q = floor(x * R / 2^128) with R = floor(2^128/p); the estimate is at most one
        // below the true quotient, so the remainder is in [0, 2p).
        let c0 = low.multipliedFullWidth(by: ratioLow).high
        let m1 = low.multipliedFullWidth(by: ratioHigh)
        let m2 = high.multipliedFullWidth(by: ratioLow)
        let (s1, o1) = m1.low.addingReportingOverflow(c0)
        let (_, o2) = s1.addingReportingOverflow(m2.low)
        let q = high &* ratioHigh &+ m1.high &+ m2.high &+ (o1 ? 1 : 0) &+ (o2 ? 1 : 0)
        let r = low &- q &* value
        return subtractIfAbove(r)
    }

    /// Returns `x mod p` for a 128-bit `x`. Branch-free.
    @inlinable @inline(__always)
    public func reduce(_ x: UInt128) -> UInt64 {
        reduce(high: UInt64(truncatingIfNeeded: x >> 64), low: UInt64(truncatingIfNeeded: x))
    }

    /// Returns `r - p` if `r >= p`, else `r`, for `r < 2^63`, without branching.
    @inlinable @inline(__always)
    public func subtractIfAbove(_ r: UInt64) -> UInt64 { Modulus.subtract(r, ifAtLeast: value) }

    /// Returns `r - m` if `r >= m`, else `r`, without branching; valid when `|r - m| < 2^63`.
    @inlinable @inline(__always)
    public static func subtract(_ r: UInt64, ifAtLeast m: UInt64) -> UInt64 {
        let d = r &- m
        // If r < m the subtraction wrapped and the top bit of d is set.
        let mask = 0 &- (d >> 63)
        return d &+ (m & mask)
    }

    // MARK: Arithmetic on residues in [0, p)

    /// `(a + b) mod p` for `a, b < p`.
    @inlinable @inline(__always)
    public func add(_ a: UInt64, _ b: UInt64) -> UInt64 { subtractIfAbove(a &+ b) }

    /// `(a - b) mod p` for `a, b < p`.
    @inlinable @inline(__always)
    public func subtract(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let d = a &- b
        let mask = 0 &- (d >> 63)
        return d &+ (value & mask)
    }

    /// `-a mod p` for `a < p`.
    @inlinable @inline(__always)
    public func negate(_ a: UInt64) -> UInt64 { subtract(0, a) }

    /// `(a * b) mod p` for any 64-bit `a`, `b` whose product is below `2^128`.
    @inlinable @inline(__always)
    public func multiply(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let m = a.multipliedFullWidth(by: b)
        return reduce(high: m.high, low: m.low)
    }

    /// The Shoup quotient `floor(w * 2^64 / p)` for a fixed multiplicand `w < p`.
    @inlinable
    public func shoupPrecompute(_ w: UInt64) -> UInt64 {
        UInt64(truncatingIfNeeded: (UInt128(w) << 64) / UInt128(value))
    }

    /// `x * w mod p` in `[0, 2p)` for any 64-bit `x`, given `wShoup = shoupPrecompute(w)`.
    @inlinable @inline(__always)
    public func multiplyShoupLazy(_ x: UInt64, _ w: UInt64, _ wShoup: UInt64) -> UInt64 {
        let q = x.multipliedFullWidth(by: wShoup).high
        return x &* w &- q &* value
    }

    /// `x * w mod p` in `[0, p)` for any 64-bit `x`, given `wShoup = shoupPrecompute(w)`.
    @inlinable @inline(__always)
    public func multiplyShoup(_ x: UInt64, _ w: UInt64, _ wShoup: UInt64) -> UInt64 {
        subtractIfAbove(multiplyShoupLazy(x, w, wShoup))
    }

    /// `base^exponent mod p`. Variable time in `exponent`.
    public func pow(_ base: UInt64, _ exponent: UInt64) -> UInt64 {
        var result: UInt64 = reduce(UInt64(1))
        var b = reduce(base)
        var e = exponent
        while e > 0 {
            if e & 1 == 1 { result = multiply(result, b) }
            b = multiply(b, b)
            e >>= 1
        }
        return result
    }

    /// The inverse of `a` modulo `p` by the extended Euclidean algorithm. Variable time.
    /// - Throws: `RingError.notInvertible` when `gcd(a, p) != 1`.
    public func inverse(_ a: UInt64) throws(RingError) -> UInt64 {
        var (r0, r1) = (Int128(value), Int128(reduce(a)))
        var (s0, s1) = (Int128(0), Int128(1))
        while r1 != 0 {
            let q = r0 / r1
            (r0, r1) = (r1, r0 - q * r1)
            (s0, s1) = (s1, s0 - q * s1)
        }
        guard r0 == 1 else { throw RingError.notInvertible(value: a, modulus: value) }
        let m = Int128(value)
        return UInt64(((s0 % m) + m) % m)
    }

    /// Maps a signed integer with `|v| < 2^63` to its residue in `[0, p)`. Branch-free.
    @inlinable @inline(__always)
    public func residue(_ v: Int64) -> UInt64 {
        // Small magnitudes (errors, secrets, templates) skip the reduction; the branch depends
        // only on whether |v| < p, which is fixed for a given use.
        let magnitude = v.magnitude < value ? v.magnitude : reduce(v.magnitude)
        let negated = subtract(0, magnitude)
        let mask = UInt64(bitPattern: v >> 63)
        return (negated & mask) | (magnitude & ~mask)
    }

    /// The centered representative of `x < p` in `(-p/2, p/2]`. Branch-free.
    @inlinable @inline(__always)
    public func centered(_ x: UInt64) -> Int64 {
        // x > p/2  <=>  (p/2 - x) wraps.
        let mask = 0 &- ((value / 2 &- x) >> 63)
        return Int64(bitPattern: x &- (value & mask))
    }
}
