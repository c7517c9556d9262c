import SecureCompare

/// A verifier's public key as the server remembers it: the first 16 bytes of the SHA-256 of its
/// serialized form (the encoding is canonical, so one key has one fingerprint).
public struct KeyFingerprint: Sendable, Hashable, CustomStringConvertible {
    /// The 16 bytes.
    public let bytes: [UInt8]

    /// The fingerprint of a serialized public key.
    public init(serializedKey: [UInt8]) { bytes = Array(SHA256.hash(serializedKey).prefix(16)) }

    /// The first 8 bytes in hex (enough to tell keys apart in a log; not secret).
    public var description: String {
        let digits = Array("0123456789abcdef")
        return String(bytes.prefix(8).flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }
}

/// How one query of a session ended, for the audit log. Never carries query data.
public enum QueryOutcome: Sendable, Equatable {
    /// Answered: the verifier received its result and the comparison ran.
    case answered
    /// Refused before any work (the text says why: rate limit, key budget).
    case refused(String)
    /// Started but did not complete (the text says why: disconnect, deadline, protocol error).
    case failed(String)
}

/// The host's decisions about one session and where its queries are recorded: a rate limit per
/// verifier address, a target budget per public key across connections, and an audit line per
/// query. `MatchServer.serve` calls it; the `SessionHost` provides the standard one.
public protocol SessionPolicy: Sendable {
    /// Called when the verifier's public key arrived; throws (`FaceMatchError.refused`) to end
    /// the session, e.g. when the key cannot pay for one more query of `targets` targets.
    func admitKey(_ key: KeyFingerprint, targets: Int) throws(FaceMatchError)
    /// Called before each query's work; throws (`FaceMatchError.refused`) to refuse it.
    func admitQuery(_ key: KeyFingerprint, targets: Int) throws(FaceMatchError)
    /// Whether work may start now for this session at all (the host is not stopping, the
    /// session's database snapshot is current); `admitQuery` includes it. A shard, which has no
    /// verifier key or rate of its own, asks only this.
    func checkCurrent() throws(FaceMatchError)
    /// Called once per query (numbered from 1) with its outcome.
    func record(query: Int, _ outcome: QueryOutcome)
}

extension SessionPolicy {
    public func checkCurrent() throws(FaceMatchError) {}
}
