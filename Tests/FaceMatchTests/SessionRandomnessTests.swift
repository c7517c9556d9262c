import Dispatch
import Testing
import FaceMatch
import RingArithmetic
import SecureCompare

/// Records every frame a channel sends and receives.
final class TwoWayRecorder: Channel, @unchecked Sendable {
    let inner: Channel
    var sent: [(MessageType, [UInt8])] = []
    var received: [(MessageType, [UInt8])] = []
    init(_ inner: Channel) { self.inner = inner }
    func send(_ type: MessageType, _ payload: [UInt8]) throws(SecureCompareError) {
        sent.append((type, payload))
        try inner.send(type, payload)
    }
    func receiveAny() throws(SecureCompareError) -> (MessageType, [UInt8]) {
        let f = try inner.receiveAny()
        received.append(f)
        return f
    }
    var statistics: ChannelStatistics { inner.statistics }
    func setPhase(_ name: String) { inner.setPhase(name) }
}

@Suite("Session randomness")
struct SessionRandomnessTests {
    let d = 32

    func server() throws -> (MatchServer, FaceDatabase) {
        var g = testRNG(500)
        var db = try FaceDatabase(dimension: d)
        for i in 0..<40 { try db.enroll(id: UInt64(i), embedding: unitVector(d, &g)) }
        return (try MatchServer(database: db, parameters: MatchParameters(dimension: d, threshold: 0.5)), db)
    }

    /// One session: the server's frames as sent, with the same deterministic client every time.
    func serverFrames(_ s: MatchServer, randomness: RandomSource?, probe: [Double]) throws -> [(MessageType, [UInt8])] {
        let (cs, cc) = InMemoryChannel.pair()
        let recorder = TwoWayRecorder(cs)
        let box = Box<Result<Int, FaceMatchError>>()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            box.value = Result { () throws(FaceMatchError) in
                if let randomness { try s.serve(channel: recorder, randomness: randomness) } else { try s.serve(channel: recorder) }
            }
        }
        let client = MatchClient(channel: cc, dimension: d, randomness: RandomSource(deterministicSeed: try Seed(bytes: [UInt8](repeating: 42, count: 32))))
        try client.connect()
        _ = try client.query(probe)
        try client.close()
        group.wait()
        _ = try box.value!.get()
        return recorder.sent
    }

    @Test("two sessions started the documented way never repeat a base-OT frame (nor a result frame)")
    func noRepeats() throws {
        let (s, _) = try server()
        var g = testRNG(501)
        let p = unitVector(d, &g)
        let isOT: (MessageType) -> Bool = { $0 == .baseOTQuery || $0 == .baseOTReply }
        // The default (fresh system randomness), and one deterministic source shared by both.
        let shared = RandomSource(deterministicSeed: try Seed(bytes: [UInt8](repeating: 7, count: 32)))
        for source in [nil, shared] {
            let a = try serverFrames(s, randomness: source, probe: p)
            let b = try serverFrames(s, randomness: source, probe: p)
            let otA = a.filter { isOT($0.0) }.map(\.1), otB = b.filter { isOT($0.0) }.map(\.1)
            #expect(!otA.isEmpty && otA.count == otB.count)
            for x in otA { #expect(!otB.contains(x)) }
            let resultsA = Set(a.filter { $0.0.rawValue == 0x05 }.map(\.1))
            #expect(resultsA.isDisjoint(with: b.filter { $0.0.rawValue == 0x05 }.map(\.1)))
        }
        // Two separate deterministic sources from one seed repeat each other: that is what
        // "explicit" means, and why deployment never builds one from a fixed seed.
        let seed = try Seed(bytes: [UInt8](repeating: 8, count: 32))
        let a = try serverFrames(s, randomness: RandomSource(deterministicSeed: seed), probe: p)
        let b = try serverFrames(s, randomness: RandomSource(deterministicSeed: seed), probe: p)
        #expect(a.filter { isOT($0.0) }.map(\.1) == b.filter { isOT($0.0) }.map(\.1))
    }

    @Test("a source hands out a different generator on every call, shared or copied")
    func sourceNeverRepeats() throws {
        for source in [RandomSource.system, RandomSource(deterministicSeed: try Seed(bytes: [UInt8](repeating: 1, count: 32)))] {
            let copy = source
            var seen = Set<UInt64>()
            for k in 0..<100 {
                var g = k.isMultiple(of: 2) ? source.generator() : copy.generator()
                #expect(seen.insert(g.next()).inserted)
            }
        }
    }
}
