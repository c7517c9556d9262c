/// Samplers for the distributions RLWE needs, all driven by a `ChaChaDRBG`.
///
/// - `uniform`: each residue uniform in `[0, p_i)` by rejection (unbiased; the CRT of independent
///   uniform residues is uniform modulo `q`).
/// - `ternary`: coefficients uniform in `{-1, 0, 1}` (rejection on two bits).
/// - `centeredBinomial`: the error distribution, `sum_{i<21} (a_i - b_i)` for random bits:
///   mean 0, variance 21/2 = 10.5, standard deviation 3.24, support `[-21, 21]`. We use it
///   instead of a rounded Gaussian because it is exact, branch-free and cheap (two popcounts),
///   and its standard deviation matches the 3.2 of the HE standard table.
public enum Sampler {
    /// The centered binomial parameter: variance `eta / 2`.
    public static let binomialEta = 21

    /// A polynomial with every residue uniform modulo its prime, labelled with `form`.
    /// Cost: about `L*N` 64-bit draws.
    public static func uniform(_ context: PolyContext, form: PolyForm, rng: inout ChaChaDRBG) -> RNSPoly {
        var poly = RNSPoly(zeroIn: context, form: form)
        let n = context.degree
        var words = [UInt64](repeating: 0, count: n + 2)  // grows on demand
        for (i, m) in context.moduli.enumerated() {
            // Candidates are the consecutive bitWidth(p)-bit fields of this limb's fresh words,
            // least significant bits first; values >= p are rejected (unbiased, and about 20%
            // fewer DRBG bytes than whole words for 50-bit primes). Candidates are taken in
            // batches of exactly as many as values are still missing, so no word is drawn
            // that one-at-a-time rejection would not draw.
            let b = m.bitWidth
            let mask: UInt64 = (1 << UInt64(b)) - 1
            let p = m.value
            var fetched = 0, candidate = 0, accepted = 0
            poly.withLimb(i) { limb in
                while accepted < n {
                    let batch = n - accepted
                    let needed = ((candidate + batch) * b + 63) / 64
                    if needed + 1 > words.count { words += [UInt64](repeating: 0, count: needed + 1 - words.count) }
                    words.withUnsafeMutableBufferPointer { w in
                        rng.fill(words: w.baseAddress! + fetched, count: needed - fetched)
                        var position = candidate * b
                        #if _endian(little)
                        if b <= 57 {
                            // The field at bit `position` lies inside the 8 bytes starting at
                            // byte `position / 8` (offset at most 7, plus at most 57 bits): one
                            // unaligned load, within the spare word after the needed ones.
                            accepted = acceptFields(UnsafeRawPointer(w.baseAddress!), from: position, width: b, count: batch,
                                                    below: p, into: limb, accepted: accepted)
                            return
                        }
                        #endif
                        for _ in 0..<batch {
                            // The field at `position`, spilling into the next word when it
                            // crosses a boundary (the double shift avoids a shift by 64; a
                            // field inside one word takes only masked-off bits from the next).
                            let index = position >> 6, offset = UInt64(position & 63)
                            let x = (w[index] >> offset | (w[index + 1] << 1) << (63 - offset)) & mask
                            limb[accepted] = x
                            accepted += x < p ? 1 : 0
                            position += b
                        }
                    }
                    fetched = needed
                    candidate += batch
                }
            }
        }
        return poly
    }

    /// Rejection over `count` consecutive `b`-bit fields (`b <= 57`) from bit `position` of
    /// `bytes` (little-endian, readable 8 bytes past the last field's first byte): writes each
    /// field at `limb[accepted]`, counting it when below `p`. Returns the new accepted count.
    /// A small function of its own so the loop keeps every value in a register.
    @inline(never)
    static func acceptFields(_ bytes: UnsafeRawPointer, from position: Int, width b: Int, count: Int, below p: UInt64,
                             into limb: UnsafeMutablePointer<UInt64>, accepted: Int) -> Int {
        let mask: UInt64 = (1 << UInt64(b)) &- 1
        var (position, accepted) = (position, accepted)
        for _ in 0..<count {
            let x = bytes.loadUnaligned(fromByteOffset: position &>> 3, as: UInt64.self) &>> UInt64(position & 7) & mask
            limb[accepted] = x
            accepted &+= x < p ? 1 : 0
            position &+= b
        }
        return accepted
    }

    /// A value uniform in `[0, bound)`, `bound >= 1`, by rejection on the smallest bit mask.
    @inlinable
    public static func uniformBelow(_ bound: UInt64, rng: inout ChaChaDRBG) -> UInt64 {
        precondition(bound >= 1)
        let mask = bound == 1 ? 0 : UInt64.max >> (bound - 1).leadingZeroBitCount
        while true {
            let x = rng.next() & mask
            if x < bound { return x }
        }
    }

    /// `count` coefficients uniform in `{-1, 0, 1}`.
    public static func ternary(count: Int, rng: inout ChaChaDRBG) -> [Int64] {
        var out = [Int64](repeating: 0, count: count)
        var bits: UInt64 = 0
        var available = 0
        var i = 0
        while i < count {
            if available < 2 { bits = rng.next(); available = 64 }
            let b = bits & 3
            bits >>= 2
            available -= 2
            if b == 3 { continue }
            // 0 -> 0, 1 -> 1, 2 -> -1.
            out[i] = Int64(b & 1) - Int64(b >> 1)
            i += 1
        }
        return out
    }

    /// `count` errors from the centered binomial distribution with `eta = 21` (std-dev 3.24).
    /// Branch-free in the sampled values.
    public static func centeredBinomial(count: Int, rng: inout ChaChaDRBG) -> [Int64] {
        // Three samples of 42 bits from every two 64-bit words (the words `next()` would give).
        let triples = (count + 2) / 3
        var words = [UInt64](repeating: 0, count: 2 * triples)
        words.withUnsafeMutableBufferPointer { rng.fill(words: $0.baseAddress!, count: 2 * triples) }
        let mask: UInt64 = (1 << 21) - 1
        // popcount(a) - popcount(b) = popcount(a) + popcount(~b) - 21: one popcount of the
        // 42-bit field with its upper half inverted.
        let flip = mask << 21
        @inline(__always) func cbd(_ r: UInt64) -> Int64 {
            Int64(bitPattern: popcount42((r & (flip | mask)) ^ flip)) - 21
        }
        return [Int64](unsafeUninitializedCapacity: 3 * triples) { out, initialized in
            words.withUnsafeBufferPointer { w in
                for k in 0..<triples {
                    let w0 = w[2 * k], w1 = w[2 * k + 1]
                    out[3 * k] = cbd(w0)
                    out[3 * k + 1] = cbd(w0 >> 42 | w1 << 22)
                    out[3 * k + 2] = cbd(w1 >> 20)
                }
            }
            initialized = count
        }
    }

    /// The number of set bits of `x < 2^42`, by shifts and adds only: baseline x86-64 has no
    /// population-count instruction, and this form needs no multiply either.
    @inline(__always)
    static func popcount42(_ x: UInt64) -> UInt64 {
        var v = x &- ((x >> 1) & 0x5555_5555_5555_5555)
        v = (v & 0x3333_3333_3333_3333) &+ ((v >> 2) & 0x3333_3333_3333_3333)
        v = (v &+ (v >> 4)) & 0x0F0F_0F0F_0F0F_0F0F
        v = v &+ (v >> 8)
        v = v &+ (v >> 16)
        v = v &+ (v >> 32)
        return v & 0x7F
    }

    /// A coefficient-form polynomial with ternary coefficients, and the coefficients themselves.
    public static func ternaryPoly(_ context: PolyContext, rng: inout ChaChaDRBG) -> (RNSPoly, [Int64]) {
        let c = ternary(count: context.degree, rng: &rng)
        // The count equals N, so construction cannot fail.
        return ((try? RNSPoly(context: context, signedCoefficients: c))!, c)
    }

    /// A coefficient-form polynomial with centered-binomial error coefficients.
    public static func errorPoly(_ context: PolyContext, rng: inout ChaChaDRBG) -> RNSPoly {
        let c = centeredBinomial(count: context.degree, rng: &rng)
        return (try? RNSPoly(context: context, signedCoefficients: c))!
    }
}
