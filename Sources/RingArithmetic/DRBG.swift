/// A 32-byte seed for the ChaCha20 DRBG. Its bytes are never printed: `description` redacts them.
public struct Seed: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The seed as 32 bytes (serialize only on purpose).
    public let bytes: [UInt8]

    /// A seed from exactly 32 bytes.
    /// - Throws: `RingError.lengthMismatch` for any other length.
    public init(bytes: [UInt8]) throws(RingError) {
        guard bytes.count == 32 else { throw RingError.lengthMismatch(expected: 32, actual: bytes.count) }
        self.bytes = bytes
    }

    @usableFromInline
    init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// A fresh seed from the system's cryptographic generator.
    public static func random() -> Seed {
        var g = SystemRandomNumberGenerator()
        var b = [UInt8](repeating: 0, count: 32)
        for i in 0..<4 {
            let w = g.next()
            for k in 0..<8 { b[8 * i + k] = UInt8(truncatingIfNeeded: w >> (8 * k)) }
        }
        return Seed(unchecked: b)
    }

    public var description: String { "Seed(<redacted>)" }
    /// Redacted, like `description`.
    public var debugDescription: String { description }
}

/// A deterministic random bit generator: the ChaCha20 key stream (RFC 8439 block function)
/// under a 32-byte seed, with the 96-bit nonce holding a 64-bit stream number so that one seed
/// yields independent sub-streams. Each stream produces the whole refills that fit in 2^32
/// blocks (256 GiB), then traps; no block counter is ever used twice. Output is buffered five
/// blocks at a time (eight in the native build); `next()` costs about 5 ns per 8 bytes, bulk
/// `fill(words:count:)` about 0.6 ns per byte.
///
/// A generator is a value: a copy repeats the original's future output exactly. Never hand
/// copies of one generator to two users of randomness (two sessions, two queries): they would
/// draw identical keys, masks and flooding. Sessions take a `RandomSource` instead; APIs that
/// take `inout ChaChaDRBG` advance the caller's generator, which must not be restarted from a
/// saved copy.
public struct ChaChaDRBG: RandomNumberGenerator, Sendable {
    @usableFromInline var key: [UInt32]
    @usableFromInline let nonce: (UInt32, UInt32, UInt32)
    @usableFromInline var counter: UInt32 = 0
    @usableFromInline var exhausted = false
    /// Blocks per refill: eight with wide native SIMD, otherwise five (four in vector lanes and
    /// one in scalar registers, see `ChaCha20.fiveBlocks`).
    #if CRYPTOMASK_WIDE_SIMD
    @usableFromInline static let blocks = 8
    #else
    @usableFromInline static let blocks = 5
    #endif
    @usableFromInline var buffer = [UInt32](repeating: 0, count: 16 * ChaChaDRBG.blocks)
    @usableFromInline var position = 16 * ChaChaDRBG.blocks

    /// A generator for sub-stream `stream` of `seed`.
    public init(seed: Seed, stream: UInt64 = 0) {
        key = (0..<8).map { ChaCha20.littleEndianWord(seed.bytes, 4 * $0) }
        nonce = (UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32), 0x434d_534b)
    }

    /// A generator seeded from the system's cryptographic generator.
    public static func fresh() -> ChaChaDRBG { ChaChaDRBG(seed: .random()) }

    @usableFromInline
    mutating func refill() {
        var block = buffer
        buffer = []
        block.withUnsafeMutableBufferPointer { generate(into: $0.baseAddress!) }
        buffer = block
        position = 0
    }

    /// Writes the next `blocks` key-stream blocks (`16 * blocks` words) to `out` and advances
    /// the counter.
    @usableFromInline
    mutating func generate(into out: UnsafeMutablePointer<UInt32>) {
        // Every block counter is used at most once: a refill that would wrap past 2^32 traps,
        // and one that ends exactly there marks the stream exhausted.
        precondition(!exhausted && UInt64(counter) + UInt64(ChaChaDRBG.blocks) <= 1 << 32,
                     "ChaChaDRBG stream exhausted (2^32 blocks)")
        let n = nonce
        let start = counter
        key.withUnsafeBufferPointer { k in
            if ChaChaDRBG.blocks == 8 {
                ChaCha20.eightBlocks(key: k.baseAddress!, counter: start, nonce: n, into: out)
            } else {
                ChaCha20.fiveBlocks(key: k.baseAddress!, counter: start, nonce: n, into: out)
            }
        }
        counter &+= UInt32(ChaChaDRBG.blocks)
        if counter == 0 { exhausted = true }
    }

    /// The next 32 random bits. Mixing `next32()` with `next()` may skip a word at a buffer
    /// boundary, whose position depends on the build (5 or 8 blocks per refill): streams that two
    /// parties must expand identically use `next()` only.
    @inlinable
    public mutating func next32() -> UInt32 {
        if position == buffer.count { refill() }
        defer { position += 1 }
        return buffer[position]
    }

    /// The next 64 random bits.
    @inlinable
    public mutating func next() -> UInt64 {
        // A word pair never straddles a refill: an odd last word is skipped.
        if position >= buffer.count - 1 { refill() }
        let lo = UInt64(buffer[position]), hi = UInt64(buffer[position + 1])
        position += 2
        return lo | hi << 32
    }

    /// Writes the next `count` 64-bit words to `words`: the same words as `count` calls of
    /// `next()`. Whole refills are generated in place; the rest is copied from the buffer.
    /// Cost: about 0.6 ns per byte (ChaCha20), without the per-word overhead of `next()`.
    public mutating func fill(words: UnsafeMutablePointer<UInt64>, count: Int) {
        var done = 0
        while done < count {
            #if _endian(little)
            // Whole refills go straight to `words`: on a little-endian host a 64-bit word is
            // its two 32-bit halves in memory order, which is exactly what `next()` composes.
            let refillWords = 8 * ChaChaDRBG.blocks
            if position >= buffer.count - 1 && count - done >= refillWords {
                (words + done).withMemoryRebound(to: UInt32.self, capacity: 2 * refillWords) { generate(into: $0) }
                done += refillWords
                continue
            }
            #endif
            if position >= buffer.count - 1 { refill() }
            let run = min(count - done, (buffer.count - position) / 2)
            buffer.withUnsafeBufferPointer { b in
                for k in 0..<run {
                    words[done + k] = UInt64(b[position + 2 * k]) | UInt64(b[position + 2 * k + 1]) << 32
                }
            }
            position += 2 * run
            done += run
        }
    }

    /// Fills `bytes` with random bytes.
    public mutating func fill(_ bytes: inout [UInt8]) {
        var i = 0
        while i < bytes.count {
            let w = next()
            for k in 0..<min(8, bytes.count - i) { bytes[i + k] = UInt8(truncatingIfNeeded: w >> (8 * k)) }
            i += 8
        }
    }

    /// An independent generator seeded from this one (for a sub-protocol or a thread).
    public mutating func split() -> ChaChaDRBG { ChaChaDRBG(seed: nextSeed()) }

    /// A new seed drawn from this stream (to derive further independent generators).
    public mutating func nextSeed() -> Seed {
        var b = [UInt8](repeating: 0, count: 32)
        fill(&b)
        return Seed(unchecked: b)
    }
}
