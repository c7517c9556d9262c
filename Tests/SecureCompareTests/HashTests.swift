import Testing
import SecureCompare

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

    @Test("BLAKE3 official test vectors and reference values")
    func blake3() {
        // Inputs are bytes i mod 251. Lengths 0-3: BLAKE3-team test_vectors.json; the others
        // (block and chunk edges, the OT input sizes) from the reference `blake3` Python package.
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
        ]
        for (length, digest) in expected {
            #expect(hex(BLAKE3.hash((0..<length).map { UInt8($0 % 251) })) == digest, "length \(length)")
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
}
