import Testing
import RingArithmetic
import SecureCompare

/// `x` in chunks of `size`, each copied only when the protocol reaches it.
func lazyChunks(_ x: [UInt64], _ size: Int) -> some Sequence<[UInt64]> {
    stride(from: 0, to: x.count, by: size).lazy.map { Array(x[$0 ..< min($0 + size, x.count)]) }
}

@Suite("Streamed comparison")
struct StreamedComparisonTests {
    @Test("3 * 10^6 + 7 shares in chunks give the same bit as one unstreamed MSB batch and one OR")
    func streamedEqualsUnstreamed() throws {
        let n = 3_000_007, l = 11
        var g = testRNG(400)
        // All negative except one value in the last, partial chunk: the bit depends on the tail.
        var values = (0..<n).map { _ in -Int64(g.next() % 1000) - 1 }
        values[n - 3] = 17
        let r = (0..<n).map { _ in g.next() & 2047 }
        let a = r, b = (0..<n).map { (UInt64(bitPattern: values[$0]) &- r[$0]) & 2047 }
        // Streamed: chunks of 2^16 through the public chunk API, produced lazily on both sides.
        let (_, streamed) = try runComparison(seed: 410, { s in try s.anyNonNegative(chunks: lazyChunks(a, 1 << 16), bits: l) },
                                              { c in try c.anyNonNegative(chunks: lazyChunks(b, 1 << 16), bits: l) })
        // Unstreamed: one MSB batch of all shares, then one OR of the negated MSBs.
        let (_, unstreamed) = try runComparison(seed: 420, { s in try s.revealOR(~s.msbShares(a, bits: l)) },
                                                { c in try c.revealOR(c.msbShares(b, bits: l)) })
        #expect(streamed)
        #expect(streamed == unstreamed)
    }
}
