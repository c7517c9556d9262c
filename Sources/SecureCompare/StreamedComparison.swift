/// The comparison step over many values in bounded memory: chunks stream through the OT
/// supply, the MSB and an OR of their own; the chunks' OR shares then meet in one last OR.
///
/// Working memory depends on the chunk size, not on the number of values: on the silent supply
/// a chunk of 2^16 values draws 4 COTs per value per millionaires' round (4 MB of COT blocks,
/// 8 MB of sender pads, reused) from a pool of at most one small iteration (10 MB); one bit
/// per chunk is kept for the last OR. Rounds per chunk: the millionaires' rounds (3 for
/// `l = 11`) and `log2` of the chunk size for its OR. Both parties must pass chunks of equal
/// sizes in the same order.
extension Engine {
    /// Values per chunk of `anyNonNegative(shares:)`.
    static let streamChunk = 1 << 16

    /// This party's share of `OR_i [a_i + b_i mod 2^l >= 0]` (signed) over all chunks.
    /// - Throws: `SecureCompareError.invalidArgument` when there are no values.
    func nonNegativeShare<S: Sequence>(chunks: S, bits l: Int) throws(SecureCompareError) -> Bool where S.Element == [UInt64] {
        var partial: [Bool] = []
        for chunk in chunks where !chunk.isEmpty {
            // v >= 0 iff msb(v) = 0: NOT on XOR shares is the server flipping its share.
            let msb = try msb(chunk, bits: l)
            partial.append(try or(party == .server ? ~msb : msb))
        }
        guard !partial.isEmpty else { throw SecureCompareError.invalidArgument("no values") }
        return partial.count == 1 ? partial[0] : try or(BitVector(partial))
    }

    /// `shares` in chunks of `streamChunk` (copied one at a time).
    static func chunks(_ shares: [UInt64]) -> some Sequence<[UInt64]> {
        stride(from: 0, to: shares.count, by: streamChunk).lazy.map { Array(shares[$0 ..< min($0 + streamChunk, shares.count)]) }
    }

    /// Opens an output share to the client: the server sends its share (returns nil), the
    /// client combines it with its own.
    /// - Throws: `SecureCompareError.malformed` for a bad output frame.
    func openToClient(_ share: Bool) throws(SecureCompareError) -> Bool? {
        channel.setPhase("output")
        if party == .server {
            try channel.send(.output, [share ? 1 : 0])
            return nil
        }
        let theirs = try channel.receive(.output)
        guard theirs.count == 1, theirs[0] <= 1 else { throw SecureCompareError.malformed("output share") }
        return share != (theirs[0] == 1)
    }
}
