/// The operands of many dot products laid out coefficient-major: for each limb and coefficient
/// `j`, the residues of all `T` terms (and, for two rows, of both rows per term) lie next to
/// each other. A dot product `sum_k x[r][k][j] * y[k][j]` then reads three sequential streams
/// (the rows' pairs and `y`) with its two 128-bit sums in registers for all `T` terms, where
/// the term-major polynomials of `RNSPoly.dotProducts` need `3 T` streams the hardware
/// prefetcher cannot follow and sums kept in memory between chunks of terms.
///
/// Layout: `storage[((limb * N + j) * T + k) * rows + r]`; `rows` is 1 (plaintexts) or 2 (the
/// two polynomials of ciphertexts). Same size as the polynomials: `8 rows T L N` bytes.
public struct PackedTerms: Sendable {
    /// The ring of every term.
    public let context: PolyContext
    /// Terms `T` per dot product (at least 1).
    public let terms: Int
    /// Rows per term: 1 or 2.
    public let rows: Int
    @usableFromInline let storage: [UInt64]

    /// Packs `rows[r][k]` (one or two rows of `T >= 1` polynomials each, all in `context`'s
    /// ring and in evaluation form).
    /// - Precondition: 1 or 2 rows of equal, non-zero length; one ring; evaluation form.
    public init(rows polys: [[RNSPoly]]) {
        precondition((1...2).contains(polys.count) && !polys[0].isEmpty, "one or two rows of terms")
        let context = polys[0][0].context
        let terms = polys[0].count, rows = polys.count, n = context.degree
        for row in polys {
            precondition(row.count == terms, "rows of equal length")
            for p in row { precondition(p.context == context && p.form == .evaluation, "one ring, evaluation form") }
        }
        self.context = context
        self.terms = terms
        self.rows = rows
        let count = rows * terms * context.limbCount * n
        // Every slot is written below.
        storage = [UInt64](unsafeUninitializedCapacity: count) { out, initialized in
            withPointerRows(polys) { p in
                // In blocks of 64 coefficients: a block's packed words (64 T rows) stay in
                // cache while every term's run of 64 residues is scattered into them.
                let step = terms * rows
                for limb in 0..<context.limbCount {
                    for start in stride(from: 0, to: n, by: 64) {
                        let end = min(n, start + 64)
                        for k in 0..<terms {
                            for r in 0..<rows {
                                let source = p[r][k] + limb * n
                                var target = out.baseAddress! + (limb * n + start) * step + k * rows + r
                                for j in start..<end {
                                    target.pointee = source[j]
                                    target += step
                                }
                            }
                        }
                    }
                }
            }
            initialized = count
        }
    }

    /// Bytes held.
    public var byteCount: Int { storage.count * 8 }
}

extension RNSPoly {
    /// `out[r] = sum_k left[r][k] * right[k]` in evaluation form, for packed operands of the
    /// same ring and term count (`right` with one row). Same result as `dotProducts` on the
    /// unpacked polynomials. Cost: one 64x64->128 product per term, coefficient and row, the
    /// sums reduced once per coefficient (or every `budget` terms for primes whose products
    /// could overflow 128 bits over `T` terms).
    /// - Precondition: same ring and terms; `right.rows == 1`.
    public static func dotProducts(_ left: PackedTerms, _ right: PackedTerms) -> [RNSPoly] {
        precondition(left.context == right.context && left.terms == right.terms && right.rows == 1, "packed operands must match")
        let context = left.context, n = context.degree, terms = left.terms, rows = left.rows
        let polySize = context.limbCount * n
        // Every residue of every output row is written by the kernels.
        func run(_ o0: UnsafeMutablePointer<UInt64>, _ o1: UnsafeMutablePointer<UInt64>?) {
            left.storage.withUnsafeBufferPointer { x in
                right.storage.withUnsafeBufferPointer { y in
                    for (limb, modulus) in context.moduli.enumerated() {
                        let xs = x.baseAddress! + limb * n * terms * rows, ys = y.baseAddress! + limb * n * terms
                        if let o1 {
                            PackedProducts.twoRows(xs, ys, terms, n, modulus, o0 + limb * n, o1 + limb * n)
                        } else {
                            PackedProducts.oneRow(xs, ys, terms, n, modulus, o0 + limb * n)
                        }
                    }
                }
            }
        }
        var second: [UInt64] = []
        let first = [UInt64](unsafeUninitializedCapacity: polySize) { o0, count0 in
            if rows == 2 {
                second = [UInt64](unsafeUninitializedCapacity: polySize) { o1, count1 in
                    run(o0.baseAddress!, o1.baseAddress!)
                    count1 = polySize
                }
            } else {
                run(o0.baseAddress!, nil)
            }
            count0 = polySize
        }
        let outputs = rows == 2 ? [first, second] : [first]
        return outputs.map { RNSPoly(context: context, uncheckedResidues: $0, form: .evaluation) }
    }
}

/// Kernels of the packed dot products: one coefficient per pass, all terms with the sums in
/// registers.
enum PackedProducts {
    /// `out0[j], out1[j]` for `j < n` from pairs `x[(j T + k) 2 + r]` and `y[j T + k]`.
    @inline(never)
    static func twoRows(_ x: UnsafePointer<UInt64>, _ y: UnsafePointer<UInt64>, _ terms: Int, _ n: Int, _ modulus: Modulus,
                        _ out0: UnsafeMutablePointer<UInt64>, _ out1: UnsafeMutablePointer<UInt64>) {
        let budget = modulus.wideSumBudget
        var xp = x, yp = y
        for j in 0..<n {
            var s0: UInt128 = 0, s1: UInt128 = 0
            var k = 0
            while k < terms {
                let end = min(terms, k + budget)
                if k > 0 {
                    s0 = UInt128(modulus.reduce(s0))
                    s1 = UInt128(modulus.reduce(s1))
                }
                while k < end {
                    let yk = UInt128(yp[k])
                    s0 &+= UInt128(xp[2 &* k]) &* yk
                    s1 &+= UInt128(xp[2 &* k &+ 1]) &* yk
                    k &+= 1
                }
            }
            out0[j] = modulus.reduce(s0)
            out1[j] = modulus.reduce(s1)
            xp += 2 &* terms
            yp += terms
        }
    }

    /// `out[j]` for `j < n` from `x[j T + k]` and `y[j T + k]`.
    @inline(never)
    static func oneRow(_ x: UnsafePointer<UInt64>, _ y: UnsafePointer<UInt64>, _ terms: Int, _ n: Int, _ modulus: Modulus,
                       _ out: UnsafeMutablePointer<UInt64>) {
        let budget = modulus.wideSumBudget
        var xp = x, yp = y
        for j in 0..<n {
            var s: UInt128 = 0
            var k = 0
            while k < terms {
                let end = min(terms, k + budget)
                if k > 0 { s = UInt128(modulus.reduce(s)) }
                while k < end {
                    s &+= UInt128(xp[k]) &* UInt128(yp[k])
                    k &+= 1
                }
            }
            out[j] = modulus.reduce(s)
            xp += terms
            yp += terms
        }
    }
}
