import SecureCompare

/// The host's policy for one session: rate limit, key budget, audit lines.
struct HostPolicy: SessionPolicy {
    let host: SessionHost
    let server: any MatchService
    let peer: String
    let address: String
    let session: Int
    /// Targets one key may decrypt on this service (asked when used: a front's `n` follows its shards).
    var budget: Int { server.queriesPerKey * server.targetsPerQuery }

    func admitKey(_ key: KeyFingerprint, targets: Int) throws(FaceMatchError) {
        guard host.keys.canSpend(key, targets, budget: budget) else {
            host.log("session \(session) from \(peer): public key \(key) has spent its budget")
            throw FaceMatchError.refused("key budget spent: this public key has used its target budget on this server; connect with a fresh key")
        }
    }

    func checkCurrent() throws(FaceMatchError) {
        guard !host.stopped.withLock({ $0 }) else { throw FaceMatchError.refused("the server is shutting down; reconnect later") }
        // A session answers from one snapshot; after a change (a removal above all) it must not.
        guard host.isCurrent(server) else { throw FaceMatchError.refused(MatchServer.databaseChangedMessage) }
    }

    func admitQuery(_ key: KeyFingerprint, targets: Int) throws(FaceMatchError) {
        try checkCurrent()
        if let rate = host.rate, let wait = rate.take(address) {
            let perMinute = rate.perMinute == rate.perMinute.rounded() ? "\(Int(rate.perMinute))" : "\(rate.perMinute)"
            throw FaceMatchError.refused("rate limited: at most \(perMinute) queries per minute from \(address); retry in \(Int(wait.rounded(.up))) s")
        }
        guard host.keys.spend(key, targets, budget: budget) else {
            throw FaceMatchError.refused("key budget spent: this public key has used its target budget on this server; connect with a fresh key")
        }
    }

    func record(query: Int, _ outcome: QueryOutcome) {
        let text: String
        switch outcome {
        case .answered: text = "answered"
        case .refused(let reason): text = "refused reason=\(LogLine.peerText(reason))"
        case .failed(let reason): text = "failed reason=\(LogLine.peerText(reason))"
        }
        host.audit("session=\(session) peer=\(peer) query=\(query) outcome=\(text)")
    }
}
