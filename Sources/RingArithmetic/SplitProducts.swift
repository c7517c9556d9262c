/// Column kernels of `RNSPoly.dotProducts` that split each residue into two halves of `w` bits,
/// `x = xl + xh * 2^w`, and accumulate, Karatsuba style, `L = xl*yl`, `S = (xl+xh)*(yl+yh)` and
/// `H = xh*yh` in three 64-bit sums; the product is `L + (S - L - H) * 2^w + H * 2^(2w)`.
///
/// Every partial product is a 32x32->64 multiplication, which the baseline x86-64 and arm64
/// vector units compute two lanes at a time (`pmuludq`, `umull`), where the full 64x64->128
/// product needs the scalar multiplier. Valid for residues below `2^(2w)`; each term adds less
/// than `2^(2w+2)` to `S`, so `2^(62 - 2w) - 1` terms fit after a reduction.
///
/// Accumulator layout: for each pair of coefficients and each row, three 2-lane vectors
/// (`L`, `S`, `H`), i.e. six words.
enum SplitProducts {
    /// The split width for residues of `bits` bits, or nil when too few terms would fit
    /// between reductions (primes above 58 bits use full-width products).
    static func width(forBits bits: Int) -> Int? {
        bits <= 52 ? 26 : bits <= 58 ? 29 : nil
    }

    typealias Vector = SIMD2<UInt64>

    /// `sums(r) += x_r[k][j] * y[k][j]` over `terms` terms for the `tile` coefficients `j` from
    /// `base`, for row 0 and, when `twoRows`, row 1 (both rows share each load of `y`).
    @inline(__always)
    static func columns(
        _ a: UnsafeMutablePointer<UInt64>, _ x0: UnsafePointer<UnsafePointer<UInt64>>,
        _ x1: UnsafePointer<UnsafePointer<UInt64>>, _ y: UnsafePointer<UnsafePointer<UInt64>>,
        _ terms: Int, _ base: Int, _ tile: Int, width w: UInt64, twoRows: Bool
    ) {
        let mask = Vector(repeating: (1 << w) - 1)
        let low32 = Vector(repeating: 0xFFFF_FFFF)
        let shift = Vector(repeating: w)
        let acc = UnsafeMutableRawPointer(a)
        let stride = twoRows ? 96 : 48
        for v in 0..<(tile >> 1) {
            let j = base + 2 * v
            let slot = acc + stride * v
            var l0 = slot.loadUnaligned(as: Vector.self), m0 = slot.loadUnaligned(fromByteOffset: 16, as: Vector.self)
            var h0 = slot.loadUnaligned(fromByteOffset: 32, as: Vector.self)
            var l1 = Vector(), m1 = Vector(), h1 = Vector()
            if twoRows {
                l1 = slot.loadUnaligned(fromByteOffset: 48, as: Vector.self)
                m1 = slot.loadUnaligned(fromByteOffset: 64, as: Vector.self)
                h1 = slot.loadUnaligned(fromByteOffset: 80, as: Vector.self)
            }
            for k in 0..<terms {
                // Halves below 2^w <= 2^32 and their sums below 2^32: every product is 32x32.
                let yv = UnsafeRawPointer(y[k] + j).loadUnaligned(as: Vector.self)
                let yl = yv & mask, yh = (yv &>> shift) & low32, ys = (yl &+ yh) & low32
                let p = UnsafeRawPointer(x0[k] + j).loadUnaligned(as: Vector.self)
                let pl = p & mask, ph = (p &>> shift) & low32
                l0 &+= pl &* yl
                m0 &+= ((pl &+ ph) & low32) &* ys
                h0 &+= ph &* yh
                if twoRows {
                    let q = UnsafeRawPointer(x1[k] + j).loadUnaligned(as: Vector.self)
                    let ql = q & mask, qh = (q &>> shift) & low32
                    l1 &+= ql &* yl
                    m1 &+= ((ql &+ qh) & low32) &* ys
                    h1 &+= qh &* yh
                }
            }
            slot.storeBytes(of: l0, as: Vector.self); slot.storeBytes(of: m0, toByteOffset: 16, as: Vector.self)
            slot.storeBytes(of: h0, toByteOffset: 32, as: Vector.self)
            if twoRows {
                slot.storeBytes(of: l1, toByteOffset: 48, as: Vector.self); slot.storeBytes(of: m1, toByteOffset: 64, as: Vector.self)
                slot.storeBytes(of: h1, toByteOffset: 80, as: Vector.self)
            }
        }
    }

    // The widths as constants, so the shifts compile to immediate vector shifts.
    @inline(never)
    static func twoRows26(_ a: UnsafeMutablePointer<UInt64>, _ x0: UnsafePointer<UnsafePointer<UInt64>>, _ x1: UnsafePointer<UnsafePointer<UInt64>>,
                          _ y: UnsafePointer<UnsafePointer<UInt64>>, _ terms: Int, _ base: Int, _ tile: Int) {
        columns(a, x0, x1, y, terms, base, tile, width: 26, twoRows: true)
    }

    @inline(never)
    static func twoRows29(_ a: UnsafeMutablePointer<UInt64>, _ x0: UnsafePointer<UnsafePointer<UInt64>>, _ x1: UnsafePointer<UnsafePointer<UInt64>>,
                          _ y: UnsafePointer<UnsafePointer<UInt64>>, _ terms: Int, _ base: Int, _ tile: Int) {
        columns(a, x0, x1, y, terms, base, tile, width: 29, twoRows: true)
    }

    /// `out_r[j] = (L + (S - L - H) 2^w + H 2^(2w)) mod p` for every row `r < rows` (one or
    /// two; `out1` is ignored for one) and coefficient `j < tile`: the tile's reduced sums.
    @inline(__always)
    static func finish(_ a: UnsafeMutablePointer<UInt64>, rows: Int, tile: Int, modulus: Modulus, width w: UInt64,
                       _ out0: UnsafeMutablePointer<UInt64>, _ out1: UnsafeMutablePointer<UInt64>) {
        // Per pair of coefficients and row, three 2-lane vectors (L, S, H): six words.
        var slot = a
        var (o0, o1) = (out0, out1)
        for _ in 0..<(tile >> 1) {
            for r in 0..<rows {
                let o = r == 0 ? o0 : o1
                for lane in 0..<2 {
                    // The middle sum S - L - H is exact in 64 bits (it is below S < 2^64).
                    let (low, high) = (slot[lane], slot[4 &+ lane])
                    let middle = slot[2 &+ lane] &- low &- high
                    o[lane] = modulus.reduce(UInt128(low) &+ UInt128(middle) &<< w &+ UInt128(high) &<< (2 &* w))
                }
                slot += 6
            }
            o0 += 2
            o1 += 2
        }
    }

    @inline(never)
    static func finish26(_ a: UnsafeMutablePointer<UInt64>, rows: Int, tile: Int, modulus: Modulus,
                         _ out0: UnsafeMutablePointer<UInt64>, _ out1: UnsafeMutablePointer<UInt64>) {
        finish(a, rows: rows, tile: tile, modulus: modulus, width: 26, out0, out1)
    }

    @inline(never)
    static func finish29(_ a: UnsafeMutablePointer<UInt64>, rows: Int, tile: Int, modulus: Modulus,
                         _ out0: UnsafeMutablePointer<UInt64>, _ out1: UnsafeMutablePointer<UInt64>) {
        finish(a, rows: rows, tile: tile, modulus: modulus, width: 29, out0, out1)
    }

    @inline(never)
    static func oneRow26(_ a: UnsafeMutablePointer<UInt64>, _ x: UnsafePointer<UnsafePointer<UInt64>>,
                         _ y: UnsafePointer<UnsafePointer<UInt64>>, _ terms: Int, _ base: Int, _ tile: Int) {
        columns(a, x, x, y, terms, base, tile, width: 26, twoRows: false)
    }

    @inline(never)
    static func oneRow29(_ a: UnsafeMutablePointer<UInt64>, _ x: UnsafePointer<UnsafePointer<UInt64>>,
                         _ y: UnsafePointer<UnsafePointer<UInt64>>, _ terms: Int, _ base: Int, _ tile: Int) {
        columns(a, x, x, y, terms, base, tile, width: 29, twoRows: false)
    }
}

/// Column kernels of `RNSPoly.dotProducts` with one 64x64->128 product per term, for primes
/// above 58 bits. Accumulator layout: per coefficient and row, one 128-bit sum (low, high word).
enum WideProducts {
    /// Two rows sharing `y`, one coefficient per pass: the two 128-bit sums, the operands and the
    /// loop state fit the general registers of x86-64 (two coefficients per pass spilled sums to
    /// the stack, their carries chained through memory: 5-15% slower in `bfv.mulacc.large`).
    @inline(never)
    static func twoRows(
        _ a: UnsafeMutablePointer<UInt64>, _ x0: UnsafePointer<UnsafePointer<UInt64>>,
        _ x1: UnsafePointer<UnsafePointer<UInt64>>, _ y: UnsafePointer<UnsafePointer<UInt64>>,
        _ terms: Int, _ base: Int, _ tile: Int
    ) {
        for c in 0..<tile {
            let j = base &+ c
            let slot = a + 4 &* c  // (c, row 0), (c, row 1)
            var s0 = UInt128(slot[1]) << 64 | UInt128(slot[0]), s1 = UInt128(slot[3]) << 64 | UInt128(slot[2])
            for k in 0..<terms {
                let yk = UInt128(y[k][j])
                s0 &+= UInt128(x0[k][j]) &* yk
                s1 &+= UInt128(x1[k][j]) &* yk
            }
            (slot[0], slot[1]) = (UInt64(truncatingIfNeeded: s0), UInt64(truncatingIfNeeded: s0 >> 64))
            (slot[2], slot[3]) = (UInt64(truncatingIfNeeded: s1), UInt64(truncatingIfNeeded: s1 >> 64))
        }
    }

    /// One row, two coefficients per pass.
    @inline(never)
    static func oneRow(
        _ a: UnsafeMutablePointer<UInt64>, _ x: UnsafePointer<UnsafePointer<UInt64>>,
        _ y: UnsafePointer<UnsafePointer<UInt64>>, _ terms: Int, _ base: Int, _ tile: Int
    ) {
        var c = 0
        while c < tile {
            let j = base + c
            let slot = a + 2 * c
            var s0 = UInt128(slot[1]) << 64 | UInt128(slot[0]), s1 = UInt128(slot[3]) << 64 | UInt128(slot[2])
            for k in 0..<terms {
                let p = y[k], u = x[k]
                s0 &+= UInt128(u[j]) &* UInt128(p[j])
                s1 &+= UInt128(u[j + 1]) &* UInt128(p[j + 1])
            }
            (slot[0], slot[1]) = (UInt64(truncatingIfNeeded: s0), UInt64(truncatingIfNeeded: s0 >> 64))
            (slot[2], slot[3]) = (UInt64(truncatingIfNeeded: s1), UInt64(truncatingIfNeeded: s1 >> 64))
            c += 2
        }
    }
}
