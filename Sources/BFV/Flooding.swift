import RingArithmetic

/// Flooding (smudging) noise: coefficients uniform in `[-bound, bound]` for a bound up to
/// `2^126`, as an RNS polynomial in coefficient form. By the smudging lemma, adding it to a
/// value `e` with `|e| <= E` leaves statistical distance at most `E / bound` from the flood alone;
/// distances add over every coefficient the other party sees (choose
/// `bound >= 2^40 * E * count`). Cost: `N` rejection-sampled 128-bit draws.
public enum Flooding {
    /// The bounds `noise` accepts: `1 ..< 2^126`.
    public static let validBounds: Range<UInt128> = 1 ..< UInt128(1) << 126

    /// Throws unless `bound` is in `validBounds` (for callers that take it from a user).
    /// - Throws: `BFVError.invalidValue`.
    static func check(_ bound: UInt128) throws(BFVError) {
        guard validBounds.contains(bound) else { throw BFVError.invalidValue("flooding bound must be in 1 ..< 2^126") }
    }

    /// The polynomial of flooding noise.
    /// - Precondition: `bound` in `validBounds`.
    public static func noise(_ ring: PolyContext, bound: UInt128, rng: inout ChaChaDRBG) -> RNSPoly {
        precondition(validBounds.contains(bound), "flooding bound must be in 1 ..< 2^126")
        let width = 2 * bound + 1
        let mask = UInt128.max >> (width - 1).leadingZeroBitCount
        var poly = RNSPoly(zeroIn: ring)
        let n = ring.degree
        var values = [UInt128](repeating: 0, count: n)
        var signs = [Bool](repeating: false, count: n)
        for j in 0..<n {
            var x: UInt128
            repeat {
                x = (UInt128(rng.next()) << 64 | UInt128(rng.next())) & mask
            } while x >= width
            // x - bound in [-bound, bound], kept as sign and magnitude.
            signs[j] = x < bound
            values[j] = x < bound ? bound - x : x - bound
        }
        for (i, m) in ring.moduli.enumerated() {
            poly.withLimb(i) { limb in
                for j in 0..<n {
                    let r = m.reduce(values[j])
                    limb[j] = signs[j] ? m.negate(r) : r
                }
            }
        }
        return poly
    }

    /// The smallest flooding bound `F = 2^lambda * noiseBound * count`, the smudging rule for
    /// statistical security `lambda` (40 by default) over `count` visible coefficients.
    /// - Throws: `BFVError.invalidValue` when `lambda` is outside 0 ... 127 or `F` does not fit
    ///   in 128 bits (such a bound could not be sampled anyway: `noise` needs `F < 2^126`).
    public static func bound(noiseBound: UInt128, count: UInt128, statisticalSecurity lambda: Int = 40) throws(BFVError) -> UInt128 {
        guard lambda >= 0, lambda < 128 else { throw BFVError.invalidValue("statistical security \(lambda) must be 0 ... 127") }
        let (product, overflow) = noiseBound.multipliedReportingOverflow(by: count)
        guard !overflow, product.leadingZeroBitCount >= lambda else {
            throw BFVError.invalidValue("flooding bound 2^\(lambda) * \(noiseBound) * \(count) exceeds 128 bits")
        }
        return product << UInt128(lambda)
    }

    /// The worst case of the noise a re-randomization itself adds besides the flood, as the
    /// decryptor sees it: adding `(p0*u + e1, p1*u + e2)` with `p0 = -(a*s + e)`, `p1 = a` adds
    /// `-e*u + e2*s + e1` to `c0 + c1*s`. The flood `e1` hides the rest, but `-e*u + e2*s` is
    /// correlated with the `c1` the decryptor sees (through `u` and `e2`), so a flooding bound must
    /// cover it: each coefficient of a product of an error polynomial (`|e| <= eta = 21`) and a
    /// ternary one is a sum of `N` terms of magnitude at most `eta`, hence
    /// `|-e*u + e2*s|_inf <= 2 * eta * N` (42 N; 172,032 at N = 4096).
    public static func rerandomizationNoise(degree: Int) -> UInt128 {
        2 * UInt128(Sampler.binomialEta) * UInt128(degree)
    }
}
