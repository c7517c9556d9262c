#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import FaceMatch
import RingArithmetic

enum Demo {
    static let help = """
        usage: cryptomask demo

        Builds a synthetic database of face embeddings (200 identities x 4 noisy samples,
        dimension 512, like ArcFace outputs), starts a server on a free loopback port, and asks
        one genuine query (a new sample of an enrolled person) and one impostor query (a new
        person) through real TCP sessions. Prints both answers, the bytes up and down split into
        homomorphic and comparison traffic, and the seconds.
        """

    static let identities = 200, samples = 4, dimension = 512, threshold = 0.5

    static func run(_ args: [String]) throws {
        let o = try Options(args, valued: [])
        if o.help { print(help); return }
        // Synthetic embeddings from a fixed seed (data only; all cryptographic randomness is fresh).
        var g = ChaChaDRBG(seed: try Seed(bytes: [UInt8](repeating: 42, count: 32)))
        let centers = (0..<identities + 1).map { _ in unit(gaussianVector(dimension, &g)) }
        var db = try FaceDatabase(dimension: dimension)
        var enrolled: [[Double]] = []
        for i in 0..<identities {
            for _ in 0..<samples {
                let s = sample(centers[i], &g)
                enrolled.append(s)
                try db.enroll(id: UInt64(enrolled.count - 1), embedding: s)
            }
        }
        let genuine = sample(centers[17], &g)
        let impostor = sample(centers[identities], &g)  // a person who never enrolled
        let params = try MatchParameters(dimension: dimension, threshold: threshold)
        print("CryptoMask demo: \(db.count) templates (\(identities) identities x \(samples) samples), d = \(dimension), threshold \(threshold)")
        let server = try MatchServer(database: db, parameters: params)
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        print("server on 127.0.0.1:\(listener.port), layout \(server.layout), N = \(server.layout.degree)")
        DispatchQueue.global().async {
            while let channel = try? listener.accept() {
                DispatchQueue.global().async { _ = try? server.serve(channel: channel); channel.close() }
            }
        }
        for (name, probe) in [("genuine probe (a new sample of person 17)", genuine), ("impostor probe (a person never enrolled)", impostor)] {
            let clock = ContinuousClock()
            let start = clock.now
            let channel = try TCPChannel.connect(host: "127.0.0.1", port: listener.port)
            let client = MatchClient(channel: channel, dimension: dimension)
            try client.connect()
            let result = try client.query(probe)
            try? client.close()
            channel.close()
            let elapsed = clock.now - start
            let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            let total = channel.statistics
            let best = enrolled.map { Embedding.cosine($0, probe) }.max()!
            let s = result.statistics
            print("\(name): \(result.isMatch ? "match" : "no match")   [plaintext check: max cosine \(rounded(best))]")
            print("  query: up \(Console.megabytes(s.bytesSent)), down \(Console.megabytes(s.bytesReceived)) (HE \(Console.megabytes(s.heBytes)), comparison \(Console.megabytes(s.compareBytes))), \(Console.seconds(s.seconds))")
            print("  session incl. key and OT setup: up \(Console.megabytes(total.bytesSent)), down \(Console.megabytes(total.bytesReceived)), \(Console.seconds(secs))")
        }
        listener.close()
    }

    /// A sample of a person: the identity direction plus independent noise (genuine pairs have
    /// cosine around 0.7, impostor pairs around 0 +- 0.05 at d = 512).
    static func sample(_ center: [Double], _ g: inout ChaChaDRBG) -> [Double] {
        let noise = unit(gaussianVector(center.count, &g))
        return unit(zip(center, noise).map { $0 + 0.62 * $1 })
    }

    static func gaussianVector(_ d: Int, _ g: inout ChaChaDRBG) -> [Double] {
        (0..<d).map { _ in
            let u1 = (Double(g.next() >> 11) + 1) / 9007199254740993.0
            let u2 = Double(g.next() >> 11) / 9007199254740992.0
            return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
        }
    }

    static func unit(_ v: [Double]) -> [Double] {
        let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return v.map { $0 / n }
    }

    static func rounded(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}
