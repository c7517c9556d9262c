import RingArithmetic

/// Everything precomputed for one parameter set: the ciphertext ring at every modulus level
/// (level `k` has dropped the last `k` primes), the plaintext modulus, the scaling constants for
/// `Delta*m = round(q*m/t)`, the batching NTT when `t` allows it, and the extended RNS base for
/// ciphertext multiplication. Immutable and shared; building it costs a few milliseconds.
public final class BFVContext: Sendable {
    /// The validated parameters.
    public let parameters: Parameters
    /// Per-level rings and constants; `levels[0]` is the full modulus `q`.
    public let levels: [Level]
    /// `t` as a `Modulus`.
    public let plainModulus: Modulus
    /// NTT tables modulo `t` for the batch encoder, when `t` is prime and `1 mod 2N`.
    public let plainNTT: NTTTables?

    /// One modulus level: the ring `R_q` for the first `limbCount` primes and its constants.
    public struct Level: Sendable {
        /// The ciphertext ring at this level.
        public let ring: PolyContext
        /// `q` of this level as little-endian words.
        public let q: [UInt64]
        /// `floor(q / t) mod p_i` per limb.
        let qDivT: [UInt64]
        /// `q mod t`.
        let qModT: UInt64
        /// The ring `q * P` used to hold exact tensor products (P: extra 61-bit primes).
        let extended: PolyContext
        /// The extra primes `P` alone (their CRT constants convert back to `q`).
        let extra: PolyContext
    }

    /// Precomputes the context.
    /// - Throws: `BFVError` if the ring layer rejects the parameters.
    public init(_ parameters: Parameters) throws(BFVError) {
        self.parameters = parameters
        let n = parameters.degree
        let t = parameters.plaintextModulus
        plainModulus = try BFVError.wrap { () throws(RingError) in try Modulus(t) }
        plainNTT = parameters.supportsBatching
            ? try BFVError.wrap { () throws(RingError) in try NTTTables(modulus: Modulus(t), degree: n) }
            : nil
        var levels: [Level] = []
        let moduli = parameters.coefficientModuli
        for count in stride(from: moduli.count, through: 1, by: -1) {
            let levelModuli = Array(moduli.prefix(count))
            let ring = try BFVError.wrap { () throws(RingError) in try PolyContext(degree: n, moduli: levelModuli) }
            let q = ring.modulusProduct
            let (quotient, remainder) = BigWord.divide(q, by: [t])
            let qDivT = ring.moduli.map { BigWord.remainder(quotient, $0) }
            // Extended base: enough 61-bit primes that P exceeds 4 * t * N * q, so q * P holds
            // every tensor coefficient (at most N * q^2 / 2 in size) and P holds the rescaled
            // product round(t * x / q), both with room for the sign.
            let logQ = Double(BigWord.bitLength(q))
            let logT = Double(BigWord.bitLength([t]))
            let extraCount = Int(((logQ + logT + Double(n.trailingZeroBitCount) + 4) / 60).rounded(.up))
            let extra = try BFVError.wrap { () throws(RingError) in
                try Primes.nttFriendly(bits: 61, count: extraCount, degree: n, excluding: moduli)
            }
            let extended = try BFVError.wrap { () throws(RingError) in try PolyContext(degree: n, moduli: levelModuli + extra) }
            let extraRing = try BFVError.wrap { () throws(RingError) in try PolyContext(degree: n, moduli: extra) }
            levels.append(Level(ring: ring, q: q, qDivT: qDivT, qModT: remainder[0], extended: extended, extra: extraRing))
        }
        self.levels = levels
    }

    /// The ring of the full modulus (level 0).
    public var ring: PolyContext { levels[0].ring }
    /// `N`.
    public var degree: Int { parameters.degree }
    /// `t`.
    public var plaintextModulus: UInt64 { parameters.plaintextModulus }

    /// The level whose ring is `ring`.
    /// - Throws: `BFVError.parameterMismatch` if the ring belongs to other parameters.
    public func level(of ring: PolyContext) throws(BFVError) -> Int {
        guard let i = levels.firstIndex(where: { $0.ring == ring }) else { throw BFVError.parameterMismatch }
        return i
    }

    /// `Delta * m = round(q * m / t)` for plaintext coefficients `m < t`, in the ring of `level`,
    /// coefficient form. Exact: `floor(q/t)*m + round((q mod t)*m / t)`.
    func scaled(_ m: [UInt64], level: Int = 0) -> RNSPoly {
        scaled(m, plusErrors: nil, level: level)
    }

    /// `Delta * m + e` in one pass per limb, for small signed errors `e` (`|e_j| < p_i`).
    /// With `lazy`, residues are left in `[0, 4p)` (a valid input of `NTTTables.forwardLazy`):
    /// such a polynomial must not leave the caller before it is reduced.
    func scaled(_ m: [UInt64], plusErrors errors: [Int64]?, level: Int = 0, lazy: Bool = false) -> RNSPoly {
        let lv = levels[level]
        let n = degree
        let t = plaintextModulus
        let qModT = lv.qModT
        // Coefficients are below t (a `Plaintext` invariant); with t <= 2^32 every product below
        // is a single 64-bit multiply.
        let narrow = t <= 1 << 32
        // small_j = round((q mod t) * m_j / t) + e_j, once per coefficient (the same integer in
        // every limb); it lies in [-21, t + 21), far below every prime.
        let noError = [Int64](repeating: 0, count: errors == nil ? n : 0)
        let small = [Int64](unsafeUninitializedCapacity: n) { sp, initialized in
            m.withUnsafeBufferPointer { mp in
                (errors ?? noError).withUnsafeBufferPointer { ep in
                    if t.nonzeroBitCount == 1 && narrow {
                        // (q mod t) * m_j + t/2 <= (t-1)^2 + t/2 < 2^64.
                        let shift = UInt64(t.trailingZeroBitCount)
                        for j in 0..<n { sp[j] = Int64(bitPattern: (qModT &* mp[j] &+ t / 2) >> shift) &+ ep[j] }
                    } else {
                        for j in 0..<n {
                            let prod = qModT.multipliedFullWidth(by: mp[j])
                            let (low, carry) = prod.low.addingReportingOverflow(t / 2)
                            sp[j] = Int64(t.dividingFullWidth((prod.high &+ (carry ? 1 : 0), low)).quotient) &+ ep[j]
                        }
                    }
                }
            }
            initialized = n
        }
        var out = RNSPoly(zeroIn: lv.ring)
        for (i, p) in lv.ring.moduli.enumerated() {
            let w = lv.qDivT[i]
            let pv = p.value
            let twoP = pv << 1
            // floor(q/t)*m_j - Q*p in [0, 2p) for a quotient estimate Q: with m_j < 2^32 and
            // ws32 = floor(w * 2^32 / p), Q = (m_j * ws32) >> 32 is floor(m_j * w / p) or one
            // less (64-bit products only, in vector lanes); otherwise the 128-bit Shoup product.
            m.withUnsafeBufferPointer { mp in
                small.withUnsafeBufferPointer { sp in
                    out.withLimb(i) { limb in
                        // Plus small + p: in (0, 3p + t), below 4p as t < p - 21; two conditional
                        // subtractions bring it below p.
                        if narrow {
                            let ws32 = UInt64(truncatingIfNeeded: (UInt128(w) << 32) / UInt128(pv))
                            scaledNarrowLimb(mp.baseAddress!, sp.baseAddress!, limb, count: n, w: w, ws32: ws32, p: pv, lazy: lazy)
                            return
                        }
                        let ws = p.shoupPrecompute(w)
                        @inline(__always) func product(_ x: UInt64) -> UInt64 { p.multiplyShoupLazy(x, w, ws) }
                        if lazy {
                            for j in 0..<n { limb[j] = product(mp[j]) &+ UInt64(bitPattern: sp[j]) &+ pv }
                        } else {
                            for j in 0..<n {
                                let x = product(mp[j]) &+ UInt64(bitPattern: sp[j]) &+ pv
                                limb[j] = p.subtractIfAbove(Modulus.subtract(x, ifAtLeast: twoP))
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// `round(numerator * x / q) mod numerator` for every coefficient of `x` (limb-major residues
    /// at `level`), without composing: with `y_i = [x_i * (q/p_i)^-1]_{p_i}`,
    /// `x/q = sum_i y_i / p_i mod 1`, so the result is `round(sum_i numerator * y_i / p_i) mod
    /// numerator`, evaluated in double precision. For `numerator <= 2^32` the error is below 2^-18
    /// of a unit: the result is exact unless the value lies within that distance of a rounding
    /// boundary, i.e. unless the noise already sits at the decryption-failure bound.
    func scaleAndRoundRNS(_ x: [UInt64], level: Int, numerator: UInt64) -> [UInt64] {
        let ring = levels[level].ring
        let n = degree
        let t = Double(numerator)
        // Rounding without libm calls (baseline x86-64 has no roundsd): for |v| < 2^51, adding
        // 1.5 * 2^52 rounds v to an integer k (ties to even), and the sum's low 52 bits hold
        // 2^51 + k.
        let magic = 6_755_399_441_055_744.0
        @inline(__always) func nearest(_ v: Double) -> (Int64, Double) {
            let r = v + magic
            return (Int64(bitPattern: r.bitPattern & ((1 << 52) - 1)) &- (1 << 51), r - magic)
        }
        var whole = [UInt64](repeating: 0, count: n)
        var fraction = [Double](repeating: 0, count: n)
        x.withUnsafeBufferPointer { xp in
            whole.withUnsafeMutableBufferPointer { wp in
                fraction.withUnsafeMutableBufferPointer { fp in
                    for (i, m) in ring.moduli.enumerated() {
                        let (inv, invShoup) = ring.crt.cofactorInverse(i)
                        let factor = t / Double(m.value)
                        let xi = xp.baseAddress! + i * n
                        for j in 0..<n {
                            let y = m.multiplyShoup(xi[j], inv, invShoup)
                            // numerator * y / p_i in [0, numerator): its nearest integer, and the
                            // remainder in [-1/2, 1/2] (exact) kept apart for precision.
                            let term = Double(Int64(bitPattern: y)) * factor
                            let (k, rounded) = nearest(term)
                            wp[j] &+= UInt64(bitPattern: k)
                            fp[j] += term - rounded
                        }
                    }
                }
            }
        }
        // The remainders sum to within L/2 of zero: adding numerator * L keeps every total
        // nonnegative before it is reduced.
        let offset = numerator &* UInt64(ring.limbCount)
        return (0..<n).map { j in (whole[j] &+ UInt64(bitPattern: nearest(fraction[j]).0) &+ offset) % numerator }
    }

    /// `round(numerator * x / q) mod numerator` for a centered `x` given by its residues mod `q` of
    /// `level`: the BFV decoding map with any output modulus (`numerator = t` decrypts; a smaller
    /// power of two returns rounded top bits). Exact multi-word arithmetic.
    func scaleAndRound(residues: [UInt64], level: Int, numerator: UInt64) -> UInt64 {
        let lv = levels[level]
        let words = lv.ring.crt.compose(residues)
        if lv.q.count <= 2 {
            // Fast path, q < 2^128: 256-bit product and one 256/128 division.
            let q = UInt128(lv.q[0]) | (lv.q.count > 1 ? UInt128(lv.q[1]) << 64 : 0)
            let x = UInt128(words[0]) | (words.count > 1 ? UInt128(words[1]) << 64 : 0)
            let negative = x > q / 2
            let magnitude = negative ? q - x : x
            let product = magnitude.multipliedFullWidth(by: UInt128(numerator))
            let (low, carry) = product.low.addingReportingOverflow(q / 2)
            let r = UInt64(truncatingIfNeeded: q.dividingFullWidth((product.high &+ (carry ? 1 : 0), low)).quotient % UInt128(numerator))
            return negative ? (numerator - r) % numerator : r
        }
        var x = words
        // Center: x > q/2 means the negative value x - q.
        let negative = BigWord.compare(BigWord.add(x, x), lv.q) > 0
        if negative { x = BigWord.subtract(lv.q, x) }
        let rounded = BigWord.divideRounded(BigWord.multiply(x, numerator), by: lv.q)
        let r = BigWord.remainder(rounded, word: numerator)
        return negative ? (numerator - r) % numerator : r
    }
}

/// One limb of `BFVContext.scaled` for `t <= 2^32`, two coefficients per step in 64-bit vector
/// lanes: every product is 32x32 -> 64 bits (`pmuludq` on baseline x86-64), which frees the
/// scalar multiplier. `out[j] = m_j * w - floor(m_j * ws32 / 2^32) * p + small_j + p`, in
/// `(0, 4p)` (or reduced below `p` unless `lazy`); `m_j < 2^32`, `ws32 < 2^32`, `N` even.
private func scaledNarrowLimb(_ m: UnsafePointer<UInt64>, _ small: UnsafePointer<Int64>, _ out: UnsafeMutablePointer<UInt64>,
                              count n: Int, w: UInt64, ws32: UInt64, p: UInt64, lazy: Bool) {
    typealias V = SIMD2<UInt64>
    let low32 = V(repeating: 0xFFFF_FFFF)
    let (wLow, wHigh) = (V(repeating: w & 0xFFFF_FFFF), V(repeating: w >> 32))
    let (pLow, pHigh) = (V(repeating: p & 0xFFFF_FFFF), V(repeating: p >> 32))
    let quotient = V(repeating: ws32) & low32
    let (pv, twoP) = (V(repeating: p), V(repeating: p << 1))
    @inline(__always) func below(_ r: V, _ bound: V) -> V {
        let d = r &- bound
        return d &+ (bound & (V(repeating: 0) &- (d &>> 63)))
    }
    let source = UnsafeRawPointer(m), extra = UnsafeRawPointer(small), target = UnsafeMutableRawPointer(out)
    for j in stride(from: 0, to: n, by: 2) {
        // The masks only tell the compiler that the factors fit 32 bits (they compile away).
        let x = source.loadUnaligned(fromByteOffset: 8 * j, as: V.self) & low32
        let xw = x &* (wLow & low32) &+ ((x &* (wHigh & low32)) &<< 32)  // m*w mod 2^64
        let q = (x &* quotient) &>> 32
        let qp = q &* (pLow & low32) &+ ((q &* (pHigh & low32)) &<< 32)
        var r = xw &- qp &+ extra.loadUnaligned(fromByteOffset: 8 * j, as: V.self) &+ pv
        if !lazy { r = below(below(r, twoP), pv) }
        target.storeBytes(of: r, toByteOffset: 8 * j, as: V.self)
    }
}
