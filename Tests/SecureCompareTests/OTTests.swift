import Testing
import RingArithmetic
import SecureCompare
import BFV

@Suite("Oblivious transfer")
struct OTTests {
    @Test("base OT delivers the chosen 128-bit messages in both directions of use")
    func baseOT() throws {
        var g = testRNG(1)
        let pairs = (0..<128).map { _ in (Block.random(&g), Block.random(&g)) }
        let choices = (0..<128).map { _ in g.next() & 1 == 1 }
        let (_, got, server, client) = try runParties({ ch in
            var rng = testRNG(2)
            try BaseOT.send(pairs: pairs, channel: ch, rng: &rng)
        }, { ch in
            var rng = testRNG(3)
            return try BaseOT.receive(choices: choices, channel: ch, rng: &rng)
        })
        #expect(got == (0..<128).map { choices[$0] ? pairs[$0].1 : pairs[$0].0 })
        // Byte accounting is exact and symmetric.
        #expect(server.statistics.bytesSent == client.statistics.bytesReceived)
        #expect(client.statistics.bytesSent == server.statistics.bytesReceived)
        #expect(server.statistics.framesSent == 1 && client.statistics.framesSent == 1)
    }

    @Test("IKNP into caller buffers: equal to the chosen outputs, several chunks and a partial one; size mismatch rejected")
    func iknpIntoBuffers() throws {
        let count = 3 * 32768 + 1000
        var g = testRNG(40)
        let choices = BitVector.random(count: count, rng: &g)
        let (s, r, _, _) = try runParties({ ch in
            let sender = OTExtensionSender(channel: ch, randomness: testSource(41))
            try sender.setup()
            var out = [(Block, Block)](repeating: (.zero, .zero), count: count)
            try out.withUnsafeMutableBufferPointer { try sender.randomOTs(into: $0) }
            return out
        }, { ch in
            let receiver = OTExtensionReceiver(channel: ch, randomness: testSource(42))
            try receiver.setup()
            var wrong = [Block](repeating: .zero, count: count - 1)
            #expect(throws: SecureCompareError.self) { try wrong.withUnsafeMutableBufferPointer { try receiver.randomOTs(choices: choices, into: $0) } }
            var out = [Block](repeating: .zero, count: count)
            try out.withUnsafeMutableBufferPointer { try receiver.randomOTs(choices: choices, into: $0) }
            return out
        })
        var mismatches = 0
        for j in 0..<count where r[j] != (choices[j] ? s[j].1 : s[j].0) || s[j].0 == s[j].1 { mismatches += 1 }
        #expect(mismatches == 0)
    }

    @Test("IKNP byte accounting: u streams in frames of 2^15 OTs, exactly 16 bytes per padded OT plus 5 per frame",
          arguments: [0, 1, 128, 32768, 32769, 3 * 32768 + 1000])
    func iknpFrames(count: Int) throws {
        let (_, _, server, client) = try runParties({ ch in
            let sender = OTExtensionSender(channel: ch, randomness: testSource(43))
            try sender.setup()
            ch.setPhase("extension")
            return try sender.randomOTs(count).count
        }, { ch in
            let receiver = OTExtensionReceiver(channel: ch, randomness: testSource(44))
            try receiver.setup()
            ch.setPhase("extension")
            var g = testRNG(45)
            return try receiver.randomOTs(choices: BitVector.random(count: count, rng: &g)).count
        })
        let padded = (count + 127) / 128 * 128
        let frames = (padded + 32767) / 32768
        let sent = client.statistics.phases["extension"]?.sent ?? 0
        #expect(sent == 16 * padded + 5 * frames)
        #expect(server.statistics.phases["extension"]?.received ?? 0 == sent)
        #expect(client.statistics.phases["extension"]?.received ?? 0 == 0)
    }

    @Test("IKNP random, chosen, correlated and bit OTs are correct for 10^6 OTs")
    func iknp() throws {
        let count = 1_000_000
        var g = testRNG(4)
        let choices = BitVector.random(count: count, rng: &g)
        let messages = (0..<1000).map { _ in (Block.random(&g), Block.random(&g)) }
        let delta = Block.random(&g)
        let (s, r, server, client) = try runParties({ ch in
            let sender = OTExtensionSender(channel: ch, randomness: testSource(5))
            try sender.setup()
            let random = try sender.randomOTs(count)
            try sender.send(messages)
            let correlated = try sender.correlatedOTs(1000, delta: delta)
            let bits = try sender.randomBitOTs(5000)
            return (random, correlated, bits)
        }, { ch in
            let receiver = OTExtensionReceiver(channel: ch, randomness: testSource(6))
            try receiver.setup()
            let random = try receiver.randomOTs(choices: choices)
            let chosen = try receiver.receive(choices: choices.slice(0..<1000))
            let correlated = try receiver.correlatedOTs(choices: choices.slice(0..<1000))
            let bits = try receiver.randomBitOTs(choices: choices.slice(0..<5000))
            return (random, chosen, correlated, bits)
        })
        var mismatches = 0
        for j in 0..<count where r.0[j] != (choices[j] ? s.0[j].1 : s.0[j].0) { mismatches += 1 }
        #expect(mismatches == 0)
        // The unchosen output differs from the chosen one (no degenerate s).
        #expect(s.0[0].0 != s.0[0].1)
        #expect(r.1 == (0..<1000).map { choices[$0] ? messages[$0].1 : messages[$0].0 })
        #expect(r.2 == (0..<1000).map { choices[$0] ? s.1[$0] ^ delta : s.1[$0] })
        for j in 0..<5000 { #expect(r.3[j] == (choices[j] ? s.2.m1[j] : s.2.m0[j])) }
        // Random bit outputs are balanced.
        #expect(abs(s.2.m0.popCount - 2500) < 200)
        // u matrix: 16 bytes per OT (rounded to 128) plus one frame header per 2^15 OTs.
        let extensionBytes = client.statistics.bytesSent
        let frames = (1_000_064 + 32767) / 32768
        let expected = (16 * 1_000_064 + 5 * frames) + (16 * 1024 + 5) * 3 + (16 * 5120 + 5)
        #expect(extensionBytes - 58_000 < expected && extensionBytes > expected)
        #expect(server.statistics.bytesReceived == client.statistics.bytesSent)
    }
}

@Suite("1-out-of-2^m OT")
struct OneOfNTests {
    @Test("every choice of 1-out-of-2^m OT for m = 1 ... 5 delivers exactly the chosen entry", arguments: [OTSupply.silent, .iknp])
    func everyChoice(supply: OTSupply) throws {
        for m in 1...5 {
            let bits = 64 >> m  // 16, 8 or 4 bits per entry
            var g = testRNG(UInt64(200 + m))
            let mask = (UInt64(1) << UInt64(bits)) - 1
            // Several instances per choice, every choice covered.
            let choices = (0..<(4 << m)).map { $0 % (1 << m) }
            let tables = choices.map { _ in (0..<(1 << m)).map { _ in g.next() & mask } }
            let (_, got) = try runComparison(seed: UInt64(210 + m), supply: supply, { s in try s.sendOneOfN(tables, m: m, bits: bits) },
                                             { c in try c.receiveOneOfN(choices: choices, m: m, bits: bits) })
            #expect(got == zip(tables, choices).map { $0[$1] }, "m=\(m)")
        }
    }
}

@Suite("Base OT privacy")
struct BaseOTPrivacyTests {
    /// The noise of the receiver's decryption (raw phase minus the scaled chosen messages).
    func receiverNoise(choices: [Bool], pairs: [(Block, Block)], seed: UInt64) throws -> [Double] {
        let (_, recorded, _, _) = try runParties({ ch in
            var rng = testRNG(seed + 500)
            try BaseOT.send(pairs: pairs, channel: ch, rng: &rng)
        }, { ch in
            let rec = RecordingChannel(ch)
            var rng = testRNG(seed)
            _ = try BaseOT.receive(choices: choices, channel: rec, rng: &rng)
            return rec.received[0].1
        })
        // The receiver's key, regenerated from the same generator state.
        let ctx = try BFVContext(.baseOT)
        var rng = testRNG(seed)
        let sk = SecretKey(context: ctx, rng: &rng)
        let reply = try PowerOfTwoCiphertext(serialized: recorded, context: ctx)
        let phase = try Decryptor(secretKey: sk).phase(reply)
        var slots = [UInt64](repeating: 0, count: ctx.degree)
        for (i, c) in choices.enumerated() {
            let m = c ? pairs[i].1 : pairs[i].0
            for k in 0..<8 { slots[8 * i + k] = k < 4 ? (m.low >> (16 * UInt64(k))) & 0xffff : (m.high >> (16 * UInt64(k - 4))) & 0xffff }
        }
        let message = try BatchEncoder(context: ctx).encode(slots).coefficients
        let t = Double(ctx.plaintextModulus)
        return zip(phase, message).map { x, m in
            let expected = UInt64((Double(m) * 4294967296.0 / t).rounded()) & 0xFFFF_FFFF
            var d = Int64(bitPattern: (x &- expected) & 0xFFFF_FFFF)
            if d >= 1 << 31 { d -= 1 << 32 }
            return Double(d)
        }
    }

    @Test("the receiver's decryption has the same distribution for two different unchosen messages")
    func unchosenMessages() throws {
        var g = testRNG(600)
        let choices = (0..<128).map { $0 % 3 == 0 }
        let chosen = (0..<128).map { _ in Block.random(&g) }
        let otherA = (0..<128).map { _ in Block.zero }
        let otherB = (0..<128).map { _ in Block(low: .max, high: .max) }
        func pairs(_ other: [Block]) -> [(Block, Block)] {
            (0..<128).map { choices[$0] ? (other[$0], chosen[$0]) : (chosen[$0], other[$0]) }
        }
        var a: [Double] = [], b: [Double] = []
        for run in 0..<2 {
            a += try receiverNoise(choices: choices, pairs: pairs(otherA), seed: UInt64(610 + run))
            b += try receiverNoise(choices: choices, pairs: pairs(otherB), seed: UInt64(620 + run))
        }
        // Flooding dominates: the noise is wide (about 2^86 * 2^32 / 2^112 = 2^6 at the reply
        // modulus) and its distribution does not depend on the unchosen messages.
        let d = ksStatistic(a, b)
        #expect(d < ksCritical(a.count, b.count), "KS D = \(d)")
        #expect(a.map { abs($0) }.max()! > 16)
    }
}

@Suite("Bit vectors")
struct BitVectorTests {
    @Test("word-level slice and concatenation equal bit-by-bit reference at every alignment")
    func sliceConcatenate() {
        var g = testRNG(700)
        let v = BitVector.random(count: 300, rng: &g)
        for start in [0, 1, 63, 64, 65, 127, 200] {
            for length in [0, 1, 63, 64, 65, 100] where start + length <= 300 {
                let s = v.slice(start ..< start + length)
                #expect(s.bools == Array(v.bools[start ..< start + length]), "start \(start) length \(length)")
            }
        }
        let parts = [v.slice(0 ..< 5), v.slice(5 ..< 70), v.slice(70 ..< 70), v.slice(70 ..< 300)]
        #expect(BitVector.concatenate(parts) == v)
    }
}
