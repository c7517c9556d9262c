/// Appends little-endian fields and bit-packed integers to a byte buffer.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty writer.
    public init() {}

    /// Appends one byte.
    public mutating func write(_ v: UInt8) { bytes.append(v) }

    /// Appends `v` as `width` little-endian bytes (`width <= 8`).
    public mutating func write(_ v: UInt64, width: Int) {
        for k in 0..<width { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(k)))) }
    }

    /// Appends raw bytes.
    public mutating func write(bytes b: [UInt8]) { bytes.append(contentsOf: b) }

    /// Appends `values.count / wordsPerValue` integers of `wordsPerValue` little-endian words
    /// each, bit-packed at `bits` bits per integer (LSB first), padded to a whole byte.
    public mutating func writePacked(_ values: [UInt64], wordsPerValue: Int = 1, bits: Int) {
        var acc: UInt64 = 0
        var filled = 0
        let count = values.count / wordsPerValue
        for v in 0..<count {
            var remaining = bits
            var word = 0
            while remaining > 0 {
                let take = min(64, remaining)
                let w = word < wordsPerValue ? values[v * wordsPerValue + word] : 0
                let chunk = take == 64 ? w : w & ((1 << UInt64(take)) - 1)
                // Push `take` bits of chunk into the accumulator, flushing whole bytes.
                var pending = chunk
                var pendingBits = take
                while pendingBits > 0 {
                    let space = 64 - filled
                    let n = min(space, pendingBits)
                    let part = n == 64 ? pending : pending & ((1 << UInt64(n)) - 1)
                    acc |= part << UInt64(filled)
                    filled += n
                    pending = n == 64 ? 0 : pending >> UInt64(n)
                    pendingBits -= n
                    while filled >= 8 {
                        bytes.append(UInt8(truncatingIfNeeded: acc))
                        acc >>= 8
                        filled -= 8
                    }
                }
                remaining -= take
                word += 1
            }
        }
        if filled > 0 { bytes.append(UInt8(truncatingIfNeeded: acc)) }
    }
}

/// Reads what `ByteWriter` wrote, validating every length. Errors are `BFVError.malformed`
/// naming the field; nothing is allocated beyond what the remaining input can hold.
public struct ByteReader: Sendable {
    let bytes: [UInt8]
    /// The read position.
    public private(set) var offset = 0

    /// A reader over `bytes`.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Bytes left to read.
    public var remaining: Int { bytes.count - offset }

    /// Reads one byte.
    public mutating func readByte(_ field: String) throws(BFVError) -> UInt8 {
        guard remaining >= 1 else { throw BFVError.malformed("\(field): truncated") }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Reads `width` little-endian bytes as an integer.
    public mutating func read(width: Int, _ field: String) throws(BFVError) -> UInt64 {
        guard remaining >= width else { throw BFVError.malformed("\(field): truncated") }
        var v: UInt64 = 0
        for k in 0..<width { v |= UInt64(bytes[offset + k]) << (8 * UInt64(k)) }
        offset += width
        return v
    }

    /// Reads `count` raw bytes.
    public mutating func readBytes(_ count: Int, _ field: String) throws(BFVError) -> [UInt8] {
        guard count >= 0, remaining >= count else { throw BFVError.malformed("\(field): truncated") }
        defer { offset += count }
        return Array(bytes[offset ..< offset + count])
    }

    /// Reads `count` bit-packed integers of `bits` bits into `wordsPerValue` words each.
    public mutating func readPacked(count: Int, wordsPerValue: Int = 1, bits: Int, _ field: String) throws(BFVError) -> [UInt64] {
        guard count >= 0, bits >= 1, bits <= 64 * wordsPerValue else { throw BFVError.malformed("\(field): bad size") }
        let byteCount = (count * bits + 7) / 8
        guard remaining >= byteCount else { throw BFVError.malformed("\(field): truncated") }
        var out = [UInt64](repeating: 0, count: count * wordsPerValue)
        var bitPosition = offset * 8
        for v in 0..<count {
            var got = 0
            while got < bits {
                let byteIndex = bitPosition >> 3
                let inByte = bitPosition & 7
                let n = min(8 - inByte, bits - got)
                let piece = (UInt64(bytes[byteIndex]) >> UInt64(inByte)) & ((1 << UInt64(n)) - 1)
                let word = got >> 6
                let shift = got & 63
                out[v * wordsPerValue + word] |= piece << UInt64(shift)
                if shift + n > 64 { out[v * wordsPerValue + word + 1] |= piece >> UInt64(64 - shift) }
                got += n
                bitPosition += n
            }
        }
        // Padding bits must be zero so that every value has one encoding.
        let usedBits = count * bits
        if usedBits % 8 != 0 {
            let last = bytes[offset + byteCount - 1]
            guard last >> UInt8(usedBits % 8) == 0 else { throw BFVError.malformed("\(field): nonzero padding") }
        }
        offset += byteCount
        return out
    }

    /// Throws unless every byte was consumed.
    public func finish(_ field: String) throws(BFVError) {
        guard remaining == 0 else { throw BFVError.malformed("\(field): \(remaining) trailing bytes") }
    }
}
