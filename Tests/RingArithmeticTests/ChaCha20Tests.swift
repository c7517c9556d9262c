import Testing
import RingArithmetic

@Suite("ChaCha20 and DRBG")
struct ChaCha20Tests {
    let rfcKey = (0..<32).map { UInt8($0) }

    @Test("RFC 8439 section 2.3.2 block function")
    func block() {
        let expected = hexBytes("""
            10 f1 e7 e4 d1 3b 59 15 50 0f dd 1f a3 20 71 c4 c7 d1 f4 c7 33 c0 68 03 04 22 aa 9a c3 d4 6c 4e
            d2 82 64 46 07 9f aa 09 14 c2 d7 05 d9 8b 02 a2 b5 12 9c d1 de 16 4e b9 cb d0 83 e8 a2 50 3c 4e
            """)
        // Key stream = encryption of zeros.
        let out = ChaCha20.xor([UInt8](repeating: 0, count: 64), key: rfcKey,
                               nonce: hexBytes("000000090000004a00000000"), counter: 1)
        #expect(out == expected)
    }

    @Test("RFC 8439 section 2.4.2 encryption")
    func encryption() {
        let plaintext = Array("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8)
        let expected = hexBytes("""
            6e 2e 35 9a 25 68 f9 80 41 ba 07 28 dd 0d 69 81 e9 7e 7a ec 1d 43 60 c2 0a 27 af cc fd 9f ae 0b
            f9 1b 65 c5 52 47 33 ab 8f 59 3d ab cd 62 b3 57 16 39 d6 24 e6 51 52 ab 8f 53 0c 35 9f 08 61 d8
            07 ca 0d bf 50 0d 6a 61 56 a3 8e 08 8a 22 b6 5e 52 bc 51 4d 16 cc f8 06 81 8c e9 1a b7 79 37 36
            5a f9 0b bf 74 a3 5b e6 b4 0b 8e ed f2 78 5e 42 87 4d
            """)
        let nonce = hexBytes("000000000000004a00000000")
        let ct = ChaCha20.xor(plaintext, key: rfcKey, nonce: nonce, counter: 1)
        #expect(ct == expected)
        #expect(ChaCha20.xor(ct, key: rfcKey, nonce: nonce, counter: 1) == plaintext)
    }

    @Test("in-place encryption of every length across chunk edges equals the block function's key stream")
    func inPlaceLengths() {
        let key = (0..<8).map { UInt32($0 * 0x0303_0303 + 1) }
        let nonce: (UInt32, UInt32, UInt32) = (7, 0, 9)
        // The reference: block after block from counter 3, bytes of each word little-endian.
        var stream: [UInt8] = []
        var words = [UInt32](repeating: 0, count: 16)
        for b in 0..<30 {
            key.withUnsafeBufferPointer { k in
                words.withUnsafeMutableBufferPointer { ChaCha20.block(key: k.baseAddress!, counter: 3 + UInt32(b), nonce: nonce, into: $0.baseAddress!) }
            }
            for w in words { for s in 0..<4 { stream.append(UInt8(truncatingIfNeeded: w >> (8 * UInt32(s)))) } }
        }
        for length in [0, 1, 7, 8, 63, 64, 65, 255, 256, 257, 319, 320, 321, 511, 512, 513, 1000, 1919] {
            var bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 13 + 5) }
            let expected = (0..<length).map { bytes[$0] ^ stream[$0] }
            key.withUnsafeBufferPointer { k in
                bytes.withUnsafeMutableBytes { ChaCha20.xor($0, key: k.baseAddress!, nonce: nonce, counter: 3) }
            }
            #expect(bytes == expected, "length \(length)")
            // Out of place: the source is left as it was.
            var copy = [UInt8](repeating: 0, count: length)
            let source = bytes
            key.withUnsafeBufferPointer { k in
                source.withUnsafeBytes { s in copy.withUnsafeMutableBytes { ChaCha20.xor(s, into: $0.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 8)!, key: k.baseAddress!, nonce: nonce, counter: 3) } }
            }
            #expect(copy == (0..<length).map { bytes[$0] ^ stream[$0] } && source == bytes, "length \(length), out of place")
        }
    }

    @Test("four-, five- and eight-block versions equal the block function")
    func simdBlocks() {
        let key = (0..<8).map { UInt32($0 * 0x0101_0101) }
        var reference = [UInt32](repeating: 0, count: 128), four = reference, eight = reference, five = reference
        key.withUnsafeBufferPointer { k in
            for b in 0..<8 { reference.withUnsafeMutableBufferPointer { ChaCha20.block(key: k.baseAddress!, counter: 5 + UInt32(b), nonce: (1, 2, 3), into: $0.baseAddress! + 16 * b) } }
            four.withUnsafeMutableBufferPointer {
                ChaCha20.fourBlocks(key: k.baseAddress!, counter: 5, nonce: (1, 2, 3), into: $0.baseAddress!)
                ChaCha20.fourBlocks(key: k.baseAddress!, counter: 9, nonce: (1, 2, 3), into: $0.baseAddress! + 64)
            }
            eight.withUnsafeMutableBufferPointer { ChaCha20.eightBlocks(key: k.baseAddress!, counter: 5, nonce: (1, 2, 3), into: $0.baseAddress!) }
            five.withUnsafeMutableBufferPointer { ChaCha20.fiveBlocks(key: k.baseAddress!, counter: 5, nonce: (1, 2, 3), into: $0.baseAddress!) }
        }
        #expect(five[0..<80] == reference[0..<80])
        #expect(four == reference)
        #expect(eight == reference)
    }

    @Test("DRBG is deterministic per seed and stream, and streams differ")
    func drbg() throws {
        let seed = try Seed(bytes: rfcKey)
        var a = ChaChaDRBG(seed: seed, stream: 1)
        var b = ChaChaDRBG(seed: seed, stream: 1)
        var c = ChaChaDRBG(seed: seed, stream: 2)
        let xa = (0..<100).map { _ in a.next() }
        #expect(xa == (0..<100).map { _ in b.next() })
        #expect(xa != (0..<100).map { _ in c.next() })
        // The stream is the RFC key stream with nonce (stream, 0, tag) from counter 0.
        var d = ChaChaDRBG(seed: seed, stream: 0)
        var bytes = [UInt8](repeating: 0, count: 64)
        d.fill(&bytes)
        #expect(bytes == ChaCha20.xor([UInt8](repeating: 0, count: 64), key: rfcKey,
                                      nonce: [0, 0, 0, 0, 0, 0, 0, 0, 0x4b, 0x53, 0x4d, 0x43], counter: 0))
        #expect("\(seed)" == "Seed(<redacted>)")
        #expect(throws: RingError.self) { try Seed(bytes: [1, 2, 3]) }
    }

    @Test("DRBG words across many refills are the RFC key stream, through next() and fill(words:) alike")
    func drbgRefills() throws {
        let seed = try Seed(bytes: rfcKey)
        // 41 blocks: several refills of any size (5 or 8 blocks) and a partial one.
        let stream = ChaCha20.xor([UInt8](repeating: 0, count: 41 * 64), key: rfcKey,
                                  nonce: [7, 0, 0, 0, 0, 0, 0, 0, 0x4b, 0x53, 0x4d, 0x43], counter: 0)
        var expected = [UInt64](repeating: 0, count: stream.count / 8)
        for (i, byte) in stream.enumerated() { expected[i / 8] |= UInt64(byte) << UInt64(8 * (i % 8)) }
        var g = ChaChaDRBG(seed: seed, stream: 7)
        #expect((0..<expected.count).map { _ in g.next() } == expected)
        // Irregular chunks: some inside a refill, some spanning several, some whole refills.
        var h = ChaChaDRBG(seed: seed, stream: 7)
        var words = [UInt64](repeating: 0, count: expected.count)
        var done = 0
        for chunk in [1, 7, 40, 3, 80, 33, 2, 64].cycled() {
            let n = min(chunk, expected.count - done)
            if n == 0 { break }
            words.withUnsafeMutableBufferPointer { h.fill(words: $0.baseAddress! + done, count: n) }
            done += n
        }
        #expect(words == expected)
    }
}

extension Array {
    /// The elements repeated without end.
    func cycled() -> UnfoldSequence<Element, Int> {
        sequence(state: 0) { i in
            defer { i = (i + 1) % count }
            return self[i]
        }
    }
}
