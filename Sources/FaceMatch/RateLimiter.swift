import Synchronization

/// Queries per minute per verifier address: a token bucket per address that holds at most
/// `perMinute` queries and refills at `perMinute / 60` per second, so a verifier may burst up to
/// a minute's allowance and then continue at the rate. Adaptive probing of the one-bit answer
/// is this system's main real-world threat; the rate bounds how fast one address can probe.
///
/// Memory is bounded: at most `capacity` addresses are tracked; when full, buckets that have
/// refilled completely (indistinguishable from new ones) are dropped, then the least recently
/// used. Many addresses (a botnet, an IPv6 prefix) multiply the rate: see the README's threat
/// model.
public final class RateLimiter: Sendable {
    /// Queries per minute per address.
    public let perMinute: Double
    /// Addresses tracked at most.
    public let capacity: Int
    private let buckets = Mutex<[String: (tokens: Double, updated: ContinuousClock.Instant)]>([:])

    /// A limiter of `perMinute` queries per minute (> 0) per address.
    public init(perMinute: Double, capacity: Int = 65_536) {
        self.perMinute = perMinute
        self.capacity = max(1, capacity)
    }

    /// Takes one query from `address`'s bucket. Returns `nil` when allowed, otherwise the
    /// seconds until the next query would be.
    public func take(_ address: String, now: ContinuousClock.Instant = .now) -> Double? {
        let rate = perMinute / 60
        return buckets.withLock { b -> Double? in
            func level(_ e: (tokens: Double, updated: ContinuousClock.Instant)) -> Double {
                let elapsed = now - e.updated
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
                return min(perMinute, e.tokens + max(0, seconds) * rate)
            }
            if b[address] == nil && b.count >= capacity {
                b = b.filter { level($0.value) < perMinute }
                if b.count >= capacity, let oldest = b.min(by: { $0.value.updated < $1.value.updated }) { b[oldest.key] = nil }
            }
            let tokens = b[address].map(level) ?? perMinute
            guard tokens >= 1 else {
                b[address] = (tokens, now)
                return (1 - tokens) / rate
            }
            b[address] = (tokens - 1, now)
            return nil
        }
    }
}
