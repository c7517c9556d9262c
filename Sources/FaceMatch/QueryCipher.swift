import BFV
import RingArithmetic
import SecureCompare

/// The verifier's cryptographic state for one session key: it encrypts query templates and
/// decrypts result frames into the verifier's additive shares of the truncated scores. The
/// secret key never leaves it (its description is redacted). `MatchClient` drives it over a
/// channel; use it directly to embed the protocol in another transport.
public struct QueryCipher: Sendable, CustomStringConvertible {
    /// The BFV profile.
    public let profile: MatchProfile
    /// The layout announced by the server.
    public let layout: Layout
    /// Template dimension.
    public let dimension: Int
    /// Share width `l`.
    public let shareBits: Int
    let secretKey: SecretKey
    /// The public key the server floods with.
    public let publicKey: PublicKey

    /// A fresh key pair for `profile` and `layout`.
    public init(profile: MatchProfile, layout: Layout, dimension: Int, shareBits: Int = 11, rng: inout ChaChaDRBG) {
        let context = Contexts.of(profile)
        self.profile = profile
        self.layout = layout
        self.dimension = dimension
        self.shareBits = shareBits
        secretKey = SecretKey(context: context, rng: &rng)
        publicKey = PublicKey(secretKey: secretKey, rng: &rng)
    }

    public var description: String { "QueryCipher(\(profile), \(layout), key <redacted>)" }

    /// The query payload: `B` seeded symmetric encryptions of
    /// `Q_b(X) = sum_j x[b*d_b + j] X^j`, each behind a 4-byte length. `rng` advances; never
    /// replay it from a copy (equal generator states give equal encryption randomness).
    /// - Throws: `FaceMatchError.invalidEmbedding` for a template of the wrong length.
    public func encryptQuery(_ template: [Int8], rng: inout ChaChaDRBG) throws(FaceMatchError) -> [UInt8] {
        guard template.count == dimension else { throw FaceMatchError.invalidEmbedding("template of \(template.count) values, expected \(dimension)") }
        let context = Contexts.of(profile)
        let encryptor = Encryptor(secretKey: secretKey)
        let encoder = CoefficientEncoder(context: context)
        // Blocks are encrypted and serialized on all cores, each from its own generator seeded
        // from `rng` (so no two blocks share randomness and the order of work does not matter).
        let seeds = (0..<layout.blocks).map { _ in rng.nextSeed() }
        let (blocks, length) = (layout.blocks, layout.blockLength)
        let encrypted = parallelMap(blocks) { b in
            Result { () throws(BFVError) -> [UInt8] in
                var values = [Int64](repeating: 0, count: length)
                for j in 0..<length where b * length + j < template.count { values[j] = Int64(template[b * length + j]) }
                var g = ChaChaDRBG(seed: seeds[b])
                return try encryptor.encrypt(encoder.encode(values), rng: &g).serialized()
            }
        }
        var payload: [UInt8] = []
        for result in encrypted {
            let bytes = try FaceMatchError.wrap { () throws(BFVError) in try result.get() }
            payload += (0..<4).map { UInt8(truncatingIfNeeded: bytes.count >> (8 * $0)) } + bytes
        }
        return payload
    }

    /// Decrypts one result frame: per result, the `K` target coefficients with plaintext
    /// modulus `2^plaintextBits` (`shareBits` gives the verifier's shares
    /// `u = round((v + M) / 2^(17-l)) mod 2^l`; `downloadBits - 4`, i.e. `2^17`, gives
    /// `v + M` itself plus noise, for analysis). At most `remaining` results are accepted.
    /// - Throws: `FaceMatchError.protocolViolation` for a malformed frame.
    public func decryptFrame(_ frame: [UInt8], remaining: Int, plaintextBits: Int? = nil) throws(FaceMatchError) -> (results: Int, values: [UInt64]) {
        let group = try ResultCodec.decode(frame, layout: layout, bits: shareBits + 10, maxCount: remaining)
        let decryptor = Decryptor(secretKey: secretKey)
        var values: [UInt64] = []
        for ct in group {
            values += try FaceMatchError.wrap { () throws(BFVError) in try decryptor.decrypt(ct, plaintextBits: plaintextBits ?? shareBits) }
        }
        return (group.count, values)
    }
}
