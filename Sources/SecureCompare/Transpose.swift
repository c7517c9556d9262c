/// Bit-matrix transposition for OT extension: 128 columns of `m` bits <-> `m` rows of 128 bits.
enum Transpose {
    /// Transposes a 128x128 bit matrix in place: `a[i]` is row `i`, bit `j` of the row is bit
    /// `j` of lane 0 for `j < 64` and bit `j - 64` of lane 1 otherwise. The first pass swaps the
    /// off-diagonal 64x64 quadrants (lane exchange); the other six swap ever smaller blocks inside
    /// both lanes at once, two 64-bit rows per SSE2 operation.
    @inline(__always)
    static func transpose128(_ a: UnsafeMutablePointer<SIMD2<UInt64>>) {
        for i in 0..<64 {
            let x = a[i], y = a[i + 64]
            a[i] = SIMD2(x[0], y[0])
            a[i + 64] = SIMD2(x[1], y[1])
        }
        // Literal widths: constant shift counts keep the vector shifts (a runtime count is
        // scalarized).
        swapPass(a, 32, 0x0000_0000_FFFF_FFFF)
        swapPass(a, 16, 0x0000_FFFF_0000_FFFF)
        swapPass(a, 8, 0x00FF_00FF_00FF_00FF)
        swapPass(a, 4, 0x0F0F_0F0F_0F0F_0F0F)
        swapPass(a, 2, 0x3333_3333_3333_3333)
        swapPass(a, 1, 0x5555_5555_5555_5555)
    }

    /// One pass of `transpose128`: in every block of `2 * width` rows, the high `width` bits of
    /// each `2 * width`-bit group of row `i` trade places with the low bits of row `i + width`.
    @inline(__always)
    static func swapPass(_ a: UnsafeMutablePointer<SIMD2<UInt64>>, _ width: Int, _ mask: UInt64) {
        let m = SIMD2<UInt64>(repeating: mask), shift = SIMD2<UInt64>(repeating: UInt64(width))
        var k = 0
        while k < 128 {
            for i in k..<(k + width) {
                let t = ((a[i] &>> shift) ^ a[i + width]) & m
                a[i] ^= t &<< shift
                a[i + width] ^= t
            }
            k += 2 * width
        }
    }

    /// The rows of words `range` of 128 columns `stride` words apart: row `64 * (w -
    /// range.lowerBound) + r` of `rows` is row `64 * w + r` of the whole matrix. Pairs of words
    /// are transposed as 128x128 tiles, in parallel.
    static func columnsToRows(_ columns: UnsafePointer<UInt64>, stride: Int, words range: Range<Int>, into rows: UnsafeMutablePointer<Block>) {
        let target = SharedPointer(rows)
        let source = SharedPointer(UnsafeMutablePointer(mutating: columns))
        let words = range.count, first = range.lowerBound
        parallelRanges((words + 1) / 2, minimumPerTask: 32) { pairs in
            var tile = [SIMD2<UInt64>](repeating: .zero, count: 128)
            tile.withUnsafeMutableBufferPointer { t in
                for pair in pairs {
                    // Tile row c = column c, words w and w + 1 (bits 64w ..< 64w + 128); an odd
                    // last word pairs with zeros and keeps only the first 64 rows.
                    let w = 2 * pair
                    let full = w + 1 < words
                    for c in 0..<128 {
                        let column = source.pointer + c * stride + first + w
                        t[c] = SIMD2(column[0], full ? column[1] : 0)
                    }
                    transpose128(t.baseAddress!)
                    for r in 0..<(full ? 128 : 64) { target.pointer[64 * w + r] = Block(low: t[r][0], high: t[r][1]) }
                }
            }
        }
    }
}
