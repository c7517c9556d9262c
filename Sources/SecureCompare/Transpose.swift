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

    /// `columns[c]` holds `m` bits (`words` 64-bit words per column, `m = 64 * words`);
    /// returns `m` rows of 128 bits: bit `c` of row `r` is bit `r` of column `c`.
    static func columnsToRows(_ columns: [[UInt64]], words: Int) -> [Block] {
        precondition(columns.count == 128)
        var rows = [Block](repeating: .zero, count: 64 * words)
        var tile = [UInt64](repeating: 0, count: 64)
        tile.withUnsafeMutableBufferPointer { t in
            rows.withUnsafeMutableBufferPointer { out in
                for w in 0..<words {
                    for half in 0..<2 {
                        // Tile row i = column (64*half + i), word w (bits r = 64w ..< 64w+64).
                        for i in 0..<64 { t[i] = columns[64 * half + i][w] }
                        transpose64(t.baseAddress!)
                        for r in 0..<64 {
                            if half == 0 { out[64 * w + r].low = t[r] } else { out[64 * w + r].high = t[r] }
                        }
                    }
                }
            }
        }
        return rows
    }
}
