import Testing
import BFV
import FaceMatch
import RingArithmetic
import SecureCompare

/// Two-sample Kolmogorov-Smirnov statistic and its 0.001 critical value.
func ks(_ a: [Double], _ b: [Double]) -> (d: Double, critical: Double) {
    (Statistics.kolmogorovSmirnov(a, b), Statistics.kolmogorovSmirnovCritical(a.count, b.count))
}

@Suite("FaceMatch privacy")
struct PrivacyTests {
    let d = 128, n = 2048, tau = 0.5

    func server(seed: UInt64) throws -> (MatchServer, FaceDatabase) {
        var g = testRNG(seed)
        var db = try FaceDatabase(dimension: d)
        for i in 0..<n { try db.enroll(id: UInt64(i), embedding: unitVector(d, &g)) }
        return (try MatchServer(database: db, parameters: MatchParameters(dimension: d, threshold: tau)), db)
    }

    /// Runs one query without a channel; returns the client's decrypted values at `bits`.
    func run(_ server: MatchServer, probe: [Double], bits: Int, seed: UInt64) throws -> (client: [UInt64], server: EvaluatedQuery) {
        var g = testRNG(seed)
        let cipher = QueryCipher(profile: server.profile, layout: server.layout, dimension: d, rng: &g)
        let payload = try cipher.encryptQuery(Embedding.quantized(probe, dimension: d), rng: &g)
        var sg = testRNG(seed + 7)
        let evaluated = try server.evaluateQuery(payload, publicKey: cipher.publicKey, rng: &sg)
        var values: [UInt64] = []
        var remaining = server.layout.resultCount(n)
        for f in evaluated.frames {
            let (count, v) = try cipher.decryptFrame(f, remaining: remaining, plaintextBits: bits)
            values += v
            remaining -= count
        }
        return (Array(values.prefix(n)), evaluated)
    }

    @Test("the client's decrypted masked values are uniform and alike for two databases with the same answer")
    func maskedValues() throws {
        let (s1, _) = try server(seed: 100), (s2, _) = try server(seed: 200)
        var g = testRNG(300)
        let probe = unitVector(d, &g)  // an impostor for both databases: same answer (no match)
        var a: [Double] = [], b: [Double] = []
        for q in 0..<4 {
            a += try run(s1, probe: probe, bits: 11, seed: UInt64(10 + q)).client.map { Double($0) }
            b += try run(s2, probe: probe, bits: 11, seed: UInt64(20 + q)).client.map { Double($0) }
        }
        // Uniform over 2^11: chi-square over 64 bins (63 degrees of freedom, 0.001 quantile ~ 103).
        for values in [a, b] {
            var bins = [Double](repeating: 0, count: 64)
            for v in values { bins[Int(v) / 32] += 1 }
            let expected = Double(values.count) / 64
            let chi2 = bins.reduce(0) { $0 + ($1 - expected) * ($1 - expected) / expected }
            #expect(chi2 < 103, "chi-square \(chi2)")
        }
        let test = ks(a, b)
        #expect(test.d < test.critical, "KS D = \(test.d)")
    }

    @Test("shares reconstruct the truncated score, and the noise the client sees does not separate two databases")
    func noise() throws {
        let (s1, db1) = try server(seed: 101), (s2, db2) = try server(seed: 201)
        var g = testRNG(301)
        let probe = unitVector(d, &g)
        let x = try Embedding.quantized(probe, dimension: d)
        var noises: [[Double]] = []
        for (s, db) in [(s1, db1), (s2, db2)] {
            // Decrypt at 17 bits: v + M (mod t) up to the noise left after flooding and switching.
            let (raw, evaluated) = try run(s, probe: probe, bits: 17, seed: 40)
            let (shares, sameServer) = try run(s, probe: probe, bits: 11, seed: 40)
            let clientShares = shares
            var noise: [Double] = []
            for k in 0..<n {
                let y = db.template(k)
                let v = zip(x, y).reduce(0) { $0 + Int64($1.0) * Int64($1.1) } - Int64((tau * 16384).rounded())
                let expected = (Int64(evaluated.masks[k]) + v) & 0x1FFFF
                var diff = (Int64(raw[k]) - expected) & 0x1FFFF
                if diff >= 0x10000 { diff -= 0x20000 }
                noise.append(Double(diff))
                // u - r = round(v / 64) + e with e in {-1, 0, 1} (signed 11-bit).
                var sum = (Int64(clientShares[k]) + Int64(sameServer.shares[k])) & 2047
                if sum >= 1024 { sum -= 2048 }
                let truncated = (Double(v) / 64).rounded()
                #expect(abs(Double(sum) - truncated) <= 1, "share sum \(sum) vs \(truncated)")
            }
            // Flooding F * 2^17 / q plus switching rounding: far below half a truncation unit (32).
            let largest = noise.map { abs($0) }.max()!
            #expect(largest <= 16, "noise at 17 bits up to \(largest)")
            noises.append(noise)
        }
        let test = ks(noises[0], noises[1])
        #expect(test.d < test.critical, "KS D = \(test.d)")
    }

    @Test("the server's view depends on the query only through its size")
    func serverView() throws {
        let (s, db) = try server(seed: 102)
        var g = testRNG(302)
        let genuine = probe(near: Array(db.template(5)).map { Double($0) }, cosine: 0.9, &g)
        let impostor = unitVector(d, &g)
        var views: [[(MessageType, Int)]] = []
        var bitShares: [Double] = []
        for (i, p) in [genuine, impostor].enumerated() {
            let (cs, cc) = InMemoryChannel.pair()
            let recorder = Recorder(cs)
            let box = Box<Result<Int, FaceMatchError>>()
            let group = DispatchGroup()
            DispatchQueue.global().async(group: group) { box.value = Result { () throws(FaceMatchError) in try s.serve(channel: recorder) } }
            let client = MatchClient(channel: cc, dimension: d, randomness: testSource(UInt64(60 + i)))
            try client.connect()
            let answer = try client.query(p).isMatch
            #expect(answer == (i == 0))
            try client.close()
            group.wait()
            views.append(recorder.frames.map { ($0.0, $0.1.count) })
            let query = recorder.frames.first { $0.0.rawValue == 0x04 }!.1
            bitShares.append(Double(query.reduce(0) { $0 + $1.nonzeroBitCount }) / Double(8 * query.count))
        }
        // Same message types and sizes, whatever the query and the answer.
        #expect(views[0].map { $0.0 } == views[1].map { $0.0 })
        #expect(views[0].map { $0.1 } == views[1].map { $0.1 })
        // The query ciphertexts look random (about half the bits set).
        for p in bitShares { #expect(abs(p - 0.5) < 0.01, "bit share \(p)") }
    }
}

/// Records every frame a channel receives.
final class Recorder: Channel, @unchecked Sendable {
    let inner: Channel
    var frames: [(MessageType, [UInt8])] = []
    init(_ inner: Channel) { self.inner = inner }
    func send(_ type: MessageType, _ payload: [UInt8]) throws(SecureCompareError) { try inner.send(type, payload) }
    func receiveAny() throws(SecureCompareError) -> (MessageType, [UInt8]) {
        let f = try inner.receiveAny()
        frames.append(f)
        return f
    }
    var statistics: ChannelStatistics { inner.statistics }
    func setPhase(_ name: String) { inner.setPhase(name) }
}

import Dispatch
