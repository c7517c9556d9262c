import Dispatch
import FaceMatch
import RingArithmetic
import SecureCompare

/// `cluster.seal`: one 4 MB frame sealed by the front's `SealedChannel` and opened by the
/// shard's (both on this thread, over the in-memory pair; one core). `ns` per frame, `mbps` the
/// payload megabytes (10^6 bytes) per second through seal and open together. `cluster.sha256`
/// and `cluster.chacha20`: the two halves of that cost, MB/s over the same 4 MB on one core.
func clusterLinkBenchmarks(_ run: (String, () -> BenchResult) -> Void) {
    let size = 4_000_000
    let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    func result(_ name: String, _ ns: Double) -> BenchResult {
        BenchResult(name: name, ns: ns, fields: [("bytes", "\(size)"), ("mbps", format(Double(size) / ns * 1000))])
    }
    run("cluster.seal") {
        let key = (try? ClusterKey(bytes: [UInt8](repeating: 0x4B, count: 32)))!
        let (a, b) = InMemoryChannel.pair()
        let shardEnd = SealedBox()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { shardEnd.channel = try? ClusterHandshake.asShard(b, key: key) }
        let front = (try? ClusterHandshake.asFront(a, key: key))!
        group.wait()
        let shard = shardEnd.channel!
        let ns = measure(minBatches: 7, budget: 3) {
            try? front.send(MessageType(rawValue: 0x33), payload)
            blackHole(try? shard.receiveAny())
        }
        return result("cluster.seal", ns)
    }
    run("cluster.sha256") {
        let key = [UInt8](repeating: 0x4B, count: 32)
        return result("cluster.sha256", measure(minBatches: 7, budget: 2) { blackHole(HMAC.authenticate(payload, key: key)) })
    }
    run("cluster.chacha20") {
        var bytes = payload
        let key = [UInt32](repeating: 7, count: 8)
        let ns = bytes.withUnsafeMutableBytes { b in
            key.withUnsafeBufferPointer { k in measure(minBatches: 7, budget: 2) { ChaCha20.xor(b, key: k.baseAddress!, nonce: (1, 2, 3), counter: 0) } }
        }
        return result("cluster.chacha20", ns)
    }
}

/// The shard's end, handed over from the handshake's thread.
final class SealedBox: @unchecked Sendable { var channel: SealedChannel? }
