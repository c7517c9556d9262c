import Foundation
import Testing
import BFV
import FaceMatch
import SecureCompare

/// Raw socket writes for crafting bad frames.
func rawConnect(_ port: Int) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = UInt16(port).bigEndian
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard ok == 0 else { throw CocoaError(.fileReadUnknown) }
    return fd
}

func rawSend(_ fd: Int32, _ bytes: [UInt8]) {
    _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress!, bytes.count, Int32(MSG_NOSIGNAL)) }
}

func frame(_ type: UInt8, _ payload: [UInt8], claimedLength: Int? = nil) -> [UInt8] {
    let n = UInt32(claimedLength ?? payload.count)
    return [type, UInt8(n & 0xff), UInt8((n >> 8) & 0xff), UInt8((n >> 16) & 0xff), UInt8(n >> 24)] + payload
}

/// Waits until the peer closes (or 10 s pass).
func drain(_ fd: Int32) {
    var tv = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var buffer = [UInt8](repeating: 0, count: 4096)
    while buffer.withUnsafeMutableBytes({ recv(fd, $0.baseAddress!, 4096, 0) }) > 0 {}
    close(fd)
}

@Suite("server robustness", .serialized)
struct RobustnessTests {
    @Test("each broken session ends alone; a valid query right after gets the right answer")
    func failures() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var s = Synthetic(d: 64)
        let people = (0..<20).map { _ in s.unitVector() }
        let db = dir.appendingPathComponent("faces.cmdb").path
        try writeNPY(people, to: dir.appendingPathComponent("p.npy"))
        #expect(try runCLI(["enroll", "--db", db, "--embeddings", dir.appendingPathComponent("p.npy").path]).0 == 0)
        let server = try ServerProcess(db: db, threshold: 0.5)
        defer { server.stop() }
        try writeNPY([s.near(people[4], cosine: 0.9)], to: dir.appendingPathComponent("genuine.npy"))
        func validQuery() throws {
            let r = try runCLI(["query", "--server", "127.0.0.1:\(server.port)", "--embedding", dir.appendingPathComponent("genuine.npy").path])
            #expect(r.0 == 0 && r.1.hasSuffix("match\n") && !r.1.contains("no match"), "\(r.2)")
        }
        let hello: [UInt8] = Array("CMFM".utf8) + [1, 1, 64, 0, 0, 0]
        let failures: [(String, () throws -> Void)] = [
            ("malformed frame", {
                let fd = try rawConnect(server.port)
                rawSend(fd, frame(0x01, [9, 9, 9]))
                drain(fd)
            }),
            ("oversized length", {
                let fd = try rawConnect(server.port)
                rawSend(fd, frame(0x01, [], claimedLength: 0xFFFF_FFF0))
                drain(fd)
            }),
            ("wrong fingerprint", {
                // A valid hello, then a public key made for other BFV parameters.
                let fd = try rawConnect(server.port)
                rawSend(fd, frame(0x01, hello))
                let other = try BFVContext(.faceMatch8192)
                rawSend(fd, frame(0x03, PublicKey(secretKey: SecretKey(context: other)).serialized()))
                drain(fd)
            }),
            ("truncated stream", {
                let fd = try rawConnect(server.port)
                rawSend(fd, frame(0x01, hello))
                rawSend(fd, frame(0x03, [1, 2, 3], claimedLength: 100_000))
                close(fd)
            }),
            ("client vanishing mid-query", {
                let channel = try TCPChannel.connect(host: "127.0.0.1", port: server.port)
                let client = MatchClient(channel: channel, dimension: 64)
                try client.connect()
                // Send a well-formed query (B fresh ciphertexts), then disappear before the results.
                let context = try BFVContext(.faceMatch4096)
                let blocks = try Layout.optimal(n: 20, parameters: MatchParameters(dimension: 64, threshold: 0.5), profile: .small).blocks
                let encryptor = Encryptor(secretKey: SecretKey(context: context))
                var payload: [UInt8] = []
                for _ in 0..<blocks {
                    let ct = try encryptor.encrypt(CoefficientEncoder(context: context).encode([1, 2, 3])).serialized()
                    payload += (0..<4).map { UInt8(truncatingIfNeeded: ct.count >> (8 * $0)) } + ct
                }
                try channel.send(MessageType(rawValue: 0x04), payload)
                channel.close()
            }),
            ("garbage instead of a hello", {
                let fd = try rawConnect(server.port)
                rawSend(fd, Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
                drain(fd)
            }),
        ]
        for (name, breakIt) in failures {
            try breakIt()
            #expect(server.isRunning, "server died after \(name)")
            try validQuery()
        }
        #expect(server.isRunning)
        let log = server.log
        #expect(log.contains("ended:"))
        #expect(log.components(separatedBy: "\n").filter { $0.contains(": ok, 1 query") }.count == failures.count)
    }
}
