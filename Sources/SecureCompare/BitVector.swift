import RingArithmetic

/// A packed vector of bits (bit `i` is bit `i % 64` of word `i / 64`); unused high bits of the
/// last word are zero. Used for choice bits, XOR shares and protocol messages.
public struct BitVector: Sendable, Equatable {
    /// The number of bits.
    public let count: Int
    /// The packed words.
    public internal(set) var words: [UInt64]

    /// `count` zero bits.
    public init(count: Int) {
        self.count = count
        words = [UInt64](repeating: 0, count: (count + 63) / 64)
    }

    /// Bits from booleans.
    public init(_ bits: [Bool]) {
        self.init(count: bits.count)
        for (i, b) in bits.enumerated() where b { words[i >> 6] |= 1 << UInt64(i & 63) }
    }

    /// `count` uniformly random bits.
    public static func random(count: Int, rng: inout ChaChaDRBG) -> BitVector {
        var v = BitVector(count: count)
        for i in v.words.indices { v.words[i] = rng.next() }
        v.clearTail()
        return v
    }

    init(count: Int, words: [UInt64]) {
        self.count = count
        self.words = words
        clearTail()
    }

    mutating func clearTail() {
        if count % 64 != 0, !words.isEmpty { words[words.count - 1] &= (1 << UInt64(count % 64)) - 1 }
    }

    /// Bit `i`.
    public subscript(i: Int) -> Bool {
        get { (words[i >> 6] >> UInt64(i & 63)) & 1 == 1 }
        set {
            if newValue { words[i >> 6] |= 1 << UInt64(i & 63) } else { words[i >> 6] &= ~(1 << UInt64(i & 63)) }
        }
    }

    /// The bits as booleans.
    public var bools: [Bool] { (0..<count).map { self[$0] } }

    /// Bitwise XOR (equal counts).
    public static func ^ (a: BitVector, b: BitVector) -> BitVector {
        precondition(a.count == b.count)
        return BitVector(count: a.count, words: zip(a.words, b.words).map { $0 ^ $1 })
    }

    /// Bitwise AND (equal counts).
    public static func & (a: BitVector, b: BitVector) -> BitVector {
        precondition(a.count == b.count)
        return BitVector(count: a.count, words: zip(a.words, b.words).map { $0 & $1 })
    }

    /// Bitwise NOT.
    public static prefix func ~ (a: BitVector) -> BitVector {
        BitVector(count: a.count, words: a.words.map { ~$0 })
    }

    /// The number of set bits.
    public var popCount: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// Bits `range` as a new vector.
    /// Word-level: two shifts per output word, whatever the alignment of `range`.
    public func slice(_ range: Range<Int>) -> BitVector {
        precondition(range.lowerBound >= 0 && range.upperBound <= count)
        var out = BitVector(count: range.count)
        let base = range.lowerBound >> 6, shift = UInt64(range.lowerBound & 63)
        for w in out.words.indices {
            let low = base + w < words.count ? words[base + w] >> shift : 0
            let high = shift != 0 && base + w + 1 < words.count ? words[base + w + 1] << (64 - shift) : 0
            out.words[w] = low | high
        }
        out.clearTail()
        return out
    }

    /// Little-endian bytes, `ceil(count / 8)` of them.
    public var bytes: [UInt8] {
        (0..<(count + 7) / 8).map { UInt8(truncatingIfNeeded: words[$0 >> 3] >> (8 * UInt64($0 & 7))) }
    }

    /// Bits from `ceil(count / 8)` little-endian bytes.
    /// - Throws: `SecureCompareError.malformed` for a wrong length or nonzero padding.
    public init(bytes: [UInt8], count: Int) throws(SecureCompareError) {
        guard bytes.count == (count + 7) / 8 else { throw SecureCompareError.malformed("bit vector of \(bytes.count) bytes for \(count) bits") }
        self.init(count: count)
        for (i, b) in bytes.enumerated() { words[i >> 3] |= UInt64(b) << (8 * UInt64(i & 7)) }
        let before = words
        clearTail()
        guard before == words else { throw SecureCompareError.malformed("bit vector padding is not zero") }
    }
}

extension BitVector {
    /// The concatenation of vectors, word by word.
    public static func concatenate(_ parts: [BitVector]) -> BitVector {
        var out = BitVector(count: parts.reduce(0) { $0 + $1.count })
        var offset = 0
        // Word-level: each source word lands in at most two output words (tails are zero).
        for p in parts {
            let base = offset >> 6, shift = UInt64(offset & 63)
            for (i, w) in p.words.enumerated() {
                out.words[base + i] |= w << shift
                if shift != 0 && base + i + 1 < out.words.count { out.words[base + i + 1] |= w >> (64 - shift) }
            }
            offset += p.count
        }
        return out
    }
}

/// A 128-bit block: OT seeds, OT-extension rows and string-OT messages.
public struct Block: Sendable, Hashable {
    /// Low and high 64 bits.
    public var low: UInt64, high: UInt64

    /// A block from its halves.
    public init(low: UInt64, high: UInt64) { self.low = low; self.high = high }

    /// The zero block.
    public static let zero = Block(low: 0, high: 0)

    /// A uniformly random block.
    public static func random(_ rng: inout ChaChaDRBG) -> Block { Block(low: rng.next(), high: rng.next()) }

    /// XOR.
    @inlinable
    public static func ^ (a: Block, b: Block) -> Block { Block(low: a.low ^ b.low, high: a.high ^ b.high) }

    /// Bit `i` (0 ... 127).
    @inlinable
    public func bit(_ i: Int) -> Bool { ((i < 64 ? low >> UInt64(i) : high >> UInt64(i - 64)) & 1) == 1 }

    /// All ones where `b` is true, else zero (branch-free select mask).
    @inlinable
    public static func mask(_ b: Bool) -> Block {
        let m = 0 &- UInt64(b ? 1 : 0)
        return Block(low: m, high: m)
    }

    /// `a & b`.
    @inlinable
    public static func & (a: Block, b: Block) -> Block { Block(low: a.low & b.low, high: a.high & b.high) }

    /// 16 little-endian bytes.
    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        for k in 0..<8 {
            out[k] = UInt8(truncatingIfNeeded: low >> (8 * UInt64(k)))
            out[8 + k] = UInt8(truncatingIfNeeded: high >> (8 * UInt64(k)))
        }
        return out
    }

    /// A block from 16 little-endian bytes at `offset`.
    static func read(_ b: [UInt8], _ offset: Int) -> Block {
        var low: UInt64 = 0, high: UInt64 = 0
        for k in 0..<8 { low |= UInt64(b[offset + k]) << (8 * UInt64(k)) }
        for k in 0..<8 { high |= UInt64(b[offset + 8 + k]) << (8 * UInt64(k)) }
        return Block(low: low, high: high)
    }
}
