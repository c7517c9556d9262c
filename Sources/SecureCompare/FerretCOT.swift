import RingArithmetic

/// Correlated OTs handed out by a Ferret supply: `blocks[i]` is the sender's `v_i` or the
/// receiver's `w_i = v_i ^ b_i Δ`, `choices` the receiver's bits `b_i` (empty at the sender).
/// COT `i` must be hashed under tweak `firstTweak + i` and no other (see `FerretCOTSender`).
public struct COTBatch: Sendable {
    /// `v_i` (sender) or `w_i` (receiver).
    public var blocks: [Block]
    /// The receiver's choice bits (count 0 at the sender).
    public var choices: BitVector
    /// The hash tweak of COT 0 of the batch.
    public let firstTweak: UInt64
}

/// Correlated OT from LPN, semi-honest, after Ferret (Yang, Weng, Lan, Zhang, Wang, CCS 2020).
///
/// One iteration with parameters `(n, k, t, h)` (`FerretParameters`) turns `k + t h` COTs into
/// `n`: a regular-noise multi-point COT (`RegularNoiseMPCOT`, using `t h` of them) gives the
/// receiver `e` (one 1 per bin) and `r = s ^ e Δ`, the sender `s`; the public local linear code
/// `A` (`LPNCode`, seed from the iteration number) expands the other `k` (`u`, `w_u` at the
/// receiver, `v_u` at the sender): the receiver outputs `x = u A ^ e` and `z = w_u A ^ r`, the
/// sender `y = v_u A ^ s`, so `z = y ^ x Δ`, with `x` pseudorandom under LPN with regular noise.
///
/// Small sessions: until the first iteration runs, a `take` that keeps the session's total
/// within `FerretSchedule.directLimit` COTs is served by the IKNP rows themselves (16 bytes
/// each, no fixed cost), so a small database never pays for an iteration; `prepare()` (e.g. at
/// session setup) or a larger demand starts the iterations for good.
///
/// Bootstrapping: each iteration keeps its first `k' + t' h'` outputs as the base of the next
/// (of parameters `(n', k', t', h')` chosen by the `FerretSchedule` from the counts both sides
/// share); only the first iteration (always the small set: 47,709 COTs) draws its base from
/// the IKNP extension, whose rows are COTs with `Δ = s` (`q_j = t_j ^ r_j s`), so `Δ` is the
/// IKNP secret. Traffic: `t (32 h + 32 floor(h / 2) + 16) + 5` bytes per iteration from sender
/// to receiver (main set: 808,085 bytes for 10,001,981 usable COTs, 0.65 bits each; small:
/// 548,213 for 602,019), plus `16 (k + t h)` bytes of IKNP for the first.
///
/// Hash tweaks (64 bits, disjoint from IKNP's `0 ..< 2^62`, KK13's `2^62 | i` and the
/// 1-out-of-N tweaks `2^63 | ...`): handed-out COT number `j` of the session has tweak
/// `0xC000... | j`; base COT `q` of iteration `i` in a level OT has `0xE000... | i << 24 | q`,
/// and `0xF000... | i << 24 | q` for the second half of a wide level's pad.
/// Each COT block is hashed under its own tweak only: all COTs share `Δ`, so XORing two
/// blocks before hashing would cancel it (`w_1 ^ w_2 = v_1 ^ v_2` whenever `b_1 = b_2`).
/// Working memory: `16 n` bytes of outputs per party (170 MB for the main set).
public final class FerretCOTSender {
    let channel: Channel
    var rng: ChaChaDRBG
    let bootstrap: OTExtensionSender
    let delta: Block
    /// Which parameter sets the iterations use.
    public let schedule: FerretSchedule
    /// Iterations run so far.
    public private(set) var iterations: UInt64 = 0
    /// The parameters of the last iteration.
    public private(set) var lastParameters: FerretParameters?
    /// COTs handed out so far.
    public private(set) var served: UInt64 = 0
    var reserve: [Block] = []
    var reserveSet: FerretParameters?
    var pool: [Block] = []
    var poolNext = 0

    /// A sender drawing its first base COTs from `bootstrap` (set up), whose secret is `Δ`, and
    /// one generator from `randomness` (fresh system randomness by default; never hand two
    /// suppliers a copied generator value: see `RandomSource`).
    public convenience init(bootstrap: OTExtensionSender, randomness: RandomSource = .system, schedule: FerretSchedule = .adaptive) {
        self.init(bootstrap: bootstrap, rng: randomness.generator(), schedule: schedule)
    }

    init(bootstrap: OTExtensionSender, rng: ChaChaDRBG, schedule: FerretSchedule = .adaptive) {
        self.channel = bootstrap.channel
        self.rng = rng
        self.bootstrap = bootstrap
        self.delta = bootstrap.s
        self.schedule = schedule
    }

    /// The next `count` COTs (running iterations as needed; the receiver must take the same
    /// counts in the same order).
    public func take(_ count: Int) throws(SecureCompareError) -> COTBatch {
        let first = FerretTweak.served | served
        var blocks = [Block]()
        blocks.reserveCapacity(count)
        if reserveSet == nil && served + UInt64(count) <= UInt64(FerretSchedule.directLimit) {
            // A small session: the IKNP rows themselves (q_j = t_j ^ r_j s: COTs with Δ = s).
            blocks = [Block](repeating: .zero, count: count)
            _ = try bootstrap.extend(count) { rows, j0 in
                for (k, r) in rows.enumerated() { blocks[j0 + k] = r }
            }
            served += UInt64(count)
            return COTBatch(blocks: blocks, choices: BitVector(count: 0), firstTweak: first)
        }
        var remaining = count
        while remaining > 0 {
            if poolNext == pool.count { try iterate(demand: remaining) }
            let c = min(remaining, pool.count - poolNext)
            blocks.append(contentsOf: pool[poolNext ..< poolNext + c])
            poolNext += c
            remaining -= c
        }
        served += UInt64(count)
        return COTBatch(blocks: blocks, choices: BitVector(count: 0), firstTweak: first)
    }

    /// Draws the first iteration's base (47,709 IKNP COTs, about 764 KB from the receiver) now,
    /// e.g. during session setup, instead of at the first `take`; no-op once drawn.
    public func prepare() throws(SecureCompareError) {
        guard reserveSet == nil else { return }
        let p = FerretParameters.small
        var base = [Block](repeating: .zero, count: p.baseCount)
        _ = try bootstrap.extend(p.baseCount) { rows, j0 in
            for (k, r) in rows.enumerated() { base[j0 + k] = r }
        }
        reserve = base
        reserveSet = p
    }

    func iterate(demand: Int) throws(SecureCompareError) {
        try prepare()
        let p = reserveSet!
        let base = reserve
        // The spent pool's storage takes the new outputs (no fresh pages to fault in and zero).
        var out = pool
        pool = []
        if out.count != p.n { out = [Block](repeating: .zero, count: p.n) }
        // Level tweaks stay disjoint (level vs levelHigh vs the next iteration) below 2^36 iterations.
        guard iterations < 1 << 36 else { throw SecureCompareError.invalidArgument("session ran out of Ferret iterations") }
        let tweak = FerretTweak.level(iterations), code = LPNCode(k: p.k, seed: FerretTweak.codeSeed(iterations))
        try base.withUnsafeBufferPointer { (b) throws(SecureCompareError) in
            try out.withUnsafeMutableBufferPointer { (o) throws(SecureCompareError) in
                try RegularNoiseMPCOT.send(base: UnsafeBufferPointer(rebasing: b[p.k...]), tweak: tweak,
                                           highTweak: FerretTweak.levelHigh(iterations), delta: delta, trees: p.t, depth: p.h,
                                           rng: &rng, channel: channel, into: o)
                // y = v_u A ^ s.
                code.encode(b.baseAddress!, into: o.baseAddress!, count: p.n)
            }
        }
        iterations += 1
        lastParameters = p
        let next = schedule.next(served: served, demand: demand)
        reserve = Array(out[0 ..< next.baseCount])
        reserveSet = next
        pool = out
        poolNext = next.baseCount
    }
}

/// The receiver of `FerretCOTSender`: random choice bits `b_i` (the LPN outputs `x`) and
/// `w_i = v_i ^ b_i Δ`.
public final class FerretCOTReceiver {
    let channel: Channel
    var rng: ChaChaDRBG
    let bootstrap: OTExtensionReceiver
    /// Which parameter sets the iterations use (must equal the sender's).
    public let schedule: FerretSchedule
    /// Iterations run so far.
    public private(set) var iterations: UInt64 = 0
    /// COTs handed out so far.
    public private(set) var served: UInt64 = 0
    var reserve: [Block] = []
    var reserveChoices = BitVector(count: 0)
    var reserveSet: FerretParameters?
    var pool: [Block] = []
    var poolChoices = BitVector(count: 0)
    var poolNext = 0

    /// A receiver drawing its first base COTs from `bootstrap` (set up), and one generator from
    /// `randomness` (fresh system randomness by default; never hand two suppliers a copied
    /// generator value: see `RandomSource`).
    public convenience init(bootstrap: OTExtensionReceiver, randomness: RandomSource = .system, schedule: FerretSchedule = .adaptive) {
        self.init(bootstrap: bootstrap, rng: randomness.generator(), schedule: schedule)
    }

    init(bootstrap: OTExtensionReceiver, rng: ChaChaDRBG, schedule: FerretSchedule = .adaptive) {
        self.channel = bootstrap.channel
        self.rng = rng
        self.bootstrap = bootstrap
        self.schedule = schedule
    }

    /// The next `count` COTs with their choice bits.
    public func take(_ count: Int) throws(SecureCompareError) -> COTBatch {
        let first = FerretTweak.served | served
        var blocks = [Block]()
        blocks.reserveCapacity(count)
        if reserveSet == nil && served + UInt64(count) <= UInt64(FerretSchedule.directLimit) {
            // A small session: IKNP rows t_j with random choice bits r_j (see the sender).
            let choices = BitVector.random(count: count, rng: &rng)
            blocks = [Block](repeating: .zero, count: count)
            _ = try bootstrap.extend(choices) { rows, j0 in
                for (k, r) in rows.enumerated() { blocks[j0 + k] = r }
            }
            served += UInt64(count)
            return COTBatch(blocks: blocks, choices: choices, firstTweak: first)
        }
        var parts: [BitVector] = []
        var remaining = count
        while remaining > 0 {
            if poolNext == pool.count { try iterate(demand: remaining) }
            let c = min(remaining, pool.count - poolNext)
            blocks.append(contentsOf: pool[poolNext ..< poolNext + c])
            parts.append(poolChoices.slice(poolNext ..< poolNext + c))
            poolNext += c
            remaining -= c
        }
        served += UInt64(count)
        return COTBatch(blocks: blocks, choices: parts.count == 1 ? parts[0] : BitVector.concatenate(parts), firstTweak: first)
    }

    /// Draws the first iteration's base from IKNP now (see `FerretCOTSender.prepare`).
    public func prepare() throws(SecureCompareError) {
        guard reserveSet == nil else { return }
        let p = FerretParameters.small
        let choices = BitVector.random(count: p.baseCount, rng: &rng)
        var base = [Block](repeating: .zero, count: p.baseCount)
        _ = try bootstrap.extend(choices) { rows, j0 in
            for (k, r) in rows.enumerated() { base[j0 + k] = r }
        }
        reserve = base
        reserveChoices = choices
        reserveSet = p
    }

    func iterate(demand: Int) throws(SecureCompareError) {
        try prepare()
        let p = reserveSet!
        let base = reserve, baseChoices = reserveChoices
        var out = pool, bits = poolChoices.words
        pool = []
        poolChoices = BitVector(count: 0)
        if out.count != p.n { out = [Block](repeating: .zero, count: p.n) }
        if bits.count == p.n / 64 {
            bits.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        } else {
            bits = [UInt64](repeating: 0, count: p.n / 64)
        }
        // Level tweaks stay disjoint (level vs levelHigh vs the next iteration) below 2^36 iterations.
        guard iterations < 1 << 36 else { throw SecureCompareError.invalidArgument("session ran out of Ferret iterations") }
        let tweak = FerretTweak.level(iterations), code = LPNCode(k: p.k, seed: FerretTweak.codeSeed(iterations))
        let levelChoices = baseChoices.slice(p.k ..< p.baseCount)
        try base.withUnsafeBufferPointer { (b) throws(SecureCompareError) in
            try out.withUnsafeMutableBufferPointer { (o) throws(SecureCompareError) in
                let alphas = try RegularNoiseMPCOT.receive(base: UnsafeBufferPointer(rebasing: b[p.k...]), choices: { levelChoices[$0] },
                                                           tweak: tweak, highTweak: FerretTweak.levelHigh(iterations),
                                                           trees: p.t, depth: p.h, channel: channel, into: o)
                // e: one 1 per bin.
                for (tau, alpha) in alphas.enumerated() {
                    let i = tau << p.h + alpha
                    bits[i >> 6] |= 1 << UInt64(i & 63)
                }
                // x = u A ^ e and z = w_u A ^ r.
                baseChoices.words.withUnsafeBufferPointer { u in
                    bits.withUnsafeMutableBufferPointer { x in
                        code.encode(b.baseAddress!, bits: u.baseAddress!, into: o.baseAddress!, bits: x.baseAddress!, count: p.n)
                    }
                }
            }
        }
        iterations += 1
        let next = schedule.next(served: served, demand: demand)
        let choices = BitVector(count: p.n, words: bits)
        reserve = Array(out[0 ..< next.baseCount])
        reserveChoices = choices.slice(0 ..< next.baseCount)
        reserveSet = next
        pool = out
        poolChoices = choices
        poolNext = next.baseCount
    }
}

/// Tweak domains and code seeds of the Ferret supply (see `FerretCOTSender`).
enum FerretTweak {
    static let served: UInt64 = 0xC000_0000_0000_0000

    /// Base COT `q` of iteration `i` hashes under `level(i) | q` (`q < 2^24`).
    static func level(_ iteration: UInt64) -> UInt64 { 0xE000_0000_0000_0000 | iteration << 24 }

    /// The second pad half of a wide level's base COT `q` hashes under `levelHigh(i) | q`
    /// (disjoint from `level` while `i < 2^36`).
    static func levelHigh(_ iteration: UInt64) -> UInt64 { 0xF000_0000_0000_0000 | iteration << 24 }

    /// The public seed of iteration `i`'s code.
    static func codeSeed(_ iteration: UInt64) -> UInt64 { LPNCode.mix(0x4665_7272_6574_4C50 &+ iteration) }
}
