extension RNSPoly {
    /// Lazy multiply-accumulate with a shared right operand, in evaluation form:
    /// `out[r] = sum_k left[r][k] * right[k]` for every row `r` (for example the two polynomials
    /// of a ciphertext times many plaintexts).
    ///
    /// Works column by column: for a coefficient it runs down a chunk of 4 terms with
    /// the sums in registers, so accumulators are touched once per chunk. For primes up to 58
    /// bits the products are split into halves (see `SplitProducts`) and computed two
    /// coefficients at a time in 64-bit vector lanes; wider primes use one 64x64->128 product
    /// per term. Sums are reduced only when one more chunk could overflow and once at the end.
    /// Cost per term and coefficient and row: about 0.6 ns with 50-bit primes on the 2-core
    /// development machine (`bfv.mulacc`), 1.1 ns with 59-bit primes and operands from memory
    /// (`bfv.mulacc.large`); memory `O(rows * 256)` words besides the output.
    /// - Precondition: all operands in this ring and in evaluation form; every row has
    ///   `right.count` entries; `right` is not empty.
    public static func dotProducts(_ left: [[RNSPoly]], _ right: [RNSPoly]) -> [RNSPoly] {
        precondition(!right.isEmpty && !left.isEmpty, "empty dot product")
        let context = right[0].context
        for r in right { precondition(r.context == context && r.form == .evaluation, "operands must share ring and evaluation form") }
        for row in left {
            precondition(row.count == right.count, "one left operand per right operand")
            for l in row { precondition(l.context == context && l.form == .evaluation, "operands must share ring and evaluation form") }
        }
        let n = context.degree
        let rows = left.count
        let polySize = context.limbCount * n
        // Every residue of every row is written below (each tile's reduced sums), so the output
        // arrays start uninitialized.
        var outputs = [[UInt64]](repeating: [], count: rows)
        withPointers(right[...]) { rp in
            withPointerRows(left) { lp in
                // Rows in pairs: both rows of a pair share each load of `right`.
                var first = 0
                while first < rows {
                    let group = min(2, rows - first)
                    let a = [UInt64](unsafeUninitializedCapacity: polySize) { row0, count0 in
                        if group == 2 {
                            outputs[first + 1] = [UInt64](unsafeUninitializedCapacity: polySize) { row1, count1 in
                                sumLimbs(lp, first, group, rp, context, [row0.baseAddress!, row1.baseAddress!])
                                count1 = polySize
                            }
                        } else {
                            sumLimbs(lp, first, group, rp, context, [row0.baseAddress!])
                        }
                        count0 = polySize
                    }
                    outputs[first] = a
                    first += group
                }
            }
        }
        return outputs.map { RNSPoly(context: context, uncheckedResidues: $0, form: .evaluation) }
    }

    /// The dot products of rows `first ..< first + group` (one or two) for every limb, written
    /// to `out` (one pointer per row, `L*N` residues each).
    private static func sumLimbs(_ left: [[UnsafePointer<UInt64>]], _ first: Int, _ group: Int, _ right: [UnsafePointer<UInt64>],
                                 _ context: PolyContext, _ out: [UnsafeMutablePointer<UInt64>]) {
        let n = context.degree
        for (limb, modulus) in context.moduli.enumerated() {
            let columns = ColumnSums(modulus: modulus, rows: group, degree: n)
            columns.run(left: Array(left[first ..< first + group]), right: right, offset: limb * n,
                        into: out.map { $0 + limb * n })
        }
    }
}

/// A column kernel: `(accumulators, row-0 terms, row-1 terms, right terms, term count, first
/// coefficient, coefficient count)`.
typealias ColumnKernel = (UnsafeMutablePointer<UInt64>, UnsafePointer<UnsafePointer<UInt64>>, UnsafePointer<UnsafePointer<UInt64>>,
                          UnsafePointer<UnsafePointer<UInt64>>, Int, Int, Int) -> Void

/// Column-wise dot products of one limb for one or two rows.
struct ColumnSums {
    let modulus: Modulus
    let rows: Int
    let degree: Int
    /// The split width `w` (products split into `w`-bit halves), or nil for full-width products.
    let split: Int?
    /// Terms that may be added after a reduction before a sum can overflow.
    let budget: Int

    /// Coefficients per tile: its accumulators (`3 * rows * tile` words) stay in L1 cache.
    static let tile = 256
    /// Terms per pass over a tile. Every operand polynomial starts at the same offset modulo
    /// the 4 KiB page, so the `3 * chunk` streams of a pass (same coefficient, different terms)
    /// all map to one L1 set: 4 terms (12 streams) beat 8 by 20-40% with operands from memory
    /// (`bfv.mulacc.distinct`, `bfv.mulacc.large`) and 16 is twice as slow; 2 makes the
    /// accumulator loads and stores a large part (30% slower).
    static let chunk = 4

    init(modulus: Modulus, rows: Int, degree: Int) {
        self.modulus = modulus
        self.rows = rows
        self.degree = degree
        split = SplitProducts.width(forBits: modulus.bitWidth)
        if let w = split {
            // After a reduction L = S = r < p <= 2^(2w) and H = 0; each term adds below
            // 2^(2w+2) to S, so 2^(62-2w) - 1 terms keep every lane below 2^64.
            budget = (1 << (62 - 2 * w)) - 1
        } else {
            budget = modulus.wideSumBudget
        }
    }

    /// Writes `out[r][j] = sum_k left[r][k][offset + j] * right[k][offset + j] mod p` for
    /// every `j < N`.
    func run(left: [[UnsafePointer<UInt64>]], right: [UnsafePointer<UInt64>], offset: Int, into out: [UnsafeMutablePointer<UInt64>]) {
        let terms = right.count
        let tile = min(ColumnSums.tile, degree)
        let chunk = min(ColumnSums.chunk, budget)
        let kernel = self.kernel
        var acc = [UInt64](repeating: 0, count: (split == nil ? 2 : 3) * rows * tile)
        acc.withUnsafeMutableBufferPointer { accBuffer in
            left[0].withUnsafeBufferPointer { p0 in
                left[rows - 1].withUnsafeBufferPointer { p1 in
                    right.withUnsafeBufferPointer { q in
                        let a = accBuffer.baseAddress!, x0 = p0.baseAddress!, x1 = p1.baseAddress!, y = q.baseAddress!
                        for start in stride(from: 0, to: degree, by: tile) {
                            a.update(repeating: 0, count: accBuffer.count)
                            var used = 0
                            var k = 0
                            while k < terms {
                                let count = min(chunk, terms - k)
                                if used + count > budget {
                                    reduce(a, tile: tile)
                                    used = 0
                                }
                                kernel(a, x0 + k, x1 + k, y + k, count, offset + start, tile)
                                used += count
                                k += count
                            }
                            finish(a, tile: tile, into: out, at: start)
                        }
                    }
                }
            }
        }
    }

    /// The column kernel for this modulus and row count (one-row kernels ignore `x1`).
    var kernel: ColumnKernel {
        switch (split, rows) {
        case (26?, 2): SplitProducts.twoRows26
        case (26?, _): { a, x0, _, y, terms, base, tile in SplitProducts.oneRow26(a, x0, y, terms, base, tile) }
        case (29?, 2): SplitProducts.twoRows29
        case (29?, _): { a, x0, _, y, terms, base, tile in SplitProducts.oneRow29(a, x0, y, terms, base, tile) }
        case (_, 2): WideProducts.twoRows
        default: { a, x0, _, y, terms, base, tile in WideProducts.oneRow(a, x0, y, terms, base, tile) }
        }
    }

    /// Writes the reduced sum of `(row r, coefficient j)` to `out[r][start + j]` for the tile.
    func finish(_ a: UnsafeMutablePointer<UInt64>, tile: Int, into out: [UnsafeMutablePointer<UInt64>], at start: Int) {
        let (out0, out1) = (out[0] + start, out[rows - 1] + start)
        switch split {
        case 26?: SplitProducts.finish26(a, rows: rows, tile: tile, modulus: modulus, out0, out1)
        case 29?: SplitProducts.finish29(a, rows: rows, tile: tile, modulus: modulus, out0, out1)
        default:
            for r in 0..<rows {
                for j in 0..<tile { out[r][start + j] = modulus.reduce(sum(a, row: r, coefficient: j)) }
            }
        }
    }

    /// The exact 128-bit sum held for `(row, coefficient)` in a tile's accumulators.
    @inline(__always)
    func sum(_ a: UnsafeMutablePointer<UInt64>, row: Int, coefficient j: Int) -> UInt128 {
        if let w = split {
            // Layout: per pair of coefficients and row, three 2-lane vectors (L, S, H). The
            // middle sum S - L - H is exact in 64 bits (it is below S < 2^64).
            let base = ((j >> 1) * rows + row) * 6 + (j & 1)
            let (low, middle, high) = (a[base], a[base + 2] &- a[base] &- a[base + 4], a[base + 4])
            return UInt128(low) &+ UInt128(middle) << w &+ UInt128(high) << (2 * w)
        }
        let base = (j * rows + row) * 2
        return UInt128(a[base + 1]) << 64 | UInt128(a[base])
    }

    /// Replaces every accumulated sum by its residue (in the low word), keeping the value mod p.
    func reduce(_ a: UnsafeMutablePointer<UInt64>, tile: Int) {
        for j in 0..<tile {
            for r in 0..<rows {
                let value = modulus.reduce(sum(a, row: r, coefficient: j))
                if split != nil {
                    let base = ((j >> 1) * rows + r) * 6 + (j & 1)
                    (a[base], a[base + 2], a[base + 4]) = (value, value, 0)
                } else {
                    let base = (j * rows + r) * 2
                    (a[base], a[base + 1]) = (value, 0)
                }
            }
        }
    }
}

/// Calls `body` with base pointers for every row of polynomials (valid only inside `body`).
@usableFromInline
func withPointerRows<R>(_ rows: [[RNSPoly]], _ body: ([[UnsafePointer<UInt64>]]) -> R) -> R {
    var collected: [[UnsafePointer<UInt64>]] = []
    func recurse(_ index: Int) -> R {
        if index == rows.count { return body(collected) }
        return withPointers(rows[index][...]) { p in
            collected.append(p)
            return recurse(index + 1)
        }
    }
    return recurse(0)
}

extension Modulus {
    /// Full 64x64->128 products that may be added to a reduced sum (below `p`) before the
    /// 128-bit sum could overflow: the largest `T` with `p + T (p - 1)^2 < 2^128` (capped at
    /// `2^40`, at least 1).
    var wideSumBudget: Int {
        let largest = UInt128(value - 1)
        return max(1, Int(min(UInt128(1 << 40), UInt128.max / max(largest * largest, 1))) - 1)
    }
}
