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
    public static func bound(noiseBound: UInt128, count: UInt128, statisticalSecurity lambda: Int = 40) -> UInt128 {
        noiseBound * count << UInt128(lambda)
    }
}
