import SecureCompare

/// A point on the monotonic clock by which something must happen, with the name of the rule
/// that set it (for the error when it passes). `nil` remaining time means it has passed.
struct Deadline: Sendable {
    let instant: ContinuousClock.Instant?
    let name: String

    /// `seconds` after `start`; infinite or huge spans never pass.
    init(_ start: ContinuousClock.Instant, _ seconds: Double, _ name: String) {
        self.name = name
        // Beyond ~30 years counts as never (and keeps Duration arithmetic in range).
        instant = seconds.isFinite && seconds < 1e9 ? start + .milliseconds(Int64((max(0, seconds) * 1000).rounded(.up))) : nil
    }

    /// `seconds` from now.
    static func after(_ seconds: Double, _ name: String) -> Deadline { Deadline(.now, seconds, name) }

    /// Whichever of the two comes first.
    func earliest(_ other: Deadline) -> Deadline {
        guard let a = instant else { return other }
        guard let b = other.instant else { return self }
        return a <= b ? self : other
    }

    /// Milliseconds left for `poll` (at most a day per call; `-1` when there is no deadline),
    /// or `nil` once it has passed.
    var remainingMilliseconds: Int32? {
        guard let instant else { return -1 }
        let left = instant - .now
        guard left > .zero else { return nil }
        let ms = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1
        return Int32(min(ms, 86_400_000))
    }

    /// The error of a passed deadline, naming it.
    var expired: SecureCompareError { .transport("\(name) deadline passed") }
}
