import Testing
import FaceMatch
import RingArithmetic

@Suite("FaceMatch end to end")
struct MatchTests {
    func check(n: Int, d: Int, blocks: Int?, seed: UInt64) throws {
        var g = testRNG(seed)
        let (db, vectors) = try enrolledDatabase(n: n, d: d, &g)
        let tau = 0.5
        let params = try MatchParameters(dimension: d, threshold: tau)
        let layout = try blocks.map { try Layout(blocks: $0, dimension: d, degree: 4096) }
        let server = try MatchServer(database: db, parameters: params, layout: layout)
        // Genuine, impostor and near-threshold probes (cosine tau +- 0.03 to some template).
        let target = vectors[n - 1]
        let probes: [[Double]] = [
            probe(near: target, cosine: 0.85, &g), unitVector(d, &g),
            probe(near: vectors[0], cosine: tau + 0.03, &g), probe(near: target, cosine: tau - 0.03, &g),
        ]
        let answers = try session(server, dimension: d, seed: seed) { client in
            try probes.map { try client.query($0).isMatch }
        }
        for (p, answer) in zip(probes, answers) {
            let best = vectors.map { Embedding.cosine($0, p) }.max()!
            if abs(best - tau) >= 0.02 { #expect(answer == (best >= tau), "n=\(n) d=\(d) max cosine \(best)") }
        }
        #expect(answers[0] == true)
        #expect(answers[1] == false)
    }

    @Test("n = 1, d = 128") func single() throws { try check(n: 1, d: 128, blocks: nil, seed: 1) }
    @Test("d not a power of two (d = 100), n = 5") func oddDimension() throws { try check(n: 5, d: 100, blocks: nil, seed: 5) }
    @Test("n not a multiple of the vectors per result, d = 512, default layout") func ragged() throws { try check(n: 301, d: 512, blocks: nil, seed: 2) }
    @Test("several layouts, d = 512", arguments: [1, 8, 64, 128]) func layouts(blocks: Int) throws { try check(n: 100, d: 512, blocks: blocks, seed: 3) }
    @Test("n = 5000, d = 64: a session large enough for Ferret iterations (small ones go through IKNP alone)")
    func silentSupply() throws { try check(n: 5000, d: 64, blocks: nil, seed: 6) }

    @Test("a layout whose flooding does not fit the modulus is refused with a clear error")
    func refusesDense() throws {
        var g = testRNG(4)
        let (db, _) = try enrolledDatabase(n: 10, d: 512, &g)
        let params = try MatchParameters(dimension: 512, threshold: 0.5)
        #expect(throws: FaceMatchError.self) { try MatchServer(database: db, parameters: params, layout: Layout(blocks: 512, dimension: 512, degree: 4096)) }
    }
}
