/// The public local linear code of Ferret's primal-LPN expansion (Yang, Weng, Lan, Zhang, Wang,
/// CCS 2020): a `k x n` matrix over GF(2) with `d = 10` entries per column; output `i` XORs the
/// rows `indices(i)` of a `k`-vector.
///
/// The code is public, so its indices come from a fast non-secret generator: the SplitMix64
/// finalizer (Steele, Lea, Flood, OOPSLA 2014) of `seed + i * 0x9E3779B97F4A7C15` seeds a 64-bit
/// linear congruential generator (Knuth's MMIX constants), and each of its next `d` states
/// gives one index `(hi32 * k) >> 32` from its high 32 bits (bias below `k / 2^32`, immaterial
/// for a public code). Few operations per index keep the `d` loads of an output in flight
/// together: the expansion is bound by random reads of the `k`-vector (9.4 MB for the main
/// set). Indices of one output are drawn independently, as in the reference: a repeated index
/// (probability about `45 / k` per output) cancels in the XOR.
/// Both parties derive the same code from the same seed; nothing is sent.
public struct LPNCode: Sendable, Equatable {
    /// Entries per output.
    public static let d = 10
    /// The length of the secret vector (rows).
    public let k: Int
    /// The public seed.
    public let seed: UInt64

    /// The code of `k` rows (`1 <= k <= 2^31`) from `seed`.
    public init(k: Int, seed: UInt64) {
        precondition(k >= 1 && k <= 1 << 31)
        self.k = k
        self.seed = seed
    }

    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Calls `body(index)` for the `d` indices of output `i`.
    ///
    /// The generator's `j`-th state is computed straight from the seed state `x` as
    /// `a^j x + c (a^(j-1) + ... + 1) mod 2^64` (jump-ahead constants below, `a` and `c` the
    /// MMIX multiplier and increment), so the `d` indices are independent computations the CPU
    /// overlaps, instead of a chain of `d` dependent multiplications; the indices are the same.
    @inline(__always)
    func forEachIndex(_ i: Int, _ body: (Int) -> Void) {
        let k64 = UInt64(k)
        let x = LPNCode.mix(seed &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15)
        @inline(__always) func index(_ a: UInt64, _ c: UInt64) -> Int { Int((((x &* a &+ c) >> 32) &* k64) >> 32) }
        body(index(0x5851_F42D_4C95_7F2D, 0x1405_7B7E_F767_814F))
        body(index(0x685F_98A2_018F_ADE9, 0x1A08_EE11_84BA_6D32))
        body(index(0x0B04_6976_F225_28F5, 0x9AF6_7822_2E72_8119))
        body(index(0xFB4D_3AE3_9272_BE11, 0x66B6_1AE9_7F20_99B4))
        body(index(0x696D_29DA_565A_D7FD, 0x6235_4CDA_6226_D1F3))
        body(index(0xF08D_02B0_115F_7A79, 0x8F94_7F36_D0D0_F606))
        body(index(0x798E_21C4_9FF7_8E45, 0x1440_9370_4FAD_BA5D))
        body(index(0xB59D_DA5F_3841_3D21, 0x5B21_778E_3C86_66A8))
        body(index(0x5B5F_EE90_A100_1DCD, 0x7B98_5BC1_E7BC_E4D7))
        body(index(0xC07A_0E3E_901E_F009, 0x7252_E937_6E45_641A))
    }

    /// The `d` row indices of output `i`.
    public func indices(_ i: Int) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(LPNCode.d)
        forEachIndex(i) { out.append($0) }
        return out
    }

    /// `output[i] ^= XOR_{j in indices(first + i)} secret[j]` for every `i` (the sender's
    /// `v_u A` added to its MPCOT outputs), in parallel.
    func encode(_ secret: UnsafePointer<Block>, into output: UnsafeMutablePointer<Block>, count: Int, first: Int = 0) {
        let s = SharedPointer(UnsafeMutablePointer(mutating: secret)), out = SharedPointer(output)
        parallelRanges(count, minimumPerTask: 4096) { range in
            for i in range {
                var acc = out.pointer[i]
                forEachIndex(first + i) { acc = acc ^ s.pointer[$0] }
                out.pointer[i] = acc
            }
        }
    }

    /// The receiver's encoding: blocks as in `encode`, and bit `i` of `bits` (packed words,
    /// `count` bits, `count` a multiple of 64) XORed with the parity of `secretBits` at the
    /// same indices (`u A + e`).
    func encode(_ secret: UnsafePointer<Block>, bits secretBits: UnsafePointer<UInt64>, into output: UnsafeMutablePointer<Block>,
                bits outBits: UnsafeMutablePointer<UInt64>, count: Int) {
        precondition(count % 64 == 0)
        let s = SharedPointer(UnsafeMutablePointer(mutating: secret)), out = SharedPointer(output)
        let sb = SharedPointer(UnsafeMutablePointer(mutating: secretBits)), ob = SharedPointer(outBits)
        // Ranges of whole words, so each task writes only its own words.
        parallelRanges(count / 64, minimumPerTask: 64) { words in
            for w in words {
                var word: UInt64 = 0
                for b in 0..<64 {
                    let i = 64 * w + b
                    var acc = out.pointer[i], parity: UInt64 = 0
                    forEachIndex(i) { j in
                        acc = acc ^ s.pointer[j]
                        parity ^= sb.pointer[j >> 6] >> UInt64(j & 63)
                    }
                    out.pointer[i] = acc
                    word |= (parity & 1) << UInt64(b)
                }
                ob.pointer[w] ^= word
            }
        }
    }
}
