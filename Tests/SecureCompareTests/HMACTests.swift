import Testing
import SecureCompare

@Suite("HMAC-SHA-256")
struct HMACTests {
    /// RFC 4231 section 4, test cases 1-7 (HMAC-SHA-256 column; case 5 truncated to 128 bits).
    static let rfc4231: [(key: [UInt8], data: [UInt8], tag: String)] = [
        ([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        ([UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        ((1...25).map { UInt8($0) }, [UInt8](repeating: 0xcd, count: 50),
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        ([UInt8](repeating: 0x0c, count: 20), Array("Test With Truncation".utf8),
         "a3b6167473100ee06e0c796c2955552b"),
        ([UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        ([UInt8](repeating: 0xaa, count: 131),
         Array("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".utf8),
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ]

    @Test("RFC 4231 test cases 1-7", arguments: 0..<7)
    func rfc4231(index: Int) {
        let c = HMACTests.rfc4231[index]
        let tag = HMAC.authenticate(c.data, key: c.key)
        #expect(hex(Array(tag.prefix(c.tag.count / 2))) == c.tag, "case \(index + 1)")
    }

    /// Keys of exactly one block (used as is) and one byte more (hashed first); expected tags
    /// from Python's `hmac` module, an independent implementation.
    @Test("keys at and past the 64-byte block size")
    func blockSizeKeys() {
        let key = (0..<65).map { UInt8(($0 * 7 + 1) % 256) }
        let data = (0..<1000).map { UInt8($0 % 251) }
        #expect(hex(HMAC.authenticate(data, key: key)) == "2bbbab4421db6ff5aa12592e5ce563095b3b673d92e259fc33a6962543247d2a")
        #expect(hex(HMAC.authenticate(data, key: Array(key.prefix(64)))) == "0507785ef788501fa8da37e63ea95eb365f9bb6847157ea1e766f6ea9cf2b1b0")
    }

    @Test("a message taken in pieces gives the tag of the whole; reset starts over")
    func incremental() {
        let key = [UInt8](repeating: 0x42, count: 32)
        let data = (0..<5000).map { UInt8(truncatingIfNeeded: $0 * 31 + 7) }
        let whole = HMAC.authenticate(data, key: key)
        for cut in [[0, 1, 63, 64, 65, 4999], [7, 128, 1000], [2500]] {
            var h = HMAC(key: key)
            var start = 0
            for end in cut + [data.count] {
                h.update(Array(data[start..<end]))
                start = end
            }
            #expect(h.finalize() == whole, "cut at \(cut)")
            h.reset()
            data.withUnsafeBytes { h.update($0) }
            #expect(h.finalize() == whole)
        }
        // SHA-256 in pieces too, across block edges.
        var s = SHA256.Hasher()
        s.update(Array(data[0..<100])); s.update([]); s.update(Array(data[100...]))
        #expect(s.finalize() == SHA256.hash(data))
    }

    @Test("constant-time equality")
    func equality() {
        #expect(HMAC.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!HMAC.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!HMAC.constantTimeEqual([1, 2, 3], [1, 2]))
        #expect(HMAC.constantTimeEqual([], []))
    }
}
