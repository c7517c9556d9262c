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
    @inline(__always)
    func forEachIndex(_ i: Int, _ body: (Int) -> Void) {
        let k64 = UInt64(k)
        var x = LPNCode.mix(seed &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15)
        for _ in 0..<LPNCode.d {
            x = x &* 0x5851_F42D_4C95_7F2D &+ 0x1405_7B7E_F767_814F
            body(Int(((x >> 32) &* k64) >> 32))
        }
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
