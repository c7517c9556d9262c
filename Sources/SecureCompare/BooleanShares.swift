/// XOR-shared booleans: Beaver bit triples from random bit OTs and batched AND gates.
///
/// Triples: each costs two bit random OTs (the second reversed, so the client acts as its
/// sender): with the silent supply two COTs with their random choice bits (no message beyond
/// the supply's 7.3 bits per COT; see `COTDerivations`), with IKNP `2 * 16` bytes from
/// client to server. AND of `n` shared bit pairs: one exchange of `2n` bits each way (`5 + ceil(2n/8)`
/// bytes per direction), plus the triples.
extension Engine {
    /// Triples made per COT batch on the silent supply.
    static let tripleChunk = 1 << 16

    /// Makes `n` fresh triples and appends them to the pool.
    func makeTriples(_ n: Int) throws(SecureCompareError) {
        guard n > 0 else { return }
        // Silent triples in chunks: COT batches and pads stay a few MB, reused, instead of
        // fresh pages for millions of COTs at once.
        if supply == .silent && n > Engine.tripleChunk {
            var left = n
            while left > 0 {
                try makeTriples(min(left, Engine.tripleChunk))
                left -= min(left, Engine.tripleChunk)
            }
            return
        }
        channel.setPhase("triples")
        var a: BitVector, b: BitVector, c: BitVector
        if let sender {
            // Direct OTs 0..<n: the server holds (m0, m1), so a0 = m0 ^ m1 and u = m0 is its
            // share of a0 * b1. Reversed OTs n..<2n: the server is the receiver with choice
            // b0 = m0' ^ m1' and output v' = m0', its share of a1 * b0.
            let (m0, m1) = supply == .silent ? try cotBitOTsSend(2 * n) : try sender.randomBitOTs(2 * n)
            let direct0 = m0.slice(0 ..< n), direct1 = m1.slice(0 ..< n)
            let reversed0 = m0.slice(n ..< 2 * n), reversed1 = m1.slice(n ..< 2 * n)
            a = direct0 ^ direct1
            b = reversed0 ^ reversed1
            c = (a & b) ^ direct0 ^ reversed0
        } else {
            // The client chose c (b1 for direct OTs, a1 for reversed ones) and got m_c: v for
            // a0 * b1 and, as the reversed sender's m0, u' for a1 * b0.
            var choices: BitVector, mc: BitVector
            if supply == .silent {
                (choices, mc) = try cotBitOTsReceive(2 * n)
            } else {
                choices = BitVector.random(count: 2 * n, rng: &rng)
                mc = try receiver!.randomBitOTs(choices: choices)
            }
            b = choices.slice(0 ..< n)
            a = choices.slice(n ..< 2 * n)
            c = (a & b) ^ mc.slice(0 ..< n) ^ mc.slice(n ..< 2 * n)
        }
        pool = (BitVector.concatenate([pool.a, a]), BitVector.concatenate([pool.b, b]), BitVector.concatenate([pool.c, c]))
    }

    /// Takes `n` triples from the pool (making more if needed).
    func takeTriples(_ n: Int) throws(SecureCompareError) -> (a: BitVector, b: BitVector, c: BitVector) {
        if pool.a.count < n { try makeTriples(n - pool.a.count) }
        let rest = pool.a.count - n
        let out = (pool.a.slice(0 ..< n), pool.b.slice(0 ..< n), pool.c.slice(0 ..< n))
        pool = (pool.a.slice(n ..< n + rest), pool.b.slice(n ..< n + rest), pool.c.slice(n ..< n + rest))
        return out
    }

    /// Shares of `x & y` for shared bit vectors (one round).
    func and(_ x: BitVector, _ y: BitVector) throws(SecureCompareError) -> BitVector {
        precondition(x.count == y.count)
        let n = x.count
        if n == 0 { return BitVector(count: 0) }
        let (a, b, c) = try takeTriples(n)
        channel.setPhase("and")
        // Open d = x ^ a and e = y ^ b: uniformly random to the peer because a, b are.
        let mine = BitVector.concatenate([x ^ a, y ^ b])
        let theirs = try BitVector(bytes: exchange(.andOpen, mine.bytes), count: 2 * n)
        let opened = mine ^ theirs
        let d = opened.slice(0 ..< n), e = opened.slice(n ..< 2 * n)
        var z = c ^ (d & b) ^ (e & a)
        if party == .server { z = z ^ (d & e) }
        return z
    }
}
