/// Chinese-remainder composition for RNS residues: maps residues modulo `p_1 ... p_L` to the
/// integer in `[0, q)` as little-endian 64-bit words, and back. Exact; meant for checks,
/// decryption and serialization, not hot loops. Cost: `O(L^2)` word operations per value.
public struct CRTComposer: Sendable {
    /// The moduli.
    public let moduli: [Modulus]
    /// `q = prod p_i`, little-endian words (`L` words suffice since each `p_i < 2^62`).
    public let product: [UInt64]
    /// `q / p_i` as words, per modulus.
    @usableFromInline let cofactors: [[UInt64]]
    /// `(q / p_i)^-1 mod p_i` with Shoup quotients.
    @usableFromInline let cofactorInverses: [(UInt64, UInt64)]

    /// Precomputes the constants.
    /// - Throws: `RingError.notInvertible` when two moduli share a factor.
    public init(moduli: [Modulus]) throws(RingError) {
        self.moduli = moduli
        var q: [UInt64] = [1]
        for m in moduli { q = BigWord.multiply(q, m.value) }
        product = BigWord.trimmed(q, count: moduli.count)
        var cof: [[UInt64]] = []
        var inv: [(UInt64, UInt64)] = []
        for (i, mi) in moduli.enumerated() {
            var c: [UInt64] = [1]
            for (j, mj) in moduli.enumerated() where j != i { c = BigWord.multiply(c, mj.value) }
            c = BigWord.trimmed(c, count: moduli.count)
            cof.append(c)
            let r = BigWord.remainder(c, mi)
            let x = try mi.inverse(r)
            inv.append((x, mi.shoupPrecompute(x)))
        }
        cofactors = cof
        cofactorInverses = inv
    }

    /// `(q/p_i)^-1 mod p_i` and its Shoup quotient.
    public func cofactorInverse(_ i: Int) -> (UInt64, UInt64) { cofactorInverses[i] }

    /// The integer in `[0, q)` with the given residues (one per modulus), little-endian words.
    public func compose(_ residues: [UInt64]) -> [UInt64] {
        precondition(residues.count == moduli.count)
        var acc = [UInt64](repeating: 0, count: moduli.count + 1)
        for i in 0..<moduli.count {
            let (x, xs) = cofactorInverses[i]
            let y = moduli[i].multiplyShoup(moduli[i].reduce(residues[i]), x, xs)
            // acc += y * (q/p_i); acc < L*q fits in L+1 words.
            var carry: UInt64 = 0
            for w in 0..<moduli.count {
                let c = w < cofactors[i].count ? cofactors[i][w] : 0
                let m = c.multipliedFullWidth(by: y)
                let (s1, o1) = acc[w].addingReportingOverflow(m.low)
                let (s2, o2) = s1.addingReportingOverflow(carry)
                acc[w] = s2
                carry = m.high &+ (o1 ? 1 : 0) &+ (o2 ? 1 : 0)
            }
            acc[moduli.count] &+= carry
        }
        // Reduce acc < L*q modulo q by repeated subtraction (at most L-1 times).
        let qWords = product + [0]
        while BigWord.compare(acc, qWords) >= 0 { acc = BigWord.subtract(acc, qWords) }
        return Array(acc.prefix(moduli.count))
    }

    /// The integer in `[0, q)` with the given residues, as `UInt128` (requires `q < 2^128`).
    public func compose128(_ residues: [UInt64]) -> UInt128 {
        let words = compose(residues)
        precondition(words.count <= 2 || words[2...].allSatisfy { $0 == 0 }, "q exceeds 128 bits")
        return UInt128(words[0]) | (words.count > 1 ? UInt128(words[1]) << 64 : 0)
    }

    /// `compose` for two moduli without allocation: the integer in `[0, q)` with residues
    /// `r0 mod p_0` and `r1 mod p_1` (`y_i = r_i (q/p_i)^-1 mod p_i`, then
    /// `y_0 p_1 + y_1 p_0 < 2q < 2^128` less `q` once if needed).
    /// - Precondition: exactly two moduli.
    @inlinable
    public func compose2(_ r0: UInt64, _ r1: UInt64) -> UInt128 {
        precondition(moduli.count == 2)
        let (x0, s0) = cofactorInverses[0], (x1, s1) = cofactorInverses[1]
        let y0 = moduli[0].multiplyShoup(moduli[0].reduce(r0), x0, s0)
        let y1 = moduli[1].multiplyShoup(moduli[1].reduce(r1), x1, s1)
        let q = UInt128(moduli[0].value) * UInt128(moduli[1].value)
        let sum = UInt128(y0) * UInt128(moduli[1].value) + UInt128(y1) * UInt128(moduli[0].value)
        return sum >= q ? sum - q : sum
    }

    /// The residues of a multi-word integer (little-endian words) modulo each modulus.
    public func decompose(_ words: [UInt64]) -> [UInt64] {
        moduli.map { BigWord.remainder(words, $0) }
    }
}

