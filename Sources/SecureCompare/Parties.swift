import RingArithmetic

/// The server (P0) of the comparison layer: it holds one share of every value, helps compute
/// shares of comparisons and of their OR, and never receives an opened result: no method of
/// this type returns the output of `anyNonNegative`.
///
/// Not thread-safe: one session, one thread. Call `setup()` once, then any number of batched
/// operations in the same order as the client.
public final class ComparisonServer {
    let engine: Engine

    /// A server over `channel`; it takes one generator from `randomness` (fresh system
    /// randomness by default; never hand a session a copied generator value: see
    /// `RandomSource`); OTs from `supply` (the client must use the same).
    public init(channel: Channel, randomness: RandomSource = .system, supply: OTSupply = .silent) {
        engine = Engine(party: .server, channel: channel, rng: randomness.generator(), supply: supply)
    }

    /// Base OTs (384, in one exchange) and OT-extension setup, once per session. With the
    /// silent supply, the first Ferret iteration's 47,709 base COTs are drawn from IKNP here
    /// (about 764 KB from the client), unless `expectedValues` (the number of values the
    /// session will compare, the same on both sides) is small enough for IKNP alone.
    public func setup(expectedValues: Int? = nil) throws(SecureCompareError) { try engine.setup(expectedValues: expectedValues) }

    /// XOR shares of `[x > y]` for the server's `x` values and the client's `y` values (`bits`-bit).
    public func greaterThanShares(_ x: [UInt64], bits: Int) throws(SecureCompareError) -> BitVector {
        try engine.greaterThan(x, bits: bits)
    }

    /// XOR shares of the most significant bit of `a + b mod 2^bits` (`a` here, `b` at the client).
    public func msbShares(_ a: [UInt64], bits: Int) throws(SecureCompareError) -> BitVector {
        try engine.msb(a, bits: bits)
    }

    /// XOR shares of `x & y` for XOR-shared bit vectors.
    public func and(_ x: BitVector, _ y: BitVector) throws(SecureCompareError) -> BitVector {
        try engine.and(x, y)
    }

    /// 1-out-of-2^m OT (m = 1 ... 5) of small messages: instance `e` offers `tables[e]`
    /// (`2^m` entries of `bits` bits, `2^m * bits <= 64`); the client receives the entry it
    /// chooses and nothing else, the server learns nothing.
    /// Bytes: `m / 8` per instance from the client with the silent supply (`16 m` with IKNP;
    /// plus the supply's own traffic), `2^m * bits / 8` from the server.
    /// - Throws: `SecureCompareError.invalidArgument` for tables of the wrong shape.
    public func sendOneOfN(_ tables: [[UInt64]], m: Int, bits: Int) throws(SecureCompareError) {
        guard m >= 1, m <= 5, bits >= 1, (1 << m) * bits <= 64, tables.allSatisfy({ $0.count == 1 << m }) else {
            throw SecureCompareError.invalidArgument("tables must hold 2^m entries of bits bits, 2^m * bits <= 64")
        }
        engine.channel.setPhase("one-of-n")
        let mask: UInt64 = bits == 64 ? .max : (1 << UInt64(bits)) - 1
        let widths = [Int](repeating: m, count: tables.count)
        let table = { (e: Int) -> UInt64 in
            var packed: UInt64 = 0
            for (v, x) in tables[e].enumerated() { packed |= (x & mask) << UInt64(v * bits) }
            return packed
        }
        if engine.supply == .silent {
            try engine.cotOneOfNSend(widths: widths, entryBits: { _ in bits }, table: table)
        } else {
            try engine.oneOfNSend(widths: widths, entryBits: bits, table: table)
        }
    }

    /// Contributes to the client's `OR` of the shared bits; the server learns nothing.
    public func revealOR(_ shares: BitVector) throws(SecureCompareError) {
        _ = try engine.openToClient(engine.or(shares))
    }

    /// The whole comparison step: with `a_i` here and `b_i` at the client, the client learns
    /// whether any `a_i + b_i mod 2^bits` is non-negative as a signed `bits`-bit number.
    /// Runs in chunks of 2^16 values (bounded working memory, see `anyNonNegative(chunks:bits:)`).
    public func anyNonNegative(shares: [UInt64], bits: Int) throws(SecureCompareError) {
        try anyNonNegative(chunks: Engine.chunks(shares), bits: bits)
    }

    /// Values per chunk of `anyNonNegative(shares:)` (chunk a stream of shares the same way).
    public static var chunkValues: Int { Engine.streamChunk }

    /// The comparison step over shares produced chunk by chunk (the client passes chunks of the
    /// same sizes in the same order): memory is bounded by one chunk, whatever the total.
    /// - Throws: `SecureCompareError.invalidArgument` when there are no values.
    public func anyNonNegative<S: Sequence>(chunks: S, bits: Int) throws(SecureCompareError) where S.Element == [UInt64] {
        _ = try engine.openToClient(engine.nonNegativeShare(chunks: chunks, bits: bits))
    }

    /// The channel's byte counters.
    public var statistics: ChannelStatistics { engine.channel.statistics }
}

/// The client (P1) of the comparison layer: the only party that can receive an opened result.
public final class ComparisonClient {
    let engine: Engine

    /// A client over `channel`; it takes one generator from `randomness` (see `RandomSource`);
    /// OTs from `supply` (as the server's).
    public init(channel: Channel, randomness: RandomSource = .system, supply: OTSupply = .silent) {
        engine = Engine(party: .client, channel: channel, rng: randomness.generator(), supply: supply)
    }

    /// Base OTs and OT-extension setup (once per session; `expectedValues` as the server's).
    public func setup(expectedValues: Int? = nil) throws(SecureCompareError) { try engine.setup(expectedValues: expectedValues) }

    /// XOR shares of `[x > y]` for the server's `x` values and the client's `y` values.
    public func greaterThanShares(_ y: [UInt64], bits: Int) throws(SecureCompareError) -> BitVector {
        try engine.greaterThan(y, bits: bits)
    }

    /// XOR shares of the most significant bit of `a + b mod 2^bits` (`b` here).
    public func msbShares(_ b: [UInt64], bits: Int) throws(SecureCompareError) -> BitVector {
        try engine.msb(b, bits: bits)
    }

    /// XOR shares of `x & y` for XOR-shared bit vectors.
    public func and(_ x: BitVector, _ y: BitVector) throws(SecureCompareError) -> BitVector {
        try engine.and(x, y)
    }

    /// Receives entry `choices[e]` of the server's table `e` (see `ComparisonServer.sendOneOfN`).
    /// - Throws: `SecureCompareError.invalidArgument` for a choice outside `0 ..< 2^m`.
    public func receiveOneOfN(choices: [Int], m: Int, bits: Int) throws(SecureCompareError) -> [UInt64] {
        guard m >= 1, m <= 5, bits >= 1, (1 << m) * bits <= 64, choices.allSatisfy({ $0 >= 0 && $0 < 1 << m }) else {
            throw SecureCompareError.invalidArgument("choices must be in 0 ..< 2^m with 2^m * bits <= 64")
        }
        engine.channel.setPhase("one-of-n")
        let widths = [Int](repeating: m, count: choices.count)
        if engine.supply == .silent {
            return try engine.cotOneOfNReceive(choices: choices.map { UInt64($0) }, widths: widths, entryBits: { _ in bits })
        }
        return try engine.oneOfNReceive(choices: choices.map { UInt64($0) }, widths: widths, entryBits: bits)
    }

    /// The OR of the shared bits, opened to this party only.
    public func revealOR(_ shares: BitVector) throws(SecureCompareError) -> Bool {
        try engine.openToClient(engine.or(shares))!
    }

    /// Whether any `a_i + b_i mod 2^bits` (server's `a_i`, this party's `b_i`) is non-negative
    /// as a signed `bits`-bit number. Returns one bit, nothing else. Runs in chunks of 2^16.
    public func anyNonNegative(shares: [UInt64], bits: Int) throws(SecureCompareError) -> Bool {
        try anyNonNegative(chunks: Engine.chunks(shares), bits: bits)
    }

    /// The comparison step over shares produced chunk by chunk (as the server's chunks).
    /// - Throws: `SecureCompareError.invalidArgument` when there are no values.
    public func anyNonNegative<S: Sequence>(chunks: S, bits: Int) throws(SecureCompareError) -> Bool where S.Element == [UInt64] {
        try engine.openToClient(engine.nonNegativeShare(chunks: chunks, bits: bits))!
    }

    /// The channel's byte counters.
    public var statistics: ChannelStatistics { engine.channel.statistics }
}
