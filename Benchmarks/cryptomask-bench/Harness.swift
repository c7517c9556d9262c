/// Minimal benchmark harness: medians of repeated timed batches, JSON-lines output.

/// One benchmark result: a name, the median nanoseconds per operation and its parameters.
struct BenchResult {
    var name: String
    var ns: Double
    var fields: [(String, String)] = []

    /// One JSON object on one line.
    var json: String {
        var parts = ["\"name\":\"\(name)\"", "\"ns\":\(format(ns))"]
        for (k, v) in fields { parts.append("\"\(k)\":\(v)") }
        return "{" + parts.joined(separator: ",") + "}"
    }

    var text: String {
        let extra = fields.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
        return "\(name.padding(28)) \(format(ns).padding(14, left: true)) ns   \(extra)"
    }
}

func format(_ x: Double) -> String {
    if x >= 100 { return String(Int64(x.rounded())) }
    let scaled = (x * 1000).rounded() / 1000
    return "\(scaled)"
}

extension String {
    func padding(_ width: Int, left: Bool = false) -> String {
        count >= width ? self : (left ? String(repeating: " ", count: width - count) + self
                                      : self + String(repeating: " ", count: width - count))
    }
}

/// Times `body` (which performs `opsPerCall` operations) in batches and returns the median
/// nanoseconds per operation. Runs at least `minBatches` batches and about `budget` seconds.
func measure(opsPerCall: Double = 1, minBatches: Int = 11, budget: Double = 1.0, _ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    // Warm up and size a batch to roughly budget / minBatches.
    body()
    var reps = 1
    while true {
        let t = clock.measure { for _ in 0..<reps { body() } }
        let seconds = Double(t.components.seconds) + Double(t.components.attoseconds) * 1e-18
        if seconds * Double(minBatches) >= budget || reps >= 1 << 20 { break }
        reps *= 2
    }
    var samples: [Double] = []
    for _ in 0..<minBatches {
        let t = clock.measure { for _ in 0..<reps { body() } }
        let seconds = Double(t.components.seconds) + Double(t.components.attoseconds) * 1e-18
        samples.append(seconds * 1e9 / Double(reps) / opsPerCall)
    }
    samples.sort()
    return samples[samples.count / 2]
}

/// Keeps a value alive so the optimizer cannot drop the work that produced it.
@inline(never)
func blackHole<T>(_ x: T) { _ = x }

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
