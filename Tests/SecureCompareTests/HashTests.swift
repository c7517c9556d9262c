import Testing
import SecureCompare
import RingArithmetic

func hex(_ b: [UInt8]) -> String { b.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() }

@Suite("Hashes")
struct HashTests {
    @Test("SHA-256 FIPS 180-4 vectors")
    func sha256() {
        #expect(hex(SHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hex(SHA256.hash([UInt8](repeating: 0x61, count: 1_000_000)))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("BLAKE2s RFC 7693 and official KAT vectors")
    func blake2s() {
        #expect(hex(BLAKE2s.hash(Array("abc".utf8))) == "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982")
        let key = (0..<32).map { UInt8($0) }
        #expect(hex(BLAKE2s.hash([], key: key)) == "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49")
        #expect(hex(BLAKE2s.hash([0], key: key)) == "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1")
        #expect(hex(BLAKE2s.hash((0..<63).map { UInt8($0) })) == "e57cb79487dd57902432b250733813bd96a84efce59f650fac26e6696aefafc3")
        #expect(hex(BLAKE2s.hash((0..<64).map { UInt8($0) })) == "56f34e8b96557e90c1f24b52d0c89d51086acf1b00f634cf1dde9233b8eaaa3e")
    }

    @Test("BLAKE3 official test vectors and reference values, one block to a 100-chunk tree")
    func blake3() {
        // Inputs are bytes i mod 251. Lengths 0-3: BLAKE3-team test_vectors.json; the others
        // (block, chunk and tree edges, the OT input sizes) from the reference `blake3` Python
        // package, an independent implementation.
        let expected: [(Int, String)] = [
            (0, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"),
            (1, "2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213"),
            (2, "7b7015bb92cf0b318037702a6cdd81dee41224f734684c2c122cd6359cb1ee63"),
            (3, "e1be4d7a8ab5560aa4199eea339849ba8e293d55ca0a81006726d184519e647f"),
            (24, "0b3ab94011d18786d51ed60c6b3fa6ce1b10b14d66d594836b2cc38451f7a8d6"),
            (40, "9563a50f070b26eeaa1ee0a6ac95b8ba9168c32b1af71af2fe55a8b4e268ce5e"),
            (63, "e9bc37a594daad83be9470df7f7b3798297c3d834ce80ba85d6e207627b7db7b"),
            (64, "4eed7141ea4a5cd4b788606bd23f46e212af9cacebacdc7d1f4c6dc7f2511b98"),
            (65, "de1e5fa0be70df6d2be8fffd0e99ceaa8eb6e8c93a63f2d8d1c30ecb6b263dee"),
            (1023, "10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11"),
            (1024, "42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7"),
            (1025, "d00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444"),
            (2048, "e776b6028c7cd22a4d0ba182a8bf62205d2ef576467e838ed6f2529b85fba24a"),
            (2049, "5f4d72f40d7a5f82b15ca2b2e44b1de3c2ef86c426c95c1af0b6879522563030"),
            (3072, "b98cb0ff3623be03326b373de6b9095218513e64f1ee2edd2525c7ad1e5cffd2"),
            (3073, "7124b49501012f81cc7f11ca069ec9226cecb8a2c850cfe644e327d22d3e1cd3"),
            (4096, "015094013f57a5277b59d8475c0501042c0b642e531b0a1c8f58d2163229e969"),
            (4097, "9b4052b38f1c5fc8b1f9ff7ac7b27cd242487b3d890d15c96a1c25b8aa0fb995"),
            (5121, "628bd2cb2004694adaab7bbd778a25df25c47b9d4155a55f8fbd79f2fe154cff"),
            (7169, "a003fc7a51754a9b3c7fae0367ab3d782dccf28855a03d435f8cfe74605e7817"),
            (8192, "aae792484c8efe4f19e2ca7d371d8c467ffb10748d8a5a1ae579948f718a2a63"),
            (8193, "bab6c09cb8ce8cf459261398d2e7aef35700bf488116ceb94a36d0f5f1b7bc3b"),
            (31744, "62b6960e1a44bcc1eb1a611a8d6235b6b4b78f32e7abc4fb4c6cdcce94895c47"),
            (102400, "bc3e3d41a1146b069abffad3c0d44860cf664390afce4d9661f7902e7943e085"),
        ]
        for (length, digest) in expected {
            #expect(hex(BLAKE3.hash((0..<length).map { UInt8($0 % 251) })) == digest, "length \(length)")
        }
        // 64-byte extended outputs of one-block messages (reference `blake3` package).
        let extended: [(Int, String)] = [
            (24, "0b3ab94011d18786d51ed60c6b3fa6ce1b10b14d66d594836b2cc38451f7a8d64aa9525d5caaadb720966bcdd75b8df6eb8342428915f987ea45291964d96874"),
            (63, "e9bc37a594daad83be9470df7f7b3798297c3d834ce80ba85d6e207627b7db7b1197012b1e7d9af4d7cb7bdd1f3bb49a90a9b5dec3ea2bbc6eaebce77f4e470c"),
        ]
        for (length, digest) in extended {
            var words = [UInt32](repeating: 0, count: 64)
            for l in 0..<4 { for i in 0..<length { words[16 * l + i / 4] |= UInt32(i % 251) << (8 * UInt32(i % 4)) } }
            var out = [UInt32](repeating: 0, count: 64)
            BLAKE3.extendedBlocks4(words, length: length, into: &out)
            for l in 0..<4 {
                let bytes = (0..<64).map { UInt8(truncatingIfNeeded: out[16 * l + $0 / 4] >> (8 * UInt32($0 % 4))) }
                #expect(hex(bytes) == digest, "length \(length) lane \(l)")
            }
        }
    }

    @Test("four- and eight-lane BLAKE2s and BLAKE3 equal their scalar hashes", arguments: ["BLAKE2s", "BLAKE3"], [4, 8])
    func lanes(hash: String, width: Int) {
        typealias Lanes = (UnsafePointer<UInt32>, Int, UnsafeMutablePointer<UInt32>) -> Void
        let simd: Lanes = switch (hash, width) {
        case ("BLAKE2s", 8): { BLAKE2s.hashBlocks8($0, length: $1, into: $2) }
        case ("BLAKE2s", _): { BLAKE2s.hashBlocks4($0, length: $1, into: $2) }
        case (_, 8): { BLAKE3.hashBlocks8($0, length: $1, into: $2) }
        default: { BLAKE3.hashBlocks4($0, length: $1, into: $2) }
        }
        let scalar: ([UInt8]) -> [UInt8] = hash == "BLAKE2s" ? { BLAKE2s.hash($0, digestLength: 16) } : { Array(BLAKE3.hash($0).prefix(16)) }
        for length in [0, 1, 20, 24, 40, 63, 64] {
            var messages: [[UInt8]] = []
            var words = [UInt32](repeating: 0, count: 16 * width)
            for l in 0..<width {
                let m = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 7 + l * 31 + 1) }
                messages.append(m)
                for i in 0..<length { words[16 * l + i / 4] |= UInt32(m[i]) << (8 * UInt32(i % 4)) }
            }
            var out = [UInt32](repeating: 0, count: 4 * width)
            words.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { o in simd(w.baseAddress!, length, o.baseAddress!) }
            }
            for l in 0..<width {
                let bytes = (0..<16).map { UInt8(truncatingIfNeeded: out[4 * l + $0 / 4] >> (8 * UInt32($0 % 4))) }
                #expect(bytes == scalar(messages[l]), "\(hash) length \(length) lane \(l)")
            }
        }
    }

    @Test("OTHash is BLAKE3(tweak || x) truncated to 16 bytes, for 128- and 256-bit x, short and parallel batches",
          arguments: [0, 1, 3, 4, 7, 16384 + 5])
    func otHash(count: Int) {
        var rng = ChaChaDRBG(seed: Seed.random())
        let tweaks = (0..<count).map { _ in rng.next() }
        let blocks = (0..<count).map { _ in Block.random(&rng) }
        let second = (0..<count).map { _ in Block.random(&rng) }
        let first = rng.next()
        let narrow = OTHash.hash(tweaks: tweaks, blocks: blocks)
        #expect(narrow.count == count)
        let consecutive = OTHash.hash(firstTweak: first, blocks: blocks)
        let wide = OTHash.hash(tweaks: tweaks, wide: Array(zip(blocks, second)))
        @inline(__always) func le(_ x: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: x >> (8 * UInt64($0))) } }
        func reference(_ message: [UInt8]) -> [UInt8] { Array(BLAKE3.hash(message).prefix(16)) }
        // Every index of small batches; in the parallel batch the ends of each eighth and a sample.
        var indices = Set<Int>()
        if count < 100 {
            indices = Set(0..<count)
        } else {
            for part in 0...8 {
                let edge = part * count / 8
                indices.insert(max(0, edge - 1))
                indices.insert(min(count - 1, edge))
            }
            for _ in 0..<64 { indices.insert(Int(rng.next() % UInt64(count))) }
        }
        for i in indices.sorted() {
            #expect(narrow[i].bytes == reference(le(tweaks[i]) + blocks[i].bytes), "narrow \(i) of \(count)")
            #expect(consecutive[i].bytes == reference(le(first &+ UInt64(i)) + blocks[i].bytes), "consecutive \(i) of \(count)")
            #expect(wide[i].bytes == reference(le(tweaks[i]) + blocks[i].bytes + second[i].bytes), "wide \(i) of \(count)")
        }
    }
}
