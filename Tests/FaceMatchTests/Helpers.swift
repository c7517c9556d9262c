import Dispatch
import FaceMatch
import RingArithmetic
import SecureCompare

func testRNG(_ stream: UInt64 = 0) -> ChaChaDRBG {
    ChaChaDRBG(seed: try! Seed(bytes: [UInt8](repeating: 3, count: 32)), stream: stream)
}

/// A reproducible randomness source for one session (explicitly deterministic; see `RandomSource`).
func testSource(_ stream: UInt64 = 0) -> RandomSource {
    var g = testRNG(stream)
    return RandomSource(deterministicSeed: g.nextSeed())
}

/// A standard normal variate (Box-Muller) from the DRBG.
func gaussian(_ g: inout ChaChaDRBG) -> Double {
    let u1 = (Double(g.next() >> 11) + 1) / 9007199254740993.0
    let u2 = Double(g.next() >> 11) / 9007199254740992.0
    return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
}

/// Natural logarithm (tests avoid Foundation).
func log(_ x: Double) -> Double { binaryLogarithm(x) * 0.6931471805599453 }

func cos(_ x: Double) -> Double {
    var r = x.truncatingRemainder(dividingBy: 2 * Double.pi)
    if r > Double.pi { r -= 2 * Double.pi }
    if r < -Double.pi { r += 2 * Double.pi }
    var term = 1.0, sum = 1.0
    for k in 1..<30 { term *= -r * r / Double((2 * k - 1) * (2 * k)); sum += term }
    return sum
}

func unitVector(_ d: Int, _ g: inout ChaChaDRBG) -> [Double] {
    let v = (0..<d).map { _ in gaussian(&g) }
    let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return v.map { $0 / n }
}

/// A unit vector with cosine exactly `c` to the unit vector `y`.
func probe(near y: [Double], cosine c: Double, _ g: inout ChaChaDRBG) -> [Double] {
    var z = unitVector(y.count, &g)
    let dot = zip(z, y).reduce(0) { $0 + $1.0 * $1.1 }
    z = zip(z, y).map { $0 - dot * $1 }
    let zn = z.reduce(0) { $0 + $1 * $1 }.squareRoot()
    let s = (1 - c * c).squareRoot()
    return zip(y, z).map { c * $0 + s * $1 / zn }
}

final class Box<T>: @unchecked Sendable { var value: T?; init() {} }

/// Runs a server session and a client session concurrently; `client` gets a connected client.
func session<T>(_ server: MatchServer, dimension: Int, seed: UInt64, _ client: @escaping (MatchClient) throws -> T) throws -> T {
    let (cs, cc) = InMemoryChannel.pair()
    let serverResult = Box<Result<Int, FaceMatchError>>()
    let group = DispatchGroup()
    DispatchQueue.global().async(group: group) {
        serverResult.value = Result { () throws(FaceMatchError) in try server.serve(channel: cs, randomness: testSource(seed)) }
        if case .failure = serverResult.value! { cs.close() }
    }
    let c = MatchClient(channel: cc, dimension: dimension, randomness: testSource(seed + 1))
    let out: T
    do {
        try c.connect()
        out = try client(c)
        try c.close()
    } catch {
        cc.close()
        group.wait()
        throw error
    }
    group.wait()
    _ = try serverResult.value!.get()
    return out
}

/// The message of loading the database at `path`, or nil when it loads.
func loadError(_ path: String) -> String? {
    do {
        _ = try DatabaseFile.load(path: path)
        return nil
    } catch {
        return "\(error)"
    }
}

/// `n` random unit vectors of dimension `d`, enrolled with ids `0 ..< n`.
func enrolledDatabase(n: Int, d: Int, _ g: inout ChaChaDRBG) throws -> (FaceDatabase, [[Double]]) {
    var db = try FaceDatabase(dimension: d)
    var vectors: [[Double]] = []
    for i in 0..<n {
        let v = unitVector(d, &g)
        vectors.append(v)
        try db.enroll(id: UInt64(i), embedding: v)
    }
    return (db, vectors)
}

/// A database file in format 1 (read-only since format 2), written byte by byte from its
/// layout (`DatabaseFormat`): a 32-byte header without a next id, records without flags; ids
/// 0, 1, 2, ... in order.
func formatOneFile(_ templates: [[Int8]], labels: [String]) -> [UInt8] {
    func le(_ v: UInt64, _ w: Int) -> [UInt8] { (0..<w).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
    func fnv(_ b: [UInt8]) -> [UInt8] {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for x in b { h ^= UInt64(x); h = h &* 0x0000_0100_0000_01b3 }
        return le(h, 8)
    }
    var header = Array("CMDB".utf8) + [1, 0, 0, 0] + le(UInt64(templates[0].count), 4) + le(128, 2) + [0, 0] + le(UInt64(templates.count), 8)
    header += fnv(header)
    var file = header
    for (i, t) in templates.enumerated() {
        var r = le(UInt64(i), 8) + le(UInt64(labels[i].utf8.count), 2) + Array(labels[i].utf8) + t.map { UInt8(bitPattern: $0) }
        r += fnv(r)
        file += r
    }
    return file
}
