extension RNSPoly {
    /// Lazy multiply-accumulate with a shared right operand, in evaluation form:
    /// `out[r] = sum_k left[r][k] * right[k]` for every row `r` (for example the two polynomials
    /// of a ciphertext times many plaintexts).
    ///
    /// Works in tiles of 256 coefficients whose 128-bit accumulators stay in L1 cache; products
    /// are reduced only every `floor((2^128-1)/(p-1)^2) - 1` terms and once at the end. Cost per
    /// term and coefficient: one load of `right`, and per row one load, one 64x64->128
    /// multiplication and one 128-bit addition.
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
        let terms = right.count
        var out = [RNSPoly](repeating: RNSPoly(zeroIn: context, form: .evaluation), count: rows)
        let tile = min(256, n)
        var acc = [UInt128](repeating: 0, count: rows * tile)
        var outData = out.map(\.data)
        withPointers(right[...]) { rp in
            withPointerRows(left) { lp in
                acc.withUnsafeMutableBufferPointer { accBuf in
                    let a = accBuf.baseAddress!
                    for (limb, modulus) in context.moduli.enumerated() {
                        let largest = UInt128(modulus.value - 1)
                        let budget = Int(min(UInt128(1 << 40), UInt128.max / max(largest * largest, 1))) - 1
                        var start = 0
                        while start < n {
                            for i in 0..<(rows * tile) { a[i] = 0 }
                            var sinceFold = 0
                            var k = 0
                            while k < terms {
                                if sinceFold + 2 > budget {
                                    for i in 0..<(rows * tile) { a[i] = UInt128(modulus.reduce(a[i])) }
                                    sinceFold = 1
                                }
                                let y = rp[k] + limb * n + start
                                if rows == 2 && k + 1 < terms {
                                    // Two terms per pass: products summed in registers, one
                                    // accumulator update per coefficient and row.
                                    let off = limb * n + start
                                    twoRowTwoTermKernel(a, a + tile, lp[0][k] + off, lp[1][k] + off, y,
                                                        lp[0][k + 1] + off, lp[1][k + 1] + off, rp[k + 1] + off, tile)
                                    sinceFold += 2
                                    k += 2
                                    continue
                                }
                                if rows == 2 {
                                    // Both ciphertext polynomials against one plaintext load.
                                    twoRowKernel(a, a + tile, lp[0][k] + limb * n + start, lp[1][k] + limb * n + start, y, tile)
                                } else {
                                    for r in 0..<rows {
                                        let x = lp[r][k] + limb * n + start
                                        let ar = a + r * tile
                                        for j in 0..<tile { ar[j] &+= UInt128(x[j]) &* UInt128(y[j]) }
                                    }
                                }
                                sinceFold += 1
                                k += 1
                            }
                            for r in 0..<rows {
                                outData[r].withUnsafeMutableBufferPointer { o in
                                    for j in 0..<tile { o[limb * n + start + j] = modulus.reduce(a[r * tile + j]) }
                                }
                            }
                            start += tile
                        }
                    }
                }
            }
        }
        for r in 0..<rows { out[r].data = outData[r] }
        return out
    }
}

/// `a0[j] += x0[j]*y[j]`, `a1[j] += x1[j]*y[j]` for `j < count`, without reduction.
@inline(never)
func twoRowKernel(
    _ a0: UnsafeMutablePointer<UInt128>, _ a1: UnsafeMutablePointer<UInt128>,
    _ x0: UnsafePointer<UInt64>, _ x1: UnsafePointer<UInt64>, _ y: UnsafePointer<UInt64>, _ count: Int
) {
    for j in 0..<count {
        let yj = y[j]
        let p0 = x0[j].multipliedFullWidth(by: yj)
        let p1 = x1[j].multipliedFullWidth(by: yj)
        a0[j] &+= UInt128(p0.high) << 64 | UInt128(p0.low)
        a1[j] &+= UInt128(p1.high) << 64 | UInt128(p1.low)
    }
}

/// `a0[j] += x0[j]*y[j] + u0[j]*v[j]`, `a1[j] += x1[j]*y[j] + u1[j]*v[j]` (two terms, two rows).
@inline(never)
func twoRowTwoTermKernel(
    _ a0: UnsafeMutablePointer<UInt128>, _ a1: UnsafeMutablePointer<UInt128>,
    _ x0: UnsafePointer<UInt64>, _ x1: UnsafePointer<UInt64>, _ y: UnsafePointer<UInt64>,
    _ u0: UnsafePointer<UInt64>, _ u1: UnsafePointer<UInt64>, _ v: UnsafePointer<UInt64>, _ count: Int
) {
    for j in 0..<count {
        let yj = y[j], vj = v[j]
        let p0 = x0[j].multipliedFullWidth(by: yj), q0 = u0[j].multipliedFullWidth(by: vj)
        let p1 = x1[j].multipliedFullWidth(by: yj), q1 = u1[j].multipliedFullWidth(by: vj)
        a0[j] &+= (UInt128(p0.high) << 64 | UInt128(p0.low)) &+ (UInt128(q0.high) << 64 | UInt128(q0.low))
        a1[j] &+= (UInt128(p1.high) << 64 | UInt128(p1.low)) &+ (UInt128(q1.high) << 64 | UInt128(q1.low))
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
