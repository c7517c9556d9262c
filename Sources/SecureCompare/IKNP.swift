import RingArithmetic

/// The IKNP OT extension (kappa = 128), semi-honest: after 128 base OTs in the reverse
/// direction, every further OT costs the receiver 128 bits of communication and both parties a
/// PRG call, a bit-matrix transpose and one or two hash evaluations (`OTHash`).
///
/// Byte accounting per `extend` call of `m` OTs (`m` rounded up to a multiple of 128):
/// receiver to sender `16 * m + 5 * ceil(m / 32768)` bytes (the `u` matrix streams in frames of
/// at most 2^15 OTs, see `StreamedExtension`);
/// chosen-message transfers add `5 + 32 * m` bytes from sender to receiver. Setup: one base-OT
/// exchange (see `BaseOT`).
enum IKNP {
    /// Extends `m` OTs at a time in multiples of this many.
    static let granularity = 128

    /// The PRG of one column: ChaCha20 keyed by a 128-bit base-OT seed (zero-padded to 32 bytes).
    static func generator(_ seed: Block) -> ChaChaDRBG {
        ChaChaDRBG(seed: (try? Seed(bytes: seed.bytes + [UInt8](repeating: 0, count: 16)))!, stream: 0x4f54)
    }

    static func padded(_ m: Int) -> Int { (m + granularity - 1) / granularity * granularity }
}

/// The IKNP sender (it is the receiver of the base OTs). Holds the secret `s` and one column PRG
/// per bit of `s`. Outputs of OT number `j`: `x0 = H(j, q_j)` and `x1 = H(j, q_j ^ s)`.
public final class OTExtensionSender {
    let channel: Channel
    var rng: ChaChaDRBG
    let s: Block
    var columns: [ChaChaDRBG] = []
    /// The next unused OT index (hash tweak); both parties advance it identically.
    public private(set) var nextIndex: UInt64 = 0

    /// Creates the sender; call `setup()` before extending. It takes one generator from
    /// `randomness` (fresh system randomness by default; see `RandomSource`).
    public convenience init(channel: Channel, randomness: RandomSource = .system) {
        self.init(channel: channel, rng: randomness.generator())
    }

    /// A sender on a generator its owner split off for it alone.
    init(channel: Channel, rng: ChaChaDRBG) {
        self.channel = channel
        self.rng = rng
        self.s = Block.random(&self.rng)
    }

    /// Runs the 128 base OTs as their receiver with choice bits `s`.
    public func setup() throws(SecureCompareError) {
        install(try BaseOT.receive(choices: (0..<128).map { s.bit($0) }, channel: channel, rng: &rng))
    }

    /// Keys the column PRGs with the base-OT outputs `k_i^{s_i}` (when another setup ran them).
    func install(_ keys: [Block]) { columns = keys.map(IKNP.generator) }

    /// Extends `m` new OTs: receives `u`, then hands the rows `q_j = t_j ^ r_j * s` to `body`
    /// a chunk at a time (`body(rows, j0)`: rows of OTs `j0 ..< j0 + rows.count`, valid during
    /// the call). Returns the index of the first OT. Chunks bound the working memory to two
    /// buffers of `StreamedExtension.chunkWords` words per column.
    func extend(_ m: Int, _ body: (UnsafeBufferPointer<Block>, Int) -> Void) throws(SecureCompareError) -> UInt64 {
        guard columns.count == 128 else { throw SecureCompareError.invalidArgument("setup() must run first") }
        let padded = IKNP.padded(m)
        // A local copy of the generators avoids exclusivity checks in the parallel loop.
        var generators = columns
        try StreamedExtension.sender(channel: channel, &generators, secretBits: (0..<128).map { s.bit($0) }, m: m) { rows, first in
            body(rows[0], first)
        }
        columns = generators
        let first = nextIndex
        nextIndex += UInt64(padded)
        return first
    }

    /// `m` random OTs on 128-bit strings: returns `(x0, x1)` per OT.
    public func randomOTs(_ m: Int) throws(SecureCompareError) -> [(Block, Block)] {
        var failure: SecureCompareError?
        let pairs = [(Block, Block)](unsafeUninitializedCapacity: m) { pairs, initialized in
            do throws(SecureCompareError) { try randomOTs(into: pairs) } catch { failure = error }
            initialized = failure == nil ? m : 0
        }
        if let failure { throw failure }
        return pairs
    }

    /// `output.count` random OTs written to `output` (EMP-style: a caller that reuses one buffer
    /// for many batches avoids allocating and page-faulting fresh output memory each time).
    public func randomOTs(into output: UnsafeMutableBufferPointer<(Block, Block)>) throws(SecureCompareError) {
        let m = output.count
        guard m > 0, let base = output.baseAddress else { _ = try extend(0) { _, _ in }; return }
        // Both outputs of every OT in one hashing pass per chunk, written in place as pairs (a
        // pair of blocks is laid out as two consecutive blocks).
        precondition(MemoryLayout<(Block, Block)>.stride == 2 * MemoryLayout<Block>.stride)
        let tweak = nextIndex
        try UnsafeMutableRawPointer(base).withMemoryRebound(to: Block.self, capacity: 2 * m) { (out) throws(SecureCompareError) in
            _ = try extend(m) { rows, j0 in
                let items = OTHash.ConsecutiveBlocks(first: tweak &+ UInt64(j0), blocks: rows.baseAddress, offset: s, paired: true)
                OTHash.hash(items, count: 2 * rows.count, into: out + 2 * j0)
            }
        }
    }

    /// `m` random OTs on bits: `m0[j], m1[j]` (the low bit of each hash).
    public func randomBitOTs(_ m: Int) throws(SecureCompareError) -> (m0: BitVector, m1: BitVector) {
        let pairs = try randomOTs(m)
        var m0 = BitVector(count: m), m1 = BitVector(count: m)
        for (j, (a, b)) in pairs.enumerated() {
            m0[j] = a.low & 1 == 1
            m1[j] = b.low & 1 == 1
        }
        return (m0, m1)
    }

    /// Chosen-message OT: the receiver learns `messages[j].0` or `.1` by its choice bits.
    public func send(_ messages: [(Block, Block)]) throws(SecureCompareError) {
        let pads = try randomOTs(messages.count)
        var out = [UInt8]()
        out.reserveCapacity(32 * messages.count)
        for (j, (m0, m1)) in messages.enumerated() {
            out += (m0 ^ pads[j].0).bytes
            out += (m1 ^ pads[j].1).bytes
        }
        try channel.send(.otMessages, out)
    }

    /// Correlated OT with offset `delta`: returns `x0` per OT; the receiver gets
    /// `x0 ^ c_j * delta`. Costs one extra 16-byte message per OT.
    public func correlatedOTs(_ m: Int, delta: Block) throws(SecureCompareError) -> [Block] {
        let pads = try randomOTs(m)
        var out = [UInt8]()
        out.reserveCapacity(16 * m)
        for (x0, x1) in pads { out += (x0 ^ delta ^ x1).bytes }
        try channel.send(.otMessages, out)
        return pads.map(\.0)
    }
}

/// The IKNP receiver (it is the sender of the base OTs): chooses one message per OT.
public final class OTExtensionReceiver {
    let channel: Channel
    var rng: ChaChaDRBG
    var columns0: [ChaChaDRBG] = []
    var columns1: [ChaChaDRBG] = []
    /// The next unused OT index (hash tweak).
    public private(set) var nextIndex: UInt64 = 0

    /// Creates the receiver; call `setup()` before extending. It takes one generator from
    /// `randomness` (fresh system randomness by default; see `RandomSource`).
    public convenience init(channel: Channel, randomness: RandomSource = .system) {
        self.init(channel: channel, rng: randomness.generator())
    }

    /// A receiver on a generator its owner split off for it alone.
    init(channel: Channel, rng: ChaChaDRBG) {
        self.channel = channel
        self.rng = rng
    }

    /// Runs the 128 base OTs as their sender with random seed pairs.
    public func setup() throws(SecureCompareError) {
        let pairs = (0..<128).map { _ in (Block.random(&rng), Block.random(&rng)) }
        try BaseOT.send(pairs: pairs, channel: channel, rng: &rng)
        install(pairs)
    }

    /// Keys the column PRGs with the base-OT seed pairs (when another setup ran them).
    func install(_ pairs: [(Block, Block)]) {
        columns0 = pairs.map { IKNP.generator($0.0) }
        columns1 = pairs.map { IKNP.generator($0.1) }
    }

    /// Extends OTs with choice bits `choices`: sends the `u` matrix, then hands the rows `t_j`
    /// to `body` a chunk at a time, like `OTExtensionSender.extend`. Returns the first index.
    func extend(_ choices: BitVector, _ body: (UnsafeBufferPointer<Block>, Int) -> Void) throws(SecureCompareError) -> UInt64 {
        guard columns0.count == 128 else { throw SecureCompareError.invalidArgument("setup() must run first") }
        let m = choices.count
        let padded = IKNP.padded(m)
        let words = padded / 64
        var r = choices.words
        r += [UInt64](repeating: 0, count: words - r.count)
        var g0 = columns0, g1 = columns1
        // u_i = G(k_i^0) ^ G(k_i^1) ^ r, streamed (see `StreamedExtension`).
        try StreamedExtension.receiver(channel: channel, &g0, &g1, m: m, choices: r, period: 1) { rows, first in
            body(rows[0], first)
        }
        columns0 = g0
        columns1 = g1
        let first = nextIndex
        nextIndex += UInt64(padded)
        return first
    }

    /// Random OTs with chosen choice bits: returns `x_{c_j}` per OT.
    public func randomOTs(choices: BitVector) throws(SecureCompareError) -> [Block] {
        var failure: SecureCompareError?
        let out = [Block](unsafeUninitializedCapacity: choices.count) { out, initialized in
            do throws(SecureCompareError) { try randomOTs(choices: choices, into: out) } catch { failure = error }
            initialized = failure == nil ? choices.count : 0
        }
        if let failure { throw failure }
        return out
    }

    /// Random OTs with chosen choice bits written to `output` (`output.count == choices.count`;
    /// see `OTExtensionSender.randomOTs(into:)`).
    /// - Throws: `SecureCompareError.invalidArgument` if the sizes differ.
    public func randomOTs(choices: BitVector, into output: UnsafeMutableBufferPointer<Block>) throws(SecureCompareError) {
        guard output.count == choices.count else {
            throw SecureCompareError.invalidArgument("output holds \(output.count) blocks for \(choices.count) choices")
        }
        let tweak = nextIndex
        _ = try extend(choices) { rows, j0 in
            let items = OTHash.ConsecutiveBlocks(first: tweak &+ UInt64(j0), blocks: rows.baseAddress, offset: .zero, paired: false)
            OTHash.hash(items, count: rows.count, into: output.baseAddress! + j0)
        }
    }

    /// Random bit OTs: returns `m_{c_j}` per OT.
    public func randomBitOTs(choices: BitVector) throws(SecureCompareError) -> BitVector {
        let x = try randomOTs(choices: choices)
        var out = BitVector(count: choices.count)
        for (j, b) in x.enumerated() where b.low & 1 == 1 { out[j] = true }
        return out
    }

    /// Chosen-message OT: receives the chosen message of each pair.
    public func receive(choices: BitVector) throws(SecureCompareError) -> [Block] {
        let pads = try randomOTs(choices: choices)
        let payload = try channel.receive(.otMessages)
        guard payload.count == 32 * choices.count else { throw SecureCompareError.malformed("OT messages of \(payload.count) bytes") }
        return (0..<choices.count).map { j in
            Block.read(payload, 32 * j + (choices[j] ? 16 : 0)) ^ pads[j]
        }
    }

    /// Correlated OT: returns `x0 ^ c_j * delta` per OT (see `OTExtensionSender.correlatedOTs`).
    public func correlatedOTs(choices: BitVector) throws(SecureCompareError) -> [Block] {
        let pads = try randomOTs(choices: choices)
        let payload = try channel.receive(.otMessages)
        guard payload.count == 16 * choices.count else { throw SecureCompareError.malformed("correlated OT messages of \(payload.count) bytes") }
        return (0..<choices.count).map { j in
            // y_j = x0 ^ delta ^ x1; with c = 1 the receiver holds x1 and adds y_j.
            choices[j] ? pads[j] ^ Block.read(payload, 16 * j) : pads[j]
        }
    }
}
