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

    @Test("four- and eight-lane BLAKE2s equal the scalar hash", arguments: [4, 8])
    func lanes(width: Int) {
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
                out.withUnsafeMutableBufferPointer { o in
                    if width == 8 {
                        BLAKE2s.hashBlocks8(w.baseAddress!, length: length, into: o.baseAddress!)
                    } else {
                        BLAKE2s.hashBlocks4(w.baseAddress!, length: length, into: o.baseAddress!)
                    }
                }
            }
            for l in 0..<width {
                let bytes = (0..<16).map { UInt8(truncatingIfNeeded: out[4 * l + $0 / 4] >> (8 * UInt32($0 % 4))) }
                #expect(bytes == BLAKE2s.hash(messages[l], digestLength: 16), "length \(length) lane \(l)")
            }
        }
    }
}
