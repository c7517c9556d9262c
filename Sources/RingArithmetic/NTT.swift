/// Precomputed tables for the negacyclic number-theoretic transform over `Z_p[X]/(X^N + 1)`.
///
/// The forward transform maps coefficients (natural order) to the evaluations at the odd powers of
/// a primitive `2N`-th root of unity `psi`, in bit-reversed order; the inverse undoes it exactly.
/// Twiddles are stored in bit-reversed order with their Shoup quotients. Butterflies follow
/// Harvey: intermediate values stay in `[0, 4p)` (forward) or `[0, 2p)` (inverse), which needs
/// `p < 2^62`. Both transforms work in place and allocate nothing. Cost: `(N/2) log2 N`
/// butterflies of three 64-bit multiplications each (a Shoup product: one high half, two low
/// halves; the scalar multiplier is the limit), the three stages with the shortest distances
/// merged so each group of eight values stays in registers. About 29 us per forward transform
/// of N = 4096 on the development machine. The tables take `4N` words.
public struct NTTTables: Sendable {
    /// The modulus `p`.
    public let modulus: Modulus
    /// The ring degree `N` (a power of two, 16 ... 32768 are tested; up to 2^17 accepted).
    public let degree: Int
    /// `log2 N`.
    public let logDegree: Int
    /// The primitive `2N`-th root of unity used (the smallest one found from small generators).
    public let psi: UInt64
    /// `psi^bitreverse(i)` for `i < N`, interleaved with Shoup quotients: `[w0, w0', w1, w1', ...]`.
    @usableFromInline let forwardRoots: [UInt64]
    /// Inverse twiddles `psi^-(bitreverse(i)+1)` arranged for the Gentleman-Sande loop, with quotients.
    @usableFromInline let inverseRoots: [UInt64]
    /// `N^-1 mod p` and its Shoup quotient.
    @usableFromInline let inverseDegree: (UInt64, UInt64)
    /// `N^-1 * w_last mod p` (the last inverse stage's twiddle folded with `N^-1`) and quotient.
    @usableFromInline let inverseDegreeTwiddle: (UInt64, UInt64)

    /// Builds the tables.
    /// - Throws: `RingError.unsupportedDegree` unless `N` is a power of two in `2 ... 2^17`;
    ///   `RingError.notNTTFriendly` unless `p` is prime and `p = 1 mod 2N`.
    public init(modulus: Modulus, degree: Int) throws(RingError) {
        guard degree >= 2, degree <= 1 << 17, degree.nonzeroBitCount == 1 else {
            throw RingError.unsupportedDegree(degree)
        }
        let p = modulus.value
        guard Primes.isPrime(p), (p - 1) % UInt64(2 * degree) == 0 else {
            throw RingError.notNTTFriendly(modulus: p, degree: degree)
        }
        self.modulus = modulus
        self.degree = degree
        self.logDegree = degree.trailingZeroBitCount
        // Find psi with psi^N = -1: then psi has order exactly 2N.
        var root: UInt64 = 0
        var g: UInt64 = 2
        while true {
            let candidate = modulus.pow(g, (p - 1) / UInt64(2 * degree))
            if modulus.pow(candidate, UInt64(degree)) == p - 1 { root = candidate; break }
            g += 1
        }
        // Use the smallest primitive 2N-th root (an odd power of the one found) for determinism.
        var best = root
        let rootSquared = modulus.multiply(root, root)
        var power = root
        for _ in 0..<degree {
            if power < best { best = power }
            power = modulus.multiply(power, rootSquared)
        }
        psi = best
        let psiInverse = try modulus.inverse(best)
        var forward = [UInt64](repeating: 0, count: 2 * degree)
        var inversePowers = [UInt64](repeating: 0, count: degree)
        var w: UInt64 = 1
        var wInv: UInt64 = 1
        var powers = [UInt64](repeating: 0, count: degree)
        var inverses = [UInt64](repeating: 0, count: degree)
        for i in 0..<degree {
            powers[i] = w
            inverses[i] = wInv
            w = modulus.multiply(w, best)
            wInv = modulus.multiply(wInv, psiInverse)
        }
        for i in 0..<degree {
            let r = NTTTables.bitReverse(i, bits: logDegree)
            forward[2 * i] = powers[r]
            forward[2 * i + 1] = modulus.shoupPrecompute(powers[r])
            // Inverse twiddle for index i: psi^-(bitreverse(i)) (used as h + i in the GS loop).
            inversePowers[i] = inverses[r]
        }
        var inverseTable = [UInt64](repeating: 0, count: 2 * degree)
        for i in 0..<degree {
            inverseTable[2 * i] = inversePowers[i]
            inverseTable[2 * i + 1] = modulus.shoupPrecompute(inversePowers[i])
        }
        forwardRoots = forward
        inverseRoots = inverseTable
        let nInv = try modulus.inverse(UInt64(degree))
        inverseDegree = (nInv, modulus.shoupPrecompute(nInv))
        let folded = modulus.multiply(nInv, inversePowers[1])
        inverseDegreeTwiddle = (folded, modulus.shoupPrecompute(folded))
    }

    /// Reverses the low `bits` bits of `i`.
    public static func bitReverse(_ i: Int, bits: Int) -> Int {
        guard bits > 0 else { return 0 }
        var r = 0
        var x = i
        for _ in 0..<bits { r = (r << 1) | (x & 1); x >>= 1 }
        return r
    }

    /// Forward negacyclic NTT in place on `N` residues in `[0, p)`; the output is in `[0, p)`.
    /// Cost: `(N/2) log2 N` lazy butterflies.
    @inlinable
    public func forward(_ values: UnsafeMutablePointer<UInt64>) {
        forwardLazy(values)
        let p = modulus.value
        let twoP = p &<< 1
        for i in 0..<degree {
            values[i] = Modulus.subtract(Modulus.subtract(values[i], ifAtLeast: twoP), ifAtLeast: p)
        }
    }

    /// Forward negacyclic NTT in place; input in `[0, 4p)`, output in `[0, 4p)` (lazy).
    @inlinable
    public func forwardLazy(_ a: UnsafeMutablePointer<UInt64>) {
        let p = modulus.value
        let twoP = p &<< 1
        forwardRoots.withUnsafeBufferPointer { rootsBuffer in
            let roots = rootsBuffer.baseAddress!
            var m = 1
            var t = degree >> 1
            // Stages with t >= 8: straight-line inner loops unrolled by four.
            while t >= 8 {
                for i in 0..<m {
                    let w = roots[2 * (m + i)]
                    let ws = roots[2 * (m + i) + 1]
                    var x = a + 2 * i * t
                    var y = x + t
                    let end = x + t
                    while x < end {
                        NTTTables.butterfly(x, y, w, ws, p, twoP)
                        NTTTables.butterfly(x + 1, y + 1, w, ws, p, twoP)
                        NTTTables.butterfly(x + 2, y + 2, w, ws, p, twoP)
                        NTTTables.butterfly(x + 3, y + 3, w, ws, p, twoP)
                        x += 4
                        y += 4
                    }
                }
                m <<= 1
                t >>= 1
            }
            // Last three stages merged (t = 4, 2, 1): each group of eight values is finished
            // while it sits in registers (seven twiddles per group).
            if t == 4 {
                @inline(__always) func root(_ k: Int) -> (UInt64, UInt64) { (roots[2 * k], roots[2 * k + 1]) }
                for i in 0..<m {
                    let x = a + 8 * i
                    var v = (x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7])
                    let (w, ws) = root(m + i)
                    (v.0, v.4) = NTTTables.butterflyValues(v.0, v.4, w, ws, p, twoP)
                    (v.1, v.5) = NTTTables.butterflyValues(v.1, v.5, w, ws, p, twoP)
                    (v.2, v.6) = NTTTables.butterflyValues(v.2, v.6, w, ws, p, twoP)
                    (v.3, v.7) = NTTTables.butterflyValues(v.3, v.7, w, ws, p, twoP)
                    let (u0, u0s) = root(2 * m + 2 * i), (u1, u1s) = root(2 * m + 2 * i + 1)
                    (v.0, v.2) = NTTTables.butterflyValues(v.0, v.2, u0, u0s, p, twoP)
                    (v.1, v.3) = NTTTables.butterflyValues(v.1, v.3, u0, u0s, p, twoP)
                    (v.4, v.6) = NTTTables.butterflyValues(v.4, v.6, u1, u1s, p, twoP)
                    (v.5, v.7) = NTTTables.butterflyValues(v.5, v.7, u1, u1s, p, twoP)
                    let (r0, r0s) = root(4 * m + 4 * i), (r1, r1s) = root(4 * m + 4 * i + 1)
                    let (r2, r2s) = root(4 * m + 4 * i + 2), (r3, r3s) = root(4 * m + 4 * i + 3)
                    (v.0, v.1) = NTTTables.butterflyValues(v.0, v.1, r0, r0s, p, twoP)
                    (v.2, v.3) = NTTTables.butterflyValues(v.2, v.3, r1, r1s, p, twoP)
                    (v.4, v.5) = NTTTables.butterflyValues(v.4, v.5, r2, r2s, p, twoP)
                    (v.6, v.7) = NTTTables.butterflyValues(v.6, v.7, r3, r3s, p, twoP)
                    (x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]) = v
                }
            } else if t == 2 {
                for i in 0..<m {
                    let w = roots[2 * (m + i)]
                    let ws = roots[2 * (m + i) + 1]
                    let x = a + 4 * i
                    NTTTables.butterfly(x, x + 2, w, ws, p, twoP)
                    NTTTables.butterfly(x + 1, x + 3, w, ws, p, twoP)
                    let w0 = roots[2 * (2 * m + 2 * i)]
                    let w0s = roots[2 * (2 * m + 2 * i) + 1]
                    let w1 = roots[2 * (2 * m + 2 * i + 1)]
                    let w1s = roots[2 * (2 * m + 2 * i + 1) + 1]
                    NTTTables.butterfly(x, x + 1, w0, w0s, p, twoP)
                    NTTTables.butterfly(x + 2, x + 3, w1, w1s, p, twoP)
                }
            } else if t == 1 {
                for i in 0..<m {
                    let w = roots[2 * (m + i)]
                    let ws = roots[2 * (m + i) + 1]
                    NTTTables.butterfly(a + 2 * i, a + 2 * i + 1, w, ws, p, twoP)
                }
            }
        }
    }

    /// The Harvey forward butterfly on values: `(X, Y) -> (X + wY, X - wY)`, all in `[0, 4p)`.
    @inlinable @inline(__always)
    static func butterflyValues(_ x: UInt64, _ y: UInt64, _ w: UInt64, _ ws: UInt64, _ p: UInt64, _ twoP: UInt64) -> (UInt64, UInt64) {
        let u = Modulus.subtract(x, ifAtLeast: twoP)  // [0, 2p)
        let q = y.multipliedFullWidth(by: ws).high
        let wy = y &* w &- q &* p  // [0, 2p)
        return (u &+ wy, u &- wy &+ twoP)
    }

    /// One Harvey forward butterfly: `(X, Y) -> (X + wY, X - wY)` with inputs and outputs in `[0, 4p)`.
    @inlinable @inline(__always)
    static func butterfly(
        _ x: UnsafeMutablePointer<UInt64>, _ y: UnsafeMutablePointer<UInt64>,
        _ w: UInt64, _ ws: UInt64, _ p: UInt64, _ twoP: UInt64
    ) {
        (x.pointee, y.pointee) = butterflyValues(x.pointee, y.pointee, w, ws, p, twoP)
    }

    /// Inverse negacyclic NTT in place on `N` residues in `[0, 2p)` (bit-reversed evaluation
    /// order); the output coefficients are in `[0, p)`. Includes the factor `N^-1`.
    @inlinable
    public func inverse(_ a: UnsafeMutablePointer<UInt64>) {
        let p = modulus.value
        let twoP = p &<< 1
        inverseRoots.withUnsafeBufferPointer { rootsBuffer in
            let roots = rootsBuffer.baseAddress!
            var t = 1
            var m = degree
            // All stages but the last (Gentleman-Sande, values kept in [0, 2p)).
            while m > 2 {
                let h = m >> 1
                if t == 1 && h > 4 {
                    // The first three stages merged (t = 1, 2, 4): each group of eight values
                    // passes all three layers in registers.
                    let (h2, h4) = (h >> 1, h >> 2)
                    @inline(__always) func root(_ k: Int) -> (UInt64, UInt64) { (roots[2 * k], roots[2 * k + 1]) }
                    for i in 0..<h4 {
                        let x = a + 8 * i
                        var v = (x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7])
                        let (r0, r0s) = root(h + 4 * i), (r1, r1s) = root(h + 4 * i + 1)
                        let (r2, r2s) = root(h + 4 * i + 2), (r3, r3s) = root(h + 4 * i + 3)
                        (v.0, v.1) = NTTTables.inverseButterflyValues(v.0, v.1, r0, r0s, p, twoP)
                        (v.2, v.3) = NTTTables.inverseButterflyValues(v.2, v.3, r1, r1s, p, twoP)
                        (v.4, v.5) = NTTTables.inverseButterflyValues(v.4, v.5, r2, r2s, p, twoP)
                        (v.6, v.7) = NTTTables.inverseButterflyValues(v.6, v.7, r3, r3s, p, twoP)
                        let (u0, u0s) = root(h2 + 2 * i), (u1, u1s) = root(h2 + 2 * i + 1)
                        (v.0, v.2) = NTTTables.inverseButterflyValues(v.0, v.2, u0, u0s, p, twoP)
                        (v.1, v.3) = NTTTables.inverseButterflyValues(v.1, v.3, u0, u0s, p, twoP)
                        (v.4, v.6) = NTTTables.inverseButterflyValues(v.4, v.6, u1, u1s, p, twoP)
                        (v.5, v.7) = NTTTables.inverseButterflyValues(v.5, v.7, u1, u1s, p, twoP)
                        let (w, ws) = root(h4 + i)
                        (v.0, v.4) = NTTTables.inverseButterflyValues(v.0, v.4, w, ws, p, twoP)
                        (v.1, v.5) = NTTTables.inverseButterflyValues(v.1, v.5, w, ws, p, twoP)
                        (v.2, v.6) = NTTTables.inverseButterflyValues(v.2, v.6, w, ws, p, twoP)
                        (v.3, v.7) = NTTTables.inverseButterflyValues(v.3, v.7, w, ws, p, twoP)
                        (x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]) = v
                    }
                    t = 8
                    m = h4
                    continue
                }
                if t == 1 {
                    for i in 0..<h {
                        let w = roots[2 * (h + i)]
                        let ws = roots[2 * (h + i) + 1]
                        NTTTables.inverseButterfly(a + 2 * i, a + 2 * i + 1, w, ws, p, twoP)
                    }
                } else if t == 2 {
                    for i in 0..<h {
                        let w = roots[2 * (h + i)]
                        let ws = roots[2 * (h + i) + 1]
                        let x = a + 4 * i
                        NTTTables.inverseButterfly(x, x + 2, w, ws, p, twoP)
                        NTTTables.inverseButterfly(x + 1, x + 3, w, ws, p, twoP)
                    }
                } else {
                    for i in 0..<h {
                        let w = roots[2 * (h + i)]
                        let ws = roots[2 * (h + i) + 1]
                        var x = a + 2 * i * t
                        var y = x + t
                        let end = x + t
                        while x < end {
                            NTTTables.inverseButterfly(x, y, w, ws, p, twoP)
                            NTTTables.inverseButterfly(x + 1, y + 1, w, ws, p, twoP)
                            NTTTables.inverseButterfly(x + 2, y + 2, w, ws, p, twoP)
                            NTTTables.inverseButterfly(x + 3, y + 3, w, ws, p, twoP)
                            x += 4
                            y += 4
                        }
                    }
                }
                t <<= 1
                m = h
            }
            // Last stage with N^-1 folded in: X' = (X + Y)/N, Y' = (X - Y) w / N.
            let (n1, n1s) = inverseDegree
            let (nw, nws) = inverseDegreeTwiddle
            let half = degree >> 1
            for j in 0..<half {
                let x = a[j]
                let y = a[j + half]
                let sum = x &+ y  // [0, 4p)
                let diff = x &- y &+ twoP  // [0, 4p)
                a[j] = modulus.multiplyShoup(sum, n1, n1s)
                a[j + half] = modulus.multiplyShoup(diff, nw, nws)
            }
        }
    }

    /// One Gentleman-Sande butterfly: `(X, Y) -> (X + Y, (X - Y) w)` with values in `[0, 2p)`.
    @inlinable @inline(__always)
    static func inverseButterfly(
        _ x: UnsafeMutablePointer<UInt64>, _ y: UnsafeMutablePointer<UInt64>,
        _ w: UInt64, _ ws: UInt64, _ p: UInt64, _ twoP: UInt64
    ) {
        (x.pointee, y.pointee) = inverseButterflyValues(x.pointee, y.pointee, w, ws, p, twoP)
    }

    /// The Gentleman-Sande butterfly on values in `[0, 2p)`.
    @inlinable @inline(__always)
    static func inverseButterflyValues(_ u: UInt64, _ v: UInt64, _ w: UInt64, _ ws: UInt64, _ p: UInt64, _ twoP: UInt64) -> (UInt64, UInt64) {
        let d = u &- v &+ twoP  // [0, 4p)
        let q = d.multipliedFullWidth(by: ws).high
        return (Modulus.subtract(u &+ v, ifAtLeast: twoP), d &* w &- q &* p)
    }

    /// Forward NTT of a buffer of `N` residues (convenience for arrays).
    public func forward(_ values: inout [UInt64]) {
        precondition(values.count == degree, "NTT input must have N elements")
        values.withUnsafeMutableBufferPointer { forward($0.baseAddress!) }
    }

    /// Inverse NTT of a buffer of `N` residues (convenience for arrays).
    public func inverse(_ values: inout [UInt64]) {
        precondition(values.count == degree, "NTT input must have N elements")
        values.withUnsafeMutableBufferPointer { inverse($0.baseAddress!) }
    }
}
