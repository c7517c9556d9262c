import Dispatch
import Foundation
import Testing
import FaceMatch
import RingArithmetic

/// Serving from a memory-mapped file, partial plaintext caches and shared sweeps give exactly
/// the answers of the in-memory, fully cached, one-query-at-a-time server.
@Suite("Mapped store, partial cache, shared sweeps")
struct ServingStoreTests {
    struct Fixture {
        let db: FaceDatabase
        let vectors: [[Double]]
        let probes: [[Double]]
        let path: String
    }

    /// n templates (d = 128) in memory and in a file, with genuine, impostor and near-threshold probes.
    func fixture(n: Int, seed: UInt64) throws -> Fixture {
        var g = testRNG(seed)
        let d = 128
        let (db, vectors) = try enrolledDatabase(n: n, d: d, &g)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString).cmdb").path
        let w = try DatabaseWriter(path: path)
        try w.append(ids: db.ids, labels: (0..<n).map { "p\($0)" }, templates: (0..<n).map { Array(db.template($0)) })
        // A removed row in the file: the mapped store must skip it as the loader does.
        try w.append(ids: [999_999], labels: ["gone"], templates: [try Embedding.quantized(vectors[0].map { -$0 })])
        _ = try w.remove { id, _ in id == 999_999 }
        w.close()
        let tau = 0.5
        let probes = [probe(near: vectors[n - 1], cosine: 0.85, &g), unitVector(d, &g), probe(near: vectors[n / 2], cosine: tau + 0.03, &g),
                      probe(near: vectors[3], cosine: tau - 0.03, &g), probe(near: vectors[0], cosine: 0.9, &g)]
        return Fixture(db: db, vectors: vectors, probes: probes, path: path)
    }

    func answers(_ server: MatchServer, _ f: Fixture, seed: UInt64) throws -> [Bool] {
        try session(server, dimension: 128, seed: seed) { client in try f.probes.map { try client.query($0).isMatch } }
    }

    func expected(_ f: Fixture) -> [Bool] { f.probes.map { p in f.vectors.map { Embedding.cosine($0, p) }.max()! >= 0.5 } }

    @Test("a mapped file answers as the array-loaded database; partial and no cache as the full cache")
    func mappedAndPartialCache() throws {
        let f = try fixture(n: 700, seed: 21)
        defer { try? FileManager.default.removeItem(atPath: f.path); try? FileManager.default.removeItem(atPath: f.path + ".lock") }
        let params = try MatchParameters(dimension: 128, threshold: 0.5)
        let mapped = try MappedTemplates(path: f.path)
        #expect(mapped.count == 700 && mapped.removed == 1 && mapped.ids == f.db.ids)
        let full = try MatchServer(database: f.db, parameters: params, memoryBudget: Int.max)
        let (total, cachedAll) = full.results
        #expect(cachedAll == total && total >= 3)
        let perResult = full.cacheBytes / total
        let servers = [
            full,
            try MatchServer(mapped: mapped, parameters: params, memoryBudget: Int.max),
            try MatchServer(mapped: mapped, parameters: params, memoryBudget: perResult * (total / 3)),
            try MatchServer(database: f.db, parameters: params, memoryBudget: 0),
        ]
        #expect(servers[2].results.cached == total / 3 && servers[3].results.cached == 0)
        let reference = try answers(full, f, seed: 5)
        #expect(reference == expected(f))
        for (k, s) in servers.enumerated().dropFirst() {
            #expect(try answers(s, f, seed: 5) == reference, "server \(k)")
        }
        // Same randomness, same evaluation: the mapped server's result frames equal the in-memory one's.
        var q = testRNG(77)
        let cipher = QueryCipher(profile: full.profile, layout: full.layout, dimension: 128, shareBits: params.shareBits, rng: &q)
        let payload = try cipher.encryptQuery(Embedding.quantized(f.probes[0]), rng: &q)
        var g1 = testRNG(78), g2 = testRNG(78)
        let a = try full.evaluateQuery(payload, publicKey: cipher.publicKey, rng: &g1)
        let b = try servers[2].evaluateQuery(payload, publicKey: cipher.publicKey, rng: &g2)
        #expect(a.frames == b.frames && a.shares == b.shares)
    }

    @Test("8 concurrent sessions (shared sweeps) answer as sequential ones")
    func concurrentSessions() throws {
        let f = try fixture(n: 300, seed: 22)
        defer { try? FileManager.default.removeItem(atPath: f.path); try? FileManager.default.removeItem(atPath: f.path + ".lock") }
        let server = try MatchServer(mapped: MappedTemplates(path: f.path), parameters: MatchParameters(dimension: 128, threshold: 0.5))
        let sequential = try (0..<8).map { try answers(server, f, seed: 100 + UInt64($0)) }
        let results = Box<[Int: Result<[Bool], Error>]>()
        results.value = [:]
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let r = Result { try answers(server, f, seed: 200 + UInt64(i)) }
            lock.lock(); results.value![i] = r; lock.unlock()
        }
        for i in 0..<8 {
            #expect(try results.value![i]!.get() == sequential[i])
            #expect(sequential[i] == expected(f))
        }
    }

    @Test("the mapped store detects corruption and truncation at open, and serves past a torn tail")
    func mappedDamage() throws {
        let f = try fixture(n: 40, seed: 23)
        defer { try? FileManager.default.removeItem(atPath: f.path); try? FileManager.default.removeItem(atPath: f.path + ".lock") }
        let good = try Data(contentsOf: URL(fileURLWithPath: f.path))
        let damaged = f.path + ".damaged"
        defer { try? FileManager.default.removeItem(atPath: damaged) }
        var flipped = good
        flipped[200] ^= 0x10
        for (bytes, fragment) in [(flipped, "corrupted record"), (good.prefix(good.count - 30), "truncated"), (good.prefix(20), "truncated header")] {
            try bytes.write(to: URL(fileURLWithPath: damaged))
            do {
                _ = try MappedTemplates(path: damaged)
                Issue.record("opened a damaged file (\(fragment))")
            } catch {
                #expect("\(error)".contains(fragment), "\(error)")
            }
        }
        try (good + Data([1, 2, 3])).write(to: URL(fileURLWithPath: damaged))
        let torn = try MappedTemplates(path: damaged)
        #expect(torn.count == 40 && torn.tornBytes == 3)
    }
}
