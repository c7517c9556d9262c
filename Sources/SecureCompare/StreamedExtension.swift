import RingArithmetic

/// The chunked core shared by IKNP (128 columns) and KK13 (256 columns): the receiver's `u`
/// matrix goes out in one frame per chunk of at most `chunkWords * 64` extensions, and each
/// side transposes a chunk into rows and hands them on while the chunk is in cache. The
/// receiver sends chunk `c` before it transposes it, and does less work per chunk than the
/// sender, so the sender starts after one chunk and never waits again.
///
/// Bytes: `8 * columns * words` for `words = ceil(m / 128) * 2` plus 5 per frame, from receiver
/// to sender; frames hold `8 * columns * min(words, chunkWords)` bytes (the last one fewer).
enum StreamedExtension {
    /// Words per column in one chunk (2^15 extensions: 512 KB of columns for 128 of them).
    static let chunkWords = 512

    /// Words between the starts of two columns of a chunk buffer: the chunk plus one cache line,
    /// so the 128 column words a transpose tile gathers fall in different cache sets (with a
    /// stride of exactly 4 KB they all map to one set and evict each other).
    static func columnStride(_ chunk: Int) -> Int { chunk + 8 }

    /// Receiver: for `m` extensions with choice matrix column `i` at
    /// `choices[(i % period) * words ..<]`, sends `u` chunk by chunk and calls
    /// `body(rows, first)` with the rows `t_j` of extensions `first ..< first + count`, one
    /// buffer per 128 columns (valid during the call).
    static func receiver(channel: Channel, _ g0: inout [ChaChaDRBG], _ g1: inout [ChaChaDRBG], m: Int,
                         choices: [UInt64], period: Int,
                         body: ([UnsafeBufferPointer<Block>], Int) -> Void) throws(SecureCompareError) {
        let words = IKNP.padded(m) / 64
        let chunk = min(words, chunkWords), stride = columnStride(chunk), groups = g0.count / 128
        var t = [UInt64](repeating: 0, count: g0.count * stride)
        var rows = [Block](repeating: .zero, count: groups * 64 * chunk)
        var w0 = 0
        while w0 < words {
            let range = w0..<min(words, w0 + chunk)
            let u = t.withUnsafeMutableBufferPointer { tb in
                choices.withUnsafeBufferPointer { c in
                    ExtensionColumns.receiver(&g0, &g1, words: words, range: range, t: tb.baseAddress!, stride: stride,
                                              choices: c.baseAddress!, period: period)
                }
            }
            try channel.send(.otExtension, u)
            transposeAndHandOn(t, stride: stride, range: range, m: m, rows: &rows, body: body)
            w0 = range.upperBound
        }
    }

    /// Sender: receives `u` chunk by chunk for `m` extensions and calls `body(rows, first)` with
    /// the rows `q_j` (one buffer per 128 columns) of each chunk.
    /// - Throws: `SecureCompareError.malformed` for a frame of the wrong size.
    static func sender(channel: Channel, _ generators: inout [ChaChaDRBG], secretBits: [Bool], m: Int,
                       body: ([UnsafeBufferPointer<Block>], Int) -> Void) throws(SecureCompareError) {
        let words = IKNP.padded(m) / 64
        let columns = generators.count
        let chunk = min(words, chunkWords), stride = columnStride(chunk), groups = columns / 128
        var q = [UInt64](repeating: 0, count: columns * stride)
        var rows = [Block](repeating: .zero, count: groups * 64 * chunk)
        var w0 = 0
        while w0 < words {
            // One u frame per chunk, processed as soon as it arrives.
            let range = w0..<min(words, w0 + chunk)
            let u = try channel.receive(.otExtension)
            guard u.count == columns * range.count * 8 else {
                throw SecureCompareError.malformed("OT extension matrix part of \(u.count) bytes, expected \(columns * range.count * 8)")
            }
            q.withUnsafeMutableBufferPointer { qb in
                ExtensionColumns.sender(&generators, secretBits: secretBits, u: u, words: range.count, range: 0..<range.count,
                                        into: qb.baseAddress!, stride: stride)
            }
            transposeAndHandOn(q, stride: stride, range: range, m: m, rows: &rows, body: body)
            w0 = range.upperBound
        }
    }

    /// Rows of every 128-column group of one chunk, then `body` on those of real extensions.
    static func transposeAndHandOn(_ columns: [UInt64], stride: Int, range: Range<Int>, m: Int, rows: inout [Block],
                                   body: ([UnsafeBufferPointer<Block>], Int) -> Void) {
        let groups = columns.count / stride / 128, perGroup = rows.count / groups
        let count = min(64 * range.count, m - 64 * range.lowerBound)
        columns.withUnsafeBufferPointer { c in
            rows.withUnsafeMutableBufferPointer { rb in
                for g in 0..<groups {
                    Transpose.columnsToRows(c.baseAddress! + 128 * g * stride, stride: stride, words: 0..<range.count,
                                            into: rb.baseAddress! + g * perGroup)
                }
                body((0..<groups).map { UnsafeBufferPointer(rebasing: rb[$0 * perGroup ..< $0 * perGroup + count]) }, 64 * range.lowerBound)
            }
        }
    }
}
