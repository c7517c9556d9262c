import BFV
import RingArithmetic

func testRNG(_ stream: UInt64 = 0) -> ChaChaDRBG {
    ChaChaDRBG(seed: try! Seed(bytes: [UInt8](repeating: 9, count: 32)), stream: stream)
}

/// Shared contexts (building one costs a few milliseconds).
enum Fixtures {
    /// N = 4096, two 50-bit primes, t = 2^17 (the FaceMatch preset).
    static let coefficient = try! BFVContext(.faceMatch4096)
    /// N = 4096, two 50-bit primes, batching t = 65537.
    static let batching = try! BFVContext(
        Parameters(degree: 4096, coefficientModuli: Parameters.faceMatch4096.coefficientModuli, plaintextModulus: 65537))
}

/// Negacyclic product of two integer vectors modulo t (schoolbook reference).
func negacyclicModT(_ a: [Int64], _ b: [Int64], t: Int64) -> [Int64] {
    let n = a.count
    var out = [Int64](repeating: 0, count: n)
    for i in 0..<n where a[i] != 0 {
        for j in 0..<n where b[j] != 0 {
            let prod = (a[i] % t) * (b[j] % t) % t
            if i + j < n { out[i + j] = (out[i + j] + prod) % t } else { out[i + j - n] = (out[i + j - n] - prod) % t }
        }
    }
    return out.map { (($0 % t) + t) % t }
}

/// Centered representative modulo t.
func center(_ x: Int64, _ t: Int64) -> Int64 {
    let r = ((x % t) + t) % t
    return r > t / 2 ? r - t : r
}
