import RingArithmetic

/// Kolesnikov-Kumaresan (KK13) 1-out-of-16 OT extension for the millionaires' leaves.
///
/// Like IKNP with 256 columns, but the receiver's row `e` is the codeword `C(c_e)` of its choice
/// instead of a repeated bit: `C(v)` is the 16-bit Walsh-Hadamard codeword of `v` (bit `x` is the
/// parity of `v & x`) repeated 16 times, so two codewords differ in 128 of 256 positions. The
/// sender's row is `q_e = t_e ^ (C(c_e) & s)`; its pad for entry `v` is `H(tweak_e, q_e ^ (C(v) & s))`,
/// which the receiver can compute only for `v = c_e` (any other `v` hides 128 unknown bits of
/// `s`). Cost per instance: 32 bytes from receiver to sender (streamed, plus a 5-byte frame
/// header per 2^15 instances; see `StreamedExtension`), `2^w` sender hashes, one receiver hash;
/// no per-bit random OTs. Setup: 256 base OTs (run together with IKNP's 128).
enum KK13 {
    static let columns = 256

    /// The 16 distinct code columns: column `x` (0 ..< 16) of `C(v)` is `parity(v & x)`; column
    /// `i` of the 256-bit code equals column `i % 16`.
    static func codeBit(_ v: Int, _ i: Int) -> Bool { (v & (i & 15)).nonzeroBitCount & 1 == 1 }

    /// `C(v) & s` as two 128-bit halves.
    static func maskedCodeword(_ v: Int, _ s: (Block, Block)) -> (Block, Block) {
        var lo = Block.zero, hi = Block.zero
        for i in 0..<128 where codeBit(v, i) {
            if i < 64 { lo.low |= 1 << UInt64(i) } else { lo.high |= 1 << UInt64(i - 64) }
        }
        hi = lo  // the code repeats every 16 bits, so both halves are equal
        return (lo & s.0, hi & s.1)
    }

    static func tweak(_ instance: UInt64) -> UInt64 { (1 << 62) | instance }

    /// The receiver's hash inputs: `(tweak(first + k), t_k)` with `t_k = (low[k], high[k])`.
    struct ReceiverRows: OTHash.Items, @unchecked Sendable {
        static var wide: Bool { true }
        let low: UnsafePointer<Block>, high: UnsafePointer<Block>, first: UInt64
        func item(_ k: Int) -> (tweak: UInt64, x0: Block, x1: Block) { (tweak(first &+ UInt64(k)), low[k], high[k]) }
    }

    /// The sender's hash inputs: entry `v` of instance `k` is `(tweak(first + k),
    /// q_k ^ (C(v) & s))` with `q_k = (low[k], high[k])` and `masks[v] = C(v) & s`.
    struct SenderEntries: OTHash.InstanceItems, @unchecked Sendable {
        static var wide: Bool { true }
        let widths: UnsafePointer<Int>, low: UnsafePointer<Block>, high: UnsafePointer<Block>
        let masks: UnsafePointer<(Block, Block)>, first: UInt64
        func width(_ k: Int) -> Int { widths[k] }
        func item(_ k: Int, _ v: Int) -> (tweak: UInt64, x0: Block, x1: Block) {
            (tweak(first &+ UInt64(k)), low[k] ^ masks[v].0, high[k] ^ masks[v].1)
        }
    }
}

/// The KK13 sender: holds `s` (256 bits) and one PRG per column keyed by `k_i^{s_i}`.
final class KKSender {
    let s: (Block, Block)
    var columns: [ChaChaDRBG] = []
    var count: UInt64 = 0

    init(rng: inout ChaChaDRBG) { s = (Block.random(&rng), Block.random(&rng)) }

    /// The base-OT choice bits (bits of `s`).
    var choices: [Bool] { (0..<256).map { $0 < 128 ? s.0.bit($0) : s.1.bit($0 - 128) } }
}

/// The KK13 receiver: one pair of PRGs per column.
final class KKReceiver {
    var columns0: [ChaChaDRBG] = []
    var columns1: [ChaChaDRBG] = []
    var count: UInt64 = 0
}

extension Engine {
    /// Server side of `E` KK13 instances: instance `e` offers `2^widths[e]` entries
    /// (`widths[e] <= 4`) of `entryBits` bits, packed by `table(e)` (entry `v` at `v * entryBits`).
    func kkSend(widths: [Int], entryBits: Int, table: (Int) -> UInt64) throws(SecureCompareError) {
        guard let kk = kkSender, kk.columns.count == KK13.columns else { throw SecureCompareError.invalidArgument("setup() must run first") }
        let e = widths.count
        let masks = (0..<16).map { KK13.maskedCodeword($0, kk.s) }
        for w in widths { precondition(w >= 1 && w <= 4 && (1 << w) * entryBits <= 64) }
        var generators = kk.columns
        var pads = [UInt64](repeating: 0, count: e)
        // Pad of entry v of instance k: H(tweak_k, q_k ^ (C(v) & s)), only its entryBits kept,
        // computed chunk by chunk as the u frames arrive.
        try StreamedExtension.sender(channel: channel, &generators, secretBits: kk.choices, m: e) { rows, first in
            let count = rows[0].count
            let chunkPads = widths.withUnsafeBufferPointer { wp in
                masks.withUnsafeBufferPointer { mp in
                    OTHash.packedPads(KK13.SenderEntries(widths: wp.baseAddress! + first, low: rows[0].baseAddress!, high: rows[1].baseAddress!,
                                                         masks: mp.baseAddress!, first: kk.count &+ UInt64(first)),
                                      instances: count, entryBits: entryBits)
                }
            }
            pads.replaceSubrange(first..<first + count, with: chunkPads)
        }
        kk.columns = generators
        kk.count += UInt64(e)
        try channel.send(.otMessages, Engine.maskTables(widths: widths, entryBits: { _ in entryBits }, packedPads: pads, table: table))
    }

    /// Client side: entry `choices[e]` (below `2^widths[e]`) of each server table.
    func kkReceive(choices: [UInt64], widths: [Int], entryBits: Int) throws(SecureCompareError) -> [UInt64] {
        guard let kk = kkReceiver, kk.columns0.count == KK13.columns else { throw SecureCompareError.invalidArgument("setup() must run first") }
        let e = choices.count
        let padded = IKNP.padded(e)
        let words = padded / 64
        // The 16 distinct code columns for these choices.
        // Column x (0 ..< 16) of the code for choice c is bit x of codeColumns[c].
        let codeColumns = (0..<16).map { c in (0..<16).reduce(UInt16(0)) { $0 | (KK13.codeBit(c, $1) ? 1 << UInt16($1) : 0) } }
        // Code column x at words x * words ..< (x + 1) * words.
        var code = [UInt64](repeating: 0, count: 16 * words)
        code.withUnsafeMutableBufferPointer { columns in
            for x in 1..<16 {
                let column = columns.baseAddress! + x * words
                for (k, c) in choices.enumerated() { column[k >> 6] |= UInt64(codeColumns[Int(c)] >> UInt16(x) & 1) << UInt64(k & 63) }
            }
        }
        var g0 = kk.columns0, g1 = kk.columns1
        var pads = [Block](repeating: .zero, count: e)
        // u_i = G(k_i^0) ^ G(k_i^1) ^ C(c)_i, streamed; column i of the code equals column i % 16.
        try StreamedExtension.receiver(channel: channel, &g0, &g1, m: e, choices: code, period: 16) { rows, first in
            let items = KK13.ReceiverRows(low: rows[0].baseAddress!, high: rows[1].baseAddress!, first: kk.count &+ UInt64(first))
            pads.withUnsafeMutableBufferPointer { OTHash.hash(items, count: rows[0].count, into: $0.baseAddress! + first) }
        }
        kk.columns0 = g0
        kk.columns1 = g1
        kk.count += UInt64(e)
        return try Engine.unmaskTables(choices: choices, widths: widths, entryBits: { _ in entryBits }, pads: pads,
                                       payload: channel.receive(.otMessages))
    }
}
