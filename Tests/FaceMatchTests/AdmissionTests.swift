import Dispatch
import Testing
import FaceMatch

@Suite("Admission, rate limit, key budget, log text")
struct AdmissionTests {
    @Test("session slots: at most K at once and A per address, freed on release")
    func slots() {
        let a = AdmissionControl(maxSessions: 3, maxPerAddress: 2)
        #expect(a.admit("10.0.0.1") == nil)
        #expect(a.admit("10.0.0.1") == nil)
        #expect(a.admit("10.0.0.1")?.hasPrefix("busy") == true)
        #expect(a.admit("10.0.0.2") == nil)
        #expect(a.admit("10.0.0.3")?.contains("all 3 session slots") == true)
        a.release("10.0.0.1")
        #expect(a.active == 2)
        #expect(a.admit("10.0.0.3") == nil)
    }

    @Test("rate limit: a minute's allowance, then one query per 60/rate seconds")
    func rate() {
        let r = RateLimiter(perMinute: 2, capacity: 2)
        let t0 = ContinuousClock.now
        #expect(r.take("a", now: t0) == nil)
        #expect(r.take("a", now: t0) == nil)
        let wait = r.take("a", now: t0)
        #expect(wait != nil && abs(wait! - 30) < 0.01)
        #expect(r.take("a", now: t0 + .seconds(29)) != nil)
        #expect(r.take("a", now: t0 + .seconds(60)) == nil)
        // Other addresses have their own buckets; a full table still answers.
        #expect(r.take("b", now: t0) == nil)
        #expect(r.take("c", now: t0) == nil)
    }

    @Test("key budget: spent across calls, refused beyond, memory bounded to the newest keys")
    func keys() {
        let k = KeyBudget(capacity: 2)
        let a = KeyFingerprint(serializedKey: [1]), b = KeyFingerprint(serializedKey: [2]), c = KeyFingerprint(serializedKey: [3])
        #expect(k.spend(a, 60, budget: 100))
        #expect(!k.canSpend(a, 60, budget: 100))
        #expect(!k.spend(a, 60, budget: 100))
        #expect(k.spend(a, 40, budget: 100) && k.spent(a) == 100)
        #expect(k.spend(b, 1, budget: 100) && k.spend(c, 1, budget: 100))
        // The oldest fingerprint made room for the newest (the documented limit of the memory).
        #expect(k.spent(a) == 0 && k.spent(b) == 1 && k.spent(c) == 1)
    }

    @Test("peer text is quoted, escaped and capped")
    func peerText() {
        #expect(LogLine.peerText("ok") == "\"ok\"")
        #expect(LogLine.peerText("a\"b\\c\nd\u{1B}[2Jé") == #""a\"b\\c\u{a}d\u{1b}[2J\u{e9}""#)
        #expect(LogLine.peerText(String(repeating: "x", count: 250)) == "\"" + String(repeating: "x", count: 200) + "\" (50 more characters)")
        #expect(LogLine.timestamp().wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
    }

    @Test("a session host stops accepting on stop()")
    func stop() throws {
        var g = testRNG(700)
        var db = try FaceDatabase(dimension: 16)
        for i in 0..<4 { try db.enroll(id: UInt64(i), embedding: unitVector(16, &g)) }
        let server = try MatchServer(database: db, parameters: MatchParameters(dimension: 16, threshold: 0.5))
        let host = SessionHost(listener: try TCPListener(host: "127.0.0.1", port: 0), configuration: .init(),
                               log: { _ in }, audit: { _ in }, server: { server })
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async { host.run(); done.signal() }
        host.stop()
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(host.activeSessions == 0)
    }
}
