/// The millionaires' comparison on the silent supply: leaves chained from the lowest block up,
/// each leaf's 1-out-of-N OT taking the running comparison share as one more choice bit, so no
/// AND gate (and no Beaver triple) is needed.
///
/// `x` (server) and `y` (client) split into blocks, lowest first, of `chainWidths(l)` bits.
/// With `g_j = [x_{<=j} > y_{<=j}]` (blocks `0 ... j`), `g_j = [x_j > y_j] ^ [x_j = y_j] g_{j-1}`
/// (the two terms are exclusive, so XOR is OR). The parties hold XOR shares `s_j` (server) and
/// `c_j` (client) of `g_j`. Block 0: the server draws `s_0` and offers, for every `v`,
/// `[x_0 > v] ^ s_0`; the client fetches entry `y_0` (1-out-of-2^w OT of bits) as `c_0`.
/// Block `j > 0`: the server draws `s_j` and offers, for every `v` and `c` in {0, 1}, entry
/// `v + 2^w c` = `[x_j > v] ^ [x_j = v] (c ^ s_{j-1}) ^ s_j`; the client fetches entry
/// `y_j + 2^w c_{j-1}`, which is `g_j ^ s_j`. Every entry the client receives is masked by a
/// fresh uniform `s_j`, and the server sees only the OTs' derandomization bits (uniform).
///
/// Blocks: the lowest of up to 4 bits (a 16-bit table), the others of up to 3 bits (3 + 1
/// choice bits, 16-bit tables). Cost per compared pair for `l = 10` (4, 3, 3): 12 COTs (24
/// sender and 12 receiver hashes, see `COTDerivations`), 12 derandomization bits and 48 table
/// bits; one round trip per block, three in all.
extension Engine {
    /// Block widths, lowest first: `min(4, l)`, then 3-bit blocks (the last one the rest).
    static func chainWidths(_ l: Int) -> [Int] {
        var widths = [min(4, l)]
        var rest = l - widths[0]
        while rest > 0 {
            widths.append(min(3, rest))
            rest -= widths[widths.count - 1]
        }
        return widths
    }

    /// Shares of `[x > y]` (see above); `values` are the server's `x` or the client's `y`.
    func chainedGreaterThan(_ values: [UInt64], bits l: Int) throws(SecureCompareError) -> BitVector {
        let n = values.count
        var share = BitVector(count: n)
        var offset = 0
        for (j, w) in Engine.chainWidths(l).enumerated() {
            let carry = j > 0
            let size = 1 << w
            let widths = [Int](repeating: w + (carry ? 1 : 0), count: n)
            let blockMask = UInt64(size - 1)
            if party == .server {
                // gtRow[x] has bit v set iff x > v, eqRow[x] bit x only.
                let gtRow = (0..<size).map { x in (0..<size).reduce(UInt64(0)) { $0 | (x > $1 ? 1 << UInt64($1) : 0) } }
                let span = carry ? 2 * size : size
                let spanMask: UInt64 = span == 64 ? .max : (1 << UInt64(span)) - 1
                let next = BitVector.random(count: n, rng: &rng)
                let previous = share.words, fresh = next.words
                try cotOneOfNSend(widths: widths, entryBits: { _ in 1 }) { i in
                    let x = Int((values[i] >> UInt64(offset)) & blockMask)
                    let s = previous[i >> 6] >> UInt64(i & 63) & 1, mask = 0 &- (fresh[i >> 6] >> UInt64(i & 63) & 1)
                    guard carry else { return (gtRow[x] ^ mask) & spanMask }
                    // Entries c = 0 (low half) and c = 1 (high half); [x = v] joins where c ^ s = 1.
                    let eq = UInt64(1) << UInt64(x + (s == 0 ? size : 0))
                    return ((gtRow[x] | gtRow[x] << UInt64(size)) ^ eq ^ mask) & spanMask
                }
                share = next
            } else {
                let choices = (0..<n).map { i -> UInt64 in
                    let y = (values[i] >> UInt64(offset)) & blockMask
                    return carry ? y | (share[i] ? UInt64(size) : 0) : y
                }
                let entries = try cotOneOfNReceive(choices: choices, widths: widths, entryBits: { _ in 1 })
                var words = [UInt64](repeating: 0, count: (n + 63) / 64)
                for (i, e) in entries.enumerated() { words[i >> 6] |= (e & 1) << UInt64(i & 63) }
                share = BitVector(count: n, words: words)
            }
            offset += w
        }
        return share
    }
}
