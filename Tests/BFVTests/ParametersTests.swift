import Testing
import BFV
import RingArithmetic

@Suite("Parameters")
struct ParametersTests {
    @Test("presets are valid and within the 128-bit table")
    func presets() throws {
        for p in [Parameters.faceMatch4096, .faceMatch8192, .baseOT] {
            #expect(p.logModulus <= Parameters.securityTable[p.degree]!)
            _ = try BFVContext(p)
        }
        #expect(Parameters.faceMatch4096.degree == 4096)
        #expect(abs(Parameters.faceMatch4096.logModulus - 100) < 1)
        #expect(Parameters.faceMatch4096.plaintextModulus == 1 << 17)
        #expect(Parameters.faceMatch8192.degree == 8192)
        #expect(Parameters.baseOT.supportsBatching)
        #expect(!Parameters.faceMatch4096.supportsBatching)
    }

    @Test("parameters weaker than 128-bit security or malformed are rejected")
    func rejects() throws {
        let big = try Primes.nttFriendly(bits: 60, count: 2, degree: 4096)
        // 120 bits at N = 4096 exceeds 109.
        #expect(throws: BFVError.self) { try Parameters(degree: 4096, coefficientModuli: big, plaintextModulus: 257) }
        // 2048 allows 54 bits: two 30-bit primes (60) fail.
        let small = try Primes.nttFriendly(bits: 30, count: 2, degree: 2048)
        #expect(throws: BFVError.self) { try Parameters(degree: 2048, coefficientModuli: small, plaintextModulus: 257) }
        #expect(throws: BFVError.self) { try Parameters(degree: 1000, coefficientModuli: [12289], plaintextModulus: 2) }
        #expect(throws: BFVError.self) { try Parameters(degree: 512, coefficientModuli: [12289], plaintextModulus: 2) }
        #expect(throws: BFVError.self) { try Parameters(degree: 4096, coefficientModuli: [big[0], big[0]], plaintextModulus: 2) }
        #expect(throws: BFVError.self) { try Parameters(degree: 4096, coefficientModuli: [(1 << 50) - 1], plaintextModulus: 2) }
        #expect(throws: BFVError.self) { try Parameters(degree: 4096, coefficientModuli: [big[0]], plaintextModulus: 1) }
        #expect(throws: BFVError.self) { try Parameters(degree: 4096, coefficientModuli: [big[0]], plaintextModulus: big[0]) }
        #expect(throws: BFVError.self) { try Parameters(degree: 4096, coefficientModuli: [], plaintextModulus: 2) }
    }

    @Test("fingerprints are stable and distinguish parameter sets")
    func fingerprints() throws {
        let a = Parameters.faceMatch4096
        let b = try Parameters(degree: 4096, coefficientModuli: a.coefficientModuli, plaintextModulus: a.plaintextModulus)
        #expect(a.fingerprint == b.fingerprint)
        let c = try Parameters(degree: 4096, coefficientModuli: a.coefficientModuli, plaintextModulus: 65537)
        #expect(a.fingerprint != c.fingerprint)
        #expect(a.fingerprint != Parameters.faceMatch8192.fingerprint)
    }
}
