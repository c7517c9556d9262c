import Synchronization

/// Targets spent per client public key across all connections of a server, so a verifier that
/// reuses its key in many sessions still stays within the union bound the flooding was sized
/// for (`MatchProfile.targetBudget` targets per key, or less when the host set fewer queries
/// per key).
///
/// Memory is bounded: at most `capacity` fingerprints (about 100 bytes each) are remembered;
/// beyond that the oldest is forgotten, after which that key could spend a fresh budget. An
/// honest client makes a fresh key per connection, so only a deviating verifier is affected.
public final class KeyBudget: Sendable {
    /// Fingerprints remembered at most.
    public let capacity: Int
    private let state = Mutex<(spent: [KeyFingerprint: Int], order: [KeyFingerprint], head: Int)>(([:], [], 0))

    /// A memory of up to `capacity` keys (at least 1).
    public init(capacity: Int = 65_536) {
        self.capacity = max(1, capacity)
    }

    /// Targets `key` has spent so far (0 for a key not remembered).
    public func spent(_ key: KeyFingerprint) -> Int { state.withLock { $0.spent[key] ?? 0 } }

    /// Whether `key` can still pay for `cost` targets within `budget` (without spending them).
    public func canSpend(_ key: KeyFingerprint, _ cost: Int, budget: Int) -> Bool {
        state.withLock { ($0.spent[key] ?? 0) + cost <= budget }
    }

    /// Spends `cost` targets of `key` if the total stays within `budget`; returns whether it did.
    public func spend(_ key: KeyFingerprint, _ cost: Int, budget: Int) -> Bool {
        state.withLock { s in
            let used = s.spent[key] ?? 0
            guard used + cost <= budget else { return false }
            if s.spent[key] == nil {
                // A ring of insertion order: the oldest fingerprint makes room for the newest.
                if s.order.count < capacity {
                    s.order.append(key)
                } else {
                    s.spent[s.order[s.head]] = nil
                    s.order[s.head] = key
                    s.head = (s.head + 1) % capacity
                }
            }
            s.spent[key] = used + cost
            return true
        }
    }
}
