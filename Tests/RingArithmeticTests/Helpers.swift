import RingArithmetic

/// A deterministic generator for reproducible tests.
func testRNG(_ stream: UInt64 = 0) -> ChaChaDRBG {
    ChaChaDRBG(seed: try! Seed(bytes: [UInt8](repeating: 7, count: 32)), stream: stream)
}

func hexBytes(_ s: String) -> [UInt8] {
    let digits = s.filter { $0.isHexDigit }
    var out: [UInt8] = []
    var i = digits.startIndex
    while i < digits.endIndex {
        let j = digits.index(i, offsetBy: 2)
        out.append(UInt8(digits[i..<j], radix: 16)!)
        i = j
    }
    return out
}

/// Schoolbook negacyclic product modulo p: the independent reference for NTT multiplication.
func schoolbookNegacyclic(_ a: [UInt64], _ b: [UInt64], _ p: UInt64) -> [UInt64] {
    let n = a.count
    var out = [UInt128](repeating: 0, count: n)
    let P = UInt128(p)
    for i in 0..<n {
        for j in 0..<n {
            let prod = UInt128(a[i]) * UInt128(b[j]) % P
            let k = i + j
            if k < n {
                out[k] = (out[k] + prod) % P
            } else {
                out[k - n] = (out[k - n] + P - prod) % P
            }
        }
    }
    return out.map { UInt64($0) }
}
