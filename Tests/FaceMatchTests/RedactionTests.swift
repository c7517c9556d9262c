import Testing
import BFV
import FaceMatch
import RingArithmetic
import SecureCompare

@Suite("Redaction of secret-bearing values")
struct RedactionTests {
    /// description, debugDescription and dump of `value`.
    func renderings<T>(_ value: T) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        return [String(describing: value), String(reflecting: value), dumped]
    }

    /// Ways the secret bytes could show up in text: as an array prefix, in hex, as the decimal
    /// values of its little-endian 32- and 64-bit words.
    func leaks(_ text: String, _ secret: [UInt8]) -> [String] {
        var patterns = ["\(Array(secret.prefix(6)))".dropLast().description]
        patterns.append(secret.prefix(8).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined())
        for w in stride(from: 0, to: min(secret.count, 32) - 3, by: 4) {
            let v = (0..<4).reduce(UInt32(0)) { $0 | UInt32(secret[w + $1]) << (8 * UInt32($1)) }
            if v > 99_999 { patterns.append("\(v)") }
        }
        for w in stride(from: 0, to: min(secret.count, 32) - 7, by: 8) {
            let v = (0..<8).reduce(UInt64(0)) { $0 | UInt64(secret[w + $1]) << (8 * UInt64($1)) }
            patterns.append("\(v)")
        }
        return patterns.filter { !$0.isEmpty && $0 != "[" && text.contains($0) }
    }

    /// Text must be short, say it is redacted, and contain none of the secret's renderings nor
    /// any long run of digits or of comma-separated numbers (a dumped array).
    func check<T>(_ value: T, secret: [UInt8], _ name: String) {
        for text in renderings(value) {
            #expect(leaks(text, secret).isEmpty, "\(name) leaks: \(text)")
            #expect(text.contains("redacted"), "\(name): \(text)")
            #expect(text.count < 400, "\(name) prints \(text.count) characters")
            #expect(text.firstRange(of: /\d{12,}/) == nil, "\(name): \(text)")
            #expect(text.firstRange(of: /(-?\d+, ){6}/) == nil, "\(name): \(text)")
        }
    }

    @Test("no description, debug description or dump of a secret-bearing value contains its key material")
    func redacted() throws {
        let seedBytes: [UInt8] = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 101) }
        let seed = try Seed(bytes: seedBytes)
        check(seed, secret: seedBytes, "Seed")
        var drbg = ChaChaDRBG(seed: seed)
        _ = drbg.next()
        check(drbg, secret: seedBytes, "ChaChaDRBG")
        check(RandomSource(deterministicSeed: seed), secret: seedBytes, "RandomSource")

        let context = try BFVContext(MatchProfile.small.parameters)
        let sk = SecretKey(context: context, rng: &drbg)
        // The key's own bytes: its ternary coefficients (2 bits each behind a 14-byte header).
        let keyBytes = Array(sk.serializedSecret().dropFirst(14))
        let coefficients = keyBytes.prefix(8).flatMap { b in (0..<4).map { Int8((b >> (2 * $0)) & 3) - 1 } }
        for value in [renderings(sk), renderings(Encryptor(secretKey: sk)), renderings(Decryptor(secretKey: sk))].joined() {
            #expect(!value.contains("\(Array(coefficients.prefix(8)))".dropLast()), "\(value)")
        }
        check(sk, secret: keyBytes, "SecretKey")
        check(Encryptor(secretKey: sk), secret: keyBytes, "Encryptor")
        check(Decryptor(secretKey: sk), secret: keyBytes, "Decryptor")

        let block = Block(low: 0x0123_4567_89ab_cdef, high: 0x7654_3210_fedc_ba98)
        let blockBytes = (0..<16).map { UInt8(truncatingIfNeeded: ($0 < 8 ? block.low : block.high) >> (8 * UInt64($0 % 8))) }
        check(block, secret: blockBytes, "Block")
        var bits = BitVector(count: 200)
        for i in stride(from: 0, to: 200, by: 3) { bits[i] = true }
        check(bits, secret: [], "BitVector")
        let (a, b) = InMemoryChannel.pair()
        check(OTExtensionSender(channel: a, randomness: RandomSource(deterministicSeed: seed)), secret: seedBytes, "OTExtensionSender")
        check(OTExtensionReceiver(channel: b, randomness: RandomSource(deterministicSeed: seed)), secret: seedBytes, "OTExtensionReceiver")
        check(ComparisonServer(channel: a, randomness: RandomSource(deterministicSeed: seed)), secret: seedBytes, "ComparisonServer")
        check(ComparisonClient(channel: b, randomness: RandomSource(deterministicSeed: seed)), secret: seedBytes, "ComparisonClient")

        let parameters = try MatchParameters(dimension: 32, threshold: 0.5)
        let layout = try Layout.optimal(n: 10, parameters: parameters, profile: .small)
        var g = ChaChaDRBG(seed: seed)
        let cipher = QueryCipher(profile: .small, layout: layout, dimension: 32, rng: &g)
        check(cipher, secret: seedBytes, "QueryCipher")
        check(MatchClient(channel: a, dimension: 32, randomness: RandomSource(deterministicSeed: seed)), secret: seedBytes, "MatchClient")
        var db = try FaceDatabase(dimension: 32)
        let template: [Int8] = (0..<32).map { Int8($0 % 7 * 3) - 9 }
        for i in 0..<10 { try db.append(id: UInt64(i), template: template) }
        check(db, secret: template.map { UInt8(bitPattern: $0) }, "FaceDatabase")
        let server = try MatchServer(database: db, parameters: parameters)
        check(server, secret: template.map { UInt8(bitPattern: $0) }, "MatchServer")
        var q = ChaChaDRBG(seed: seed)
        let evaluated = try server.evaluateQuery(cipher.encryptQuery(template, rng: &q), publicKey: cipher.publicKey, rng: &q)
        let maskBytes = evaluated.masks.prefix(4).flatMap { m in (0..<8).map { UInt8(truncatingIfNeeded: m >> (8 * UInt64($0))) } }
        check(evaluated, secret: maskBytes, "EvaluatedQuery")
        for text in renderings(evaluated) { #expect(!text.contains("\(evaluated.masks.prefix(3))".dropLast()), "\(text)") }
    }
}
