import Foundation
import Testing
import BFV
import FaceMatch
import RingArithmetic
import SecureCompare

/// A blocking socket connected to 127.0.0.1:`port` from the loopback address `source` (Linux
/// routes all of 127.0.0.0/8 to the loopback device), with a 30 s receive timeout.
func connect(port: Int, from source: String) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var local = sockaddr_in()
    local.sin_family = sa_family_t(AF_INET)
    local.sin_addr.s_addr = inet_addr(source)
    var remote = sockaddr_in()
    remote.sin_family = sa_family_t(AF_INET)
    remote.sin_port = UInt16(port).bigEndian
    remote.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    let connected = withUnsafePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard bound == 0, connected == 0 else { close(fd); throw CocoaError(.fileReadUnknown) }
    var tv = timeval(tv_sec: 30, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    return fd
}

/// Whether the peer has closed `fd` (a read returns end-of-stream or a reset), waiting at most
/// `seconds`; data that arrives first (an error frame) is read and skipped.
func closedByPeer(_ fd: Int32, within seconds: Double) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    var buffer = [UInt8](repeating: 0, count: 4096)
    while Date() < deadline {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, 100) > 0 else { continue }
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, 4096, Int32(MSG_DONTWAIT)) }
        if n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) { return true }
    }
    return false
}

/// A `Channel` over a raw socket, so a test can choose the source address and misbehave: with
/// `sabotage` set, the first send once that phase has begun announces a 200 MB frame instead;
/// with `hangUp` set, the first send in that phase is the last thing it does before closing.
final class SocketChannel: Channel, @unchecked Sendable {
    let fd: Int32
    var sabotage: String?
    var hangUp: String?
    var seen: [String] = []
    var announced = false

    init(port: Int, from source: String, sabotage: String? = nil) throws {
        fd = try connect(port: port, from: source)
        self.sabotage = sabotage
    }

    deinit { close(fd) }

    func send(_ type: MessageType, _ payload: [UInt8]) throws(SecureCompareError) {
        if let sabotage, seen.contains(sabotage) {
            rawSend(fd, frame(type.rawValue, [], claimedLength: 200_000_000))
            announced = true
            throw SecureCompareError.channelClosed
        }
        let bytes = frame(type.rawValue, payload)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.send(fd, $0.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw SecureCompareError.channelClosed }
            done += n
        }
        if let hangUp, seen.last == hangUp {
            shutdown(fd, Int32(SHUT_RDWR))
            throw SecureCompareError.channelClosed
        }
    }

    func read(_ count: Int) throws(SecureCompareError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + done, count - done, 0) }
            guard n > 0 else { throw SecureCompareError.channelClosed }
            done += n
        }
        return out
    }

    func receiveAny() throws(SecureCompareError) -> (MessageType, [UInt8]) {
        let h = try read(5)
        let length = Int(h[1]) | Int(h[2]) << 8 | Int(h[3]) << 16 | Int(h[4]) << 24
        return (MessageType(rawValue: h[0]), length == 0 ? [] : try read(length))
    }

    var statistics: ChannelStatistics { ChannelStatistics() }
    func setPhase(_ name: String) { seen.append(name) }
}

/// A database of `n` synthetic people of dimension `d` and a genuine probe of person 4.
func enrolled(_ dir: URL, n: Int, d: Int) throws -> (db: String, genuine: [Double], impostor: [Double]) {
    var s = Synthetic(d: d)
    let people = (0..<n).map { _ in s.unitVector() }
    let db = dir.appendingPathComponent("faces.cmdb").path
    try writeNPY(people, to: dir.appendingPathComponent("p.npy"))
    let r = try runCLI(["enroll", "--db", db, "--embeddings", dir.appendingPathComponent("p.npy").path])
    #expect(r.0 == 0, "\(r.2)")
    let genuine = s.near(people[4], cosine: 0.9)
    try writeNPY([genuine], to: dir.appendingPathComponent("genuine.npy"))
    return (db, genuine, s.unitVector())
}

func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }

@Suite("hostile and careless clients", .serialized)
struct HostileClientTests {
    @Test("50 connections stalled mid-header and a trickler from other addresses: a valid query is answered within 10 s, the stalled ones closed by their deadlines")
    func slowloris() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (db, genuine, _) = try enrolled(dir, n: 30, d: 64)
        let server = try ServerProcess(db: db, threshold: 0.5, options: ["--handshake-timeout", "3", "--frame-timeout", "3"])
        defer { server.stop() }
        let start = Date()
        let stalled = try (0..<50).map { _ -> Int32 in
            let fd = try connect(port: server.port, from: "127.0.0.2")
            rawSend(fd, [0x01, 10, 0])  // three bytes of a hello's header, then nothing
            return fd
        }
        defer { stalled.forEach { close($0) } }
        // One byte of a hello every 2 s from another address.
        let trickler = try connect(port: server.port, from: "127.0.0.4")
        defer { close(trickler) }
        let hello = frame(0x01, Array("CMFM".utf8) + [1, 1, 64, 0, 0, 0])
        let trickled = LogBuffer()
        let thread = Thread {
            for b in hello {
                if send(trickler, [b], 1, Int32(MSG_NOSIGNAL)) != 1 { trickled.append("cut"); return }
                Thread.sleep(forTimeInterval: 2)
            }
        }
        thread.start()
        Thread.sleep(forTimeInterval: 0.5)
        // A valid query from a third address.
        let queryStart = Date()
        let channel = try SocketChannel(port: server.port, from: "127.0.0.3")
        let client = MatchClient(channel: channel, dimension: 64)
        try client.connect()
        let result = try client.query(genuine)
        try client.close()
        let seconds = Date().timeIntervalSince(queryStart)
        print("valid query beside 50 stalled connections and a trickler: \(seconds) s")
        #expect(result.isMatch)
        #expect(seconds < 10, "valid query took \(seconds) s")
        // Every stalled connection is closed: at once ("busy") beyond the 4 per address, by the
        // 3 s handshake deadline otherwise; the trickler too.
        // (Generous windows: the deadline is 3 s; a loaded host may be slow to deliver.)
        let closed = stalled.filter { closedByPeer($0, within: max(1, 15 - Date().timeIntervalSince(start))) }.count
        #expect(closed == 50)
        #expect(closedByPeer(trickler, within: max(1, 15 - Date().timeIntervalSince(start))))
        let log = server.log
        #expect(log.contains("handshake deadline passed"))
        #expect(log.components(separatedBy: "refused 127.0.0.2").count - 1 >= 46)
        #expect(server.isRunning)
    }

    @Test("with 7 idle sessions open, a verifier's query (connect, ask, close) takes at most 1.5x its time alone (medians)")
    func idleSessions() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (db, genuine, impostor) = try enrolled(dir, n: 20_000, d: 128)
        let server = try ServerProcess(db: db, threshold: 0.5, options: ["--max-sessions", "9", "--max-per-address", "9", "--rate", "off"])
        defer { server.stop() }
        // One whole verifier query, as `cryptomask query` makes it: a session of its own. (A
        // ninth slot: the previous session's slot is freed only once the server read its goodbye.)
        func timed(_ count: Int) throws -> [Double] {
            try (0..<count).map { i in
                let start = Date()
                let client = MatchClient(channel: try TCPChannel.connect(host: "127.0.0.1", port: server.port), dimension: 128)
                try client.connect()
                let r = try client.query(i.isMultiple(of: 2) ? genuine : impostor)
                try client.close()
                #expect(r.isMatch == i.isMultiple(of: 2))
                return Date().timeIntervalSince(start)
            }
        }
        _ = try timed(2)  // warm-up
        // Three rounds, alone and beside alternating, so a load spike on a shared host (other
        // suites run in parallel) falls on both sides.
        var alone: [Double] = [], beside: [Double] = []
        for _ in 0..<3 {
            alone += try timed(3)
            let idle = try (0..<7).map { _ -> MatchClient in
                let c = MatchClient(channel: try TCPChannel.connect(host: "127.0.0.1", port: server.port), dimension: 128)
                try c.connect()
                return c
            }
            beside += try timed(3)
            for c in idle { try c.close() }
        }
        let ratio = median(beside) / median(alone)
        print("query alone: median \(median(alone)) s; beside 7 idle sessions: median \(median(beside)) s; ratio \(ratio)")
        #expect(ratio <= 1.5, "alone \(alone), beside 7 idle sessions \(beside)")
    }

    @Test("a 200 MB frame announced in any phase is refused from its header (peak memory grows < 10 MB)")
    func hugeFrames() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (db, genuine, _) = try enrolled(dir, n: 30, d: 64)
        let server = try ServerProcess(db: db, threshold: 0.5, options: ["--rate", "off"])
        defer { server.stop() }
        // A valid session first, so the baseline includes a session's working memory.
        let warm = MatchClient(channel: try SocketChannel(port: server.port, from: "127.0.0.5"), dimension: 64)
        try warm.connect()
        #expect(try warm.query(genuine).isMatch)
        try warm.close()
        Thread.sleep(forTimeInterval: 0.3)
        let before = server.memory("VmHWM")
        for phase in ["hello", "keys", "ot-setup", "query", "compare"] {
            let channel = try SocketChannel(port: server.port, from: "127.0.0.5", sabotage: phase)
            let client = MatchClient(channel: channel, dimension: 64)
            do {
                try client.connect()
                _ = try client.query(genuine)
            } catch {}
            #expect(channel.announced, "no frame announced in \(phase) (phases seen: \(channel.seen))")
            #expect(closedByPeer(channel.fd, within: 5), "\(phase): the server kept reading")
        }
        // A frame of a type the stage does not expect is refused from its header too.
        let fd = try connect(port: server.port, from: "127.0.0.5")
        rawSend(fd, frame(0x04, [], claimedLength: 1_000_000))
        #expect(closedByPeer(fd, within: 5))
        close(fd)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(server.log.contains("message type 4 is not accepted at this stage"))
        let after = server.memory("VmHWM")
        print("server peak memory before \(before) kB, after five 200 MB announcements \(after) kB")
        #expect(before > 0 && after - before < 10_000, "VmHWM \(before) kB -> \(after) kB")
        #expect(server.log.components(separatedBy: "refused a frame of 200000000 bytes").count - 1 == 5, "\(server.log)")
        #expect(server.isRunning)
    }

    @Test("a query's work stops when its verifier disconnects: the server sends far fewer result bytes than a full answer")
    func disconnectStopsWork() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (db, genuine, _) = try enrolled(dir, n: 20_000, d: 128)
        let server = try ServerProcess(db: db, threshold: 0.5, options: ["--rate", "off"])
        defer { server.stop() }
        let full = MatchClient(channel: try SocketChannel(port: server.port, from: "127.0.0.6"), dimension: 128)
        try full.connect()
        #expect(try full.query(genuine).isMatch)
        try full.close()
        let channel = try SocketChannel(port: server.port, from: "127.0.0.7")
        channel.hangUp = "query"
        let client = MatchClient(channel: channel, dimension: 128)
        try client.connect()
        #expect(throws: FaceMatchError.self) { try client.query(genuine) }
        // Both sessions end in the log with their byte counts.
        var sent: [String: Int] = [:]
        let deadline = Date().addingTimeInterval(20)
        while sent.count < 2 && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
            for line in server.log.split(separator: "\n") {
                for peer in ["127.0.0.6", "127.0.0.7"] where line.contains("from \(peer):") {
                    if let m = line.firstMatch(of: /sent (\d+) B/) { sent[peer] = Int(m.1) }
                }
            }
        }
        let answered = sent["127.0.0.6"] ?? 0, abandoned = sent["127.0.0.7"] ?? .max
        print("bytes sent: full query session \(answered), session whose verifier hung up after its query \(abandoned)")
        #expect(answered > 500_000 && abandoned < answered / 2, "\(sent)")
        #expect(server.log.contains("outcome=failed"))
    }

    @Test("beyond --rate a verifier gets a clear 'rate limited' error; one audit line per query without data")
    func rateLimit() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (db, _, _) = try enrolled(dir, n: 30, d: 64)
        let audit = dir.appendingPathComponent("audit.log").path
        let server = try ServerProcess(db: db, threshold: 0.5, options: ["--rate", "2", "--audit-log", audit])
        defer { server.stop() }
        let query = ["query", "--server", "127.0.0.1:\(server.port)", "--embedding", dir.appendingPathComponent("genuine.npy").path]
        for _ in 0..<2 {
            let r = try runCLI(query)
            #expect(r.0 == 0 && r.1 == "match\n", "\(r.2)")
        }
        let r = try runCLI(query)
        #expect(r.0 != 0)
        #expect(r.2.contains("rate limited: at most 2 queries per minute from 127.0.0.1; retry in"), "\(r.2)")
        Thread.sleep(forTimeInterval: 0.2)
        let lines = try String(contentsOfFile: audit, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(lines)")
        let shape = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z audit session=\d+ peer=127\.0\.0\.1:\d+ query=1 outcome=(answered|refused reason="[^"]*")$/
        for line in lines { #expect(line.wholeMatch(of: shape) != nil, "\(line)") }
        #expect(lines.filter { $0.hasSuffix("outcome=answered") }.count == 2)
        #expect(lines[2].contains("rate limited"))
    }

    @Test("a public key reused across connections beyond its budget is refused")
    func keyReuse() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (db, genuine, _) = try enrolled(dir, n: 30, d: 64)
        let server = try ServerProcess(db: db, threshold: 0.5, options: ["--queries-per-key", "2", "--rate", "off"])
        defer { server.stop() }
        // One key (a deterministic source repeats it) spends one query per connection.
        let seed = try Seed(bytes: [UInt8](repeating: 77, count: 32))
        func session() throws -> Bool {
            let client = MatchClient(channel: try TCPChannel.connect(host: "127.0.0.1", port: server.port), dimension: 64,
                                     randomness: RandomSource(deterministicSeed: seed))
            try client.connect()
            let r = try client.query(genuine).isMatch
            try client.close()
            return r
        }
        #expect(try session())
        #expect(try session())
        do {
            _ = try session()
            Issue.record("a spent key was served")
        } catch {
            #expect("\(error)".contains("key budget spent"), "\(error)")
        }
        // A fresh key is served.
        let fresh = MatchClient(channel: try TCPChannel.connect(host: "127.0.0.1", port: server.port), dimension: 64)
        try fresh.connect()
        #expect(try fresh.query(genuine).isMatch)
        try fresh.close()
    }

    @Test("a busy server answers 'busy' at once")
    func busy() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (db, _, _) = try enrolled(dir, n: 30, d: 64)
        let server = try ServerProcess(db: db, threshold: 0.5, options: ["--max-sessions", "1"])
        defer { server.stop() }
        let holder = MatchClient(channel: try TCPChannel.connect(host: "127.0.0.1", port: server.port), dimension: 64)
        try holder.connect()
        let start = Date()
        let r = try runCLI(["query", "--server", "127.0.0.1:\(server.port)", "--embedding", dir.appendingPathComponent("genuine.npy").path])
        let seconds = Date().timeIntervalSince(start)
        #expect(r.0 != 0 && r.2.contains("busy: all 1 session slots are in use"), "\(r.2)")
        #expect(seconds < 5, "busy answer took \(seconds) s")
        try holder.close()
        Thread.sleep(forTimeInterval: 0.2)
        let again = try runCLI(["query", "--server", "127.0.0.1:\(server.port)", "--embedding", dir.appendingPathComponent("genuine.npy").path])
        #expect(again.0 == 0 && again.1 == "match\n", "\(again.2)")
    }

    @Test("a client's error text is logged escaped, capped and labelled as the client's; log lines carry timestamps")
    func logHygiene() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (db, _, _) = try enrolled(dir, n: 30, d: 64)
        let server = try ServerProcess(db: db, threshold: 0.5)
        defer { server.stop() }
        let forged = "boom\n2026-01-01T00:00:00.000Z cryptomask: session 99 from 6.6.6.6: ok, 1 query\u{1B}[2J" + String(repeating: "x", count: 500)
        let fd = try rawConnect(server.port)
        rawSend(fd, frame(0x01, Array("CMFM".utf8) + [1, 1, 64, 0, 0, 0]))
        rawSend(fd, frame(0x7F, Array(forged.utf8)))
        drain(fd)
        Thread.sleep(forTimeInterval: 0.3)
        let lines = server.log.split(separator: "\n").map(String.init)
        #expect(!lines.contains { $0.hasPrefix("2026-01-01T00:00:00.000Z") })
        let reported = lines.filter { $0.contains("the client's error message: \"boom\\u{a}2026-01-01") }
        #expect(reported.count == 1, "\(lines)")
        #expect(reported.first?.contains("\\u{1b}[2J") == true)
        #expect(reported.first?.contains("more characters)") == true)
        #expect(!server.log.contains("\u{1B}"))
        for line in lines { #expect(line.firstRange(of: #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /#) != nil, "\(line)") }
    }
}
