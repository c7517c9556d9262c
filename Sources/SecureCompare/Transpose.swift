/// Bit-matrix transposition for OT extension: 128 columns of `m` bits <-> `m` rows of 128 bits.
enum Transpose {
    /// Transposes a 64x64 bit matrix in place (`a[i]` is row `i`, bit `j` is column `j`) by
    /// swapping ever smaller blocks (six passes).
    @inline(__always)
    static func transpose64(_ a: UnsafeMutablePointer<UInt64>) {
        var width = 32
        var mask: UInt64 = 0x0000_0000_FFFF_FFFF
        while width != 0 {
            var k = 0
            while k < 64 {
                for i in k..<(k + width) {
                    // Swap the high `width` bits of row i with the low bits of row i + width.
                    let t = ((a[i] >> UInt64(width)) ^ a[i + width]) & mask
                    a[i] ^= t << UInt64(width)
                    a[i + width] ^= t
                }
                k += 2 * width
            }
            width >>= 1
            mask ^= mask << UInt64(width)
        }
    }

    /// `columns` holds 128 columns of `m = 64 * words` bits, column `c` at words
    /// `c*words ..< (c+1)*words` (column-major, flat); returns `m` rows of 128 bits: bit `c` of
    /// row `r` is bit `r` of column `c`; with `firstColumn`, the 128 columns starting there.
    /// Word blocks are transposed in parallel.
    static func columnsToRows(_ columns: [UInt64], words: Int, firstColumn: Int = 0) -> [Block] {
        precondition(columns.count >= (firstColumn + 128) * words)
        // Every row is written below (both halves): no zero fill.
        var rows = [Block](unsafeUninitializedCapacity: 64 * words) { _, n in n = 64 * words }
        columns.withUnsafeBufferPointer { colBuffer in
            rows.withUnsafeMutableBufferPointer { out in
                let cols = colBuffer.baseAddress! + firstColumn * words
                let target = SharedPointer(out.baseAddress!)
                let source = SharedPointer(UnsafeMutablePointer(mutating: cols))
                parallelRanges(words, minimumPerTask: 64) { range in
                    var tile = [UInt64](repeating: 0, count: 64)
                    tile.withUnsafeMutableBufferPointer { t in
                        for w in range {
                            for half in 0..<2 {
                                // Tile row i = column (64*half + i), word w (bits 64w ..< 64w+64).
                                for i in 0..<64 { t[i] = source.pointer[(64 * half + i) * words + w] }
                                transpose64(t.baseAddress!)
                                for r in 0..<64 {
                                    if half == 0 { target.pointer[64 * w + r].low = t[r] } else { target.pointer[64 * w + r].high = t[r] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return rows
    }
}
