import RingArithmetic
import SecureCompare

/// Something a `SessionHost` runs verifier (or cluster) sessions for: a `MatchServer` over one
/// database, a `FrontServer` over many shards, or a `ShardServer` answering its front.
public protocol MatchService: AnyObject, Sendable {
    /// Queries one client key may ask (the key's target budget over `targetsPerQuery`).
    var queriesPerKey: Int { get }
    /// Targets one query decrypts under the client's key.
    var targetsPerQuery: Int { get }
    /// Runs one session on `channel` until the peer's goodbye; returns the queries answered.
    /// On a protocol error it sends an error frame and rethrows; the service stays usable.
    func serve(channel: Channel, randomness: RandomSource, policy: SessionPolicy?) throws(FaceMatchError) -> Int
}

extension MatchServer: MatchService {}
