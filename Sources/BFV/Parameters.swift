import RingArithmetic

/// BFV encryption parameters: ring degree `N`, RNS coefficient primes (`q` is their product),
/// plaintext modulus `t`, and the error distribution (centered binomial, std-dev 3.24).
///
/// Validation enforces 128-bit classical security for ternary secrets from the
/// HomomorphicEncryption.org standard table: `log2 q <= 27, 54, 109, 218, 438, 881` for
/// `N = 1024 ... 32768`. Anything weaker throws `BFVError.invalidParameters`.
public struct Parameters: Sendable, Hashable, CustomStringConvertible {
    /// Ring degree `N` (power of two, 1024 ... 32768).
    public let degree: Int
    /// Coefficient primes `p_1 ... p_L`: distinct, prime, `= 1 mod 2N`, below `2^62`.
    public let coefficientModuli: [UInt64]
    /// Plaintext modulus `t >= 2`, below every coefficient prime. Batching needs `t` prime and
    /// `t = 1 mod 2N`.
    public let plaintextModulus: UInt64
    /// Standard deviation of the error distribution (the centered binomial with eta = 21).
    public let errorStandardDeviation: Double

    /// The largest `log2 q` allowed for 128-bit security at each degree (ternary secret, std-dev 3.2).
    public static let securityTable: [Int: Double] = [
        1024: 27, 2048: 54, 4096: 109, 8192: 218, 16384: 438, 32768: 881,
    ]

    /// Validates and creates parameters.
    /// - Throws: `BFVError.invalidParameters` naming the violated rule.
    public init(degree: Int, coefficientModuli: [UInt64], plaintextModulus: UInt64) throws(BFVError) {
        guard let limit = Parameters.securityTable[degree] else {
            throw BFVError.invalidParameters("degree \(degree) must be a power of two from 1024 to 32768")
        }
        guard !coefficientModuli.isEmpty else { throw BFVError.invalidParameters("no coefficient moduli") }
        guard Set(coefficientModuli).count == coefficientModuli.count else {
            throw BFVError.invalidParameters("coefficient moduli must be distinct")
        }
        var logQ = 0.0
        for p in coefficientModuli {
            guard p < 1 << 62, Primes.isPrime(p), (p - 1) % UInt64(2 * degree) == 0 else {
                throw BFVError.invalidParameters("\(p) is not a prime below 2^62 with p = 1 mod 2N")
            }
            logQ += Parameters.log2(p)
        }
        guard logQ <= limit else {
            throw BFVError.invalidParameters(
                "log2 q = \(Int(logQ.rounded(.up))) exceeds \(Int(limit)) bits, the 128-bit security limit for N = \(degree)")
        }
        guard plaintextModulus >= 2, plaintextModulus < coefficientModuli.min()! else {
            throw BFVError.invalidParameters("plaintext modulus must be in 2 ..< min(coefficient moduli)")
        }
        self.degree = degree
        self.coefficientModuli = coefficientModuli
        self.plaintextModulus = plaintextModulus
        self.errorStandardDeviation = 3.24
    }

    /// `log2 q`.
    public var logModulus: Double { coefficientModuli.reduce(0) { $0 + Parameters.log2($1) } }

    /// Whether `t` supports the SIMD batch encoder (prime, `t = 1 mod 2N`).
    public var supportsBatching: Bool {
        Primes.isPrime(plaintextModulus) && (plaintextModulus - 1) % UInt64(2 * degree) == 0
    }

    /// A stable 64-bit fingerprint of the parameters (FNV-1a over their canonical little-endian
    /// encoding). Identifies parameter sets in serialized data; not a security check.
    public var fingerprint: UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ x: UInt64) {
            for k in 0..<8 {
                h ^= (x >> (8 * UInt64(k))) & 0xff
                h = h &* 0x0000_0100_0000_01b3
            }
        }
        mix(1)  // encoding version
        mix(UInt64(degree))
        mix(UInt64(coefficientModuli.count))
        for p in coefficientModuli { mix(p) }
        mix(plaintextModulus)
        return h
    }

    public var description: String {
        "BFV(N=\(degree), log2 q=\(Int(logModulus.rounded(.up))), L=\(coefficientModuli.count), t=\(plaintextModulus))"
    }

    static func log2(_ x: UInt64) -> Double { binaryLogarithm(Double(x)) }

    // MARK: Presets

    /// FaceMatch profile for up to 2^20 targets per key: N = 4096, two 50-bit primes
    /// (log2 q ~ 100 <= 109), t = 2^17.
    public static let faceMatch4096: Parameters = preset(degree: 4096, bits: [50, 50], t: 1 << 17)

    /// FaceMatch profile for up to 2^28 targets per key: N = 8192, two 59-bit primes
    /// (log2 q ~ 118 <= 218), t = 2^17.
    public static let faceMatch8192: Parameters = preset(degree: 8192, bits: [59, 59], t: 1 << 17)

    /// Base-OT profile: N = 8192, two 56-bit primes, batching t = 65537 (prime, 1 mod 16384).
    public static let baseOT: Parameters = preset(degree: 8192, bits: [56, 56], t: 65537)

    /// Builds a preset from prime sizes (largest NTT-friendly primes of each size, distinct).
    static func preset(degree: Int, bits: [Int], t: UInt64) -> Parameters {
        var primes: [UInt64] = []
        for b in bits {
            // Presets are fixed and tested: generation cannot fail for these sizes.
            primes += (try? Primes.nttFriendly(bits: b, count: 1, degree: degree, excluding: primes)) ?? []
        }
        return (try? Parameters(degree: degree, coefficientModuli: primes, plaintextModulus: t))!
    }
}
