import BFV
import SecureCompare

/// The frames a server session accepts in each stage, with sizes derived from the session's
/// parameters (checked from each frame's header before its payload is read):
/// - hello: the client hello (10 bytes; 64 allowed);
/// - key: one serialized public key of the profile (its exact size);
/// - query: `B` length-prefixed level-0 ciphertexts of size 2 (seeded or not), a goodbye (empty);
/// - comparison: the comparison layer's messages (types 0x10 ... 0x3F), each at most
///   `2 MiB + 16 * n` bytes: the OT-extension matrices (IKNP and KK13) stream in frames of at most
///   1 MiB, a base-OT reply takes 64 KiB, and an AND round opens a few bits per compared value
///   (measured at n = 100,000: 16 KiB), which the `16 n` term covers many times over.
/// Every stage also accepts an error report of `FrameLimits.errorText` bytes.
struct SessionFrames: Sendable {
    let hello: FrameLimits
    let key: FrameLimits
    let query: FrameLimits
    let comparison: FrameLimits

    init(profile: MatchProfile, blocks: Int, count: Int) {
        let error = (MessageType.error, FrameLimits.errorText)
        let params = profile.parameters
        let bits = Int(params.logModulus.rounded(.up))
        let poly = (params.degree * bits + 7) / 8
        // Header (14) + level, size, form, seeded (4) + two polynomials, or one and a seed.
        let ciphertext = 18 + 2 * poly
        let publicKey = 14 + poly + 32
        hello = FrameLimits([(.hello, 64), (.ping, 0), error])
        key = FrameLimits([(.publicKey, publicKey), error])
        query = FrameLimits([(.query, blocks * (4 + ciphertext)), (.bye, 0), error])
        let perFrame = (2 << 20) + 16 * count
        comparison = FrameLimits((0x10...0x3F).map { (MessageType(rawValue: UInt8($0)), perFrame) } + [error])
    }
}
