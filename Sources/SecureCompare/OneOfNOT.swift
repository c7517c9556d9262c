/// 1-out-of-2^m OT for small messages from m random string OTs per instance (m = 1 ... 5).
///
/// The client chooses `c` (m bits) and runs m random OTs with choice bits `c_1 .. c_m`; the server
/// holds their pairs `(r_i^0, r_i^1)`. For every `v < 2^m` the server sends
/// `M_v ^ H(tweak(e, v), r_1^{v_1} ^ ... ^ r_m^{v_m})` truncated to the entry width; the client can
/// compute only the pad of `v = c`, since every other `v` involves an `r_i^{1-c_i}` it never saw.
/// (The pad hashes the XOR of the chosen strings with a per-(instance, v) tweak rather than
/// their concatenation: one BLAKE3 block instead of two, equally unpredictable.)
/// Bytes: client to server `16 * m` per instance (IKNP); server to client `2^m * width` bits.
extension Engine {
    static func tweak(_ instance: UInt64, _ v: Int) -> UInt64 { (1 << 63) | instance << 5 | UInt64(v) }

    /// Server side: instance `e` offers `2^widths[e]` entries of `entryBits` bits, packed by
    /// `table(e)` (entry `v` at bits `v * entryBits`; at most 64 bits per instance).
    func oneOfNSend(widths: [Int], entryBits: Int, table: (Int) -> UInt64) throws(SecureCompareError) {
        let total = widths.reduce(0, +)
        let pairs = try sender!.randomOTs(total)
        var offset = 0
        var tweaks: [UInt64] = [], keys: [Block] = []
        let entries = widths.reduce(0) { $0 + (1 << $1) }
        tweaks.reserveCapacity(entries)
        keys.reserveCapacity(entries)
        var x = [Block](repeating: .zero, count: 32)
        for (e, m) in widths.enumerated() {
            precondition(m >= 1 && m <= 5 && (1 << m) * entryBits <= 64)
            // X[v] = XOR_i r_i^{v_i}, built from X[0] by flipping one string at a time.
            x[0] = .zero
            for i in 0..<m { x[0] = x[0] ^ pairs[offset + i].0 }
            for v in 1..<(1 << m) {
                let i = v.trailingZeroBitCount
                x[v] = x[v ^ (1 << i)] ^ pairs[offset + i].0 ^ pairs[offset + i].1
            }
            for v in 0..<(1 << m) { tweaks.append(Engine.tweak(oneOfNCount + UInt64(e), v)); keys.append(x[v]) }
            offset += m
        }
        let pads = OTHash.hash(tweaks: tweaks, blocks: keys)
        oneOfNCount += UInt64(widths.count)
        try channel.send(.otMessages, Engine.maskTables(widths: widths, entryBits: entryBits, pads: pads, table: table))
    }

    /// The server's message: every entry `v` of every instance XOR the low bits of its pad
    /// (`pads` in instance-major, entry order), packed at `entryBits` bits.
    static func maskTables(widths: [Int], entryBits: Int, pads: [Block], table: (Int) -> UInt64) -> [UInt8] {
        let entryMask: UInt64 = entryBits == 64 ? .max : (1 << UInt64(entryBits)) - 1
        var packed = [UInt64](repeating: 0, count: widths.count)
        var k = 0
        for (e, m) in widths.enumerated() {
            for v in 0..<(1 << m) {
                packed[e] |= (pads[k].low & entryMask) << UInt64(v * entryBits)
                k += 1
            }
        }
        return maskTables(widths: widths, entryBits: { _ in entryBits }, packedPads: packed, table: table)
    }

    /// The same message from per-instance pads: bits `v * b ..< (v + 1) * b` of `packedPads[e]`
    /// pad entry `v` of instance `e`, `b = entryBits(e)` (`2^widths[e] * b <= 64`).
    static func maskTables(widths: [Int], entryBits: (Int) -> Int, packedPads: [UInt64], table: (Int) -> UInt64) -> [UInt8] {
        let bits = widths.indices.reduce(0) { $0 + (1 << widths[$1]) * entryBits($1) }
        var words = [UInt64](repeating: 0, count: (bits + 63) / 64)
        var bit = 0
        for (e, m) in widths.enumerated() {
            // Instance e's entries are consecutive: one masked span of at most 64 bits.
            let span = (1 << m) * entryBits(e)
            let value = (table(e) ^ packedPads[e]) & (span == 64 ? .max : (1 << UInt64(span)) - 1)
            words[bit >> 6] |= value << UInt64(bit & 63)
            if (bit & 63) + span > 64 { words[(bit >> 6) + 1] |= value >> UInt64(64 - (bit & 63)) }
            bit += span
        }
        return BitVector(count: bits, words: words).bytes
    }

    /// The client's entries: entry `choices[e]` of instance `e`, unmasked with `pads[e]`.
    /// - Throws: `SecureCompareError.malformed` for a message of the wrong length.
    /// (`entryBits(e)` bits per entry of instance `e`.)
    static func unmaskTables(choices: [UInt64], widths: [Int], entryBits: (Int) -> Int, pads: [Block], payload: [UInt8]) throws(SecureCompareError) -> [UInt64] {
        let bits = widths.indices.reduce(0) { $0 + (1 << widths[$1]) * entryBits($1) }
        let table = try BitVector(bytes: payload, count: bits).words
        var out: [UInt64] = []
        out.reserveCapacity(choices.count)
        var start = 0
        for (e, m) in widths.enumerated() {
            // The entry's bits start at `bit` and may continue into the next word.
            let eb = entryBits(e)
            let mask: UInt64 = eb == 64 ? .max : (1 << UInt64(eb)) - 1
            let bit = start + Int(choices[e]) * eb
            var value = table[bit >> 6] >> UInt64(bit & 63)
            if (bit & 63) + eb > 64 { value |= table[(bit >> 6) + 1] << UInt64(64 - (bit & 63)) }
            out.append((value ^ pads[e].low) & mask)
            start += (1 << m) * eb
        }
        return out
    }

    /// Client side: returns entry `choices[e]` of each table.
    func oneOfNReceive(choices: [UInt64], widths: [Int], entryBits: Int) throws(SecureCompareError) -> [UInt64] {
        let total = widths.reduce(0, +)
        var bits = BitVector(count: total)
        var offset = 0
        for (e, m) in widths.enumerated() {
            for i in 0..<m where (choices[e] >> UInt64(i)) & 1 == 1 { bits[offset + i] = true }
            offset += m
        }
        let strings = try receiver!.randomOTs(choices: bits)
        var tweaks: [UInt64] = [], keys: [Block] = []
        offset = 0
        for (e, m) in widths.enumerated() {
            var x = Block.zero
            for i in 0..<m { x = x ^ strings[offset + i] }
            tweaks.append(Engine.tweak(oneOfNCount + UInt64(e), Int(choices[e])))
            keys.append(x)
            offset += m
        }
        let pads = OTHash.hash(tweaks: tweaks, blocks: keys)
        oneOfNCount += UInt64(widths.count)
        return try Engine.unmaskTables(choices: choices, widths: widths, entryBits: { _ in entryBits }, pads: pads,
                                       payload: channel.receive(.otMessages))
    }
}
