/// The ring `R_q = Z_q[X]/(X^N + 1)` with `q = p_1 * ... * p_L` in RNS form: the degree, the
/// coefficient moduli and their NTT tables. Immutable and shared by reference between the
/// polynomials that live in it. Building one costs `O(L * N)` time and `4 * L * N` words.
public final class PolyContext: Sendable, Equatable {
    /// The ring degree `N`.
    public let degree: Int
    /// The RNS moduli `p_1 ... p_L`.
    public let moduli: [Modulus]
    /// One NTT table per modulus.
    public let ntt: [NTTTables]
    /// `q` as a multi-word little-endian integer.
    public let modulusProduct: [UInt64]
    /// The CRT constants used to compose residues into integers modulo `q`.
    public let crt: CRTComposer

    /// Builds the ring.
    /// - Parameters:
    ///   - degree: `N`, a power of two.
    ///   - moduli: distinct NTT-friendly primes below `2^62`, at least one.
    /// - Throws: `RingError` when a modulus is out of range, not NTT-friendly for `N`, or repeated.
    public init(degree: Int, moduli: [UInt64]) throws(RingError) {
        guard !moduli.isEmpty, Set(moduli).count == moduli.count else {
            throw RingError.notNTTFriendly(modulus: moduli.first ?? 0, degree: degree)
        }
        var ms: [Modulus] = []
        var tables: [NTTTables] = []
        for p in moduli {
            let m = try Modulus(p)
            ms.append(m)
            tables.append(try NTTTables(modulus: m, degree: degree))
        }
        self.degree = degree
        self.moduli = ms
        self.ntt = tables
        self.crt = try CRTComposer(moduli: ms)
        self.modulusProduct = crt.product
    }

    /// The number of RNS limbs `L`.
    public var limbCount: Int { moduli.count }

    /// `log2 q`, as a real number.
    public var logModulus: Double {
        moduli.reduce(0.0) { $0 + binaryLogarithm(Double($1.value)) }
    }

    /// The same ring without its last `count` limbs (for modulus switching).
    public func droppingLastLimbs(_ count: Int = 1) throws(RingError) -> PolyContext {
        guard count >= 0, count < limbCount else { throw RingError.lengthMismatch(expected: limbCount - 1, actual: count) }
        return try PolyContext(degree: degree, moduli: moduli.dropLast(count).map(\.value))
    }

    public static func == (lhs: PolyContext, rhs: PolyContext) -> Bool {
        lhs === rhs || (lhs.degree == rhs.degree && lhs.moduli == rhs.moduli)
    }
}

/// `log2(x)` for `x > 0` without Foundation, accurate to about 1e-12 (parameter sizes and bounds).
public func binaryLogarithm(_ x: Double) -> Double {
    guard x > 0 else { return -.infinity }
    var e = 0.0, y = x
    while y >= 2 { y /= 2; e += 1 }
    while y < 1 { y *= 2; e -= 1 }
    // log2(y) for y in [1, 2) from the series of ln((1+z)/(1-z)) with z = (y-1)/(y+1).
    let z = (y - 1) / (y + 1)
    var term = z, sum = 0.0, k = 1.0
    while k < 80 { sum += term / k; term *= z * z; k += 2 }
    return e + 2 * sum / 0.6931471805599453
}
