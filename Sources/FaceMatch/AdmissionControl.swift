import Synchronization

/// Session slots: at most `maxSessions` sessions at once and at most `maxPerAddress` from one
/// address. Decided at accept time, so a connection beyond either limit is answered at once
/// (with a "busy" error frame) instead of waiting in the kernel's queue.
public final class AdmissionControl: Sendable {
    /// Sessions at once.
    public let maxSessions: Int
    /// Sessions at once from one address.
    public let maxPerAddress: Int
    private let state = Mutex<(active: Int, perAddress: [String: Int])>((0, [:]))

    /// Limits of `maxSessions` and `maxPerAddress` (both at least 1).
    public init(maxSessions: Int, maxPerAddress: Int) {
        self.maxSessions = max(1, maxSessions)
        self.maxPerAddress = max(1, maxPerAddress)
    }

    /// Takes a slot for `address`; returns `nil` on success or the reason it is refused. Every
    /// successful call must be paired with `release(address)`.
    public func admit(_ address: String) -> String? {
        state.withLock { s -> String? in
            if s.active >= maxSessions { return "busy: all \(maxSessions) session slots are in use; retry shortly" }
            let mine = s.perAddress[address] ?? 0
            if mine >= maxPerAddress { return "busy: \(maxPerAddress) sessions from your address are already open" }
            s.active += 1
            s.perAddress[address] = mine + 1
            return nil
        }
    }

    /// Returns the slot taken by `admit(address)`.
    public func release(_ address: String) {
        state.withLock { s in
            s.active -= 1
            let left = (s.perAddress[address] ?? 1) - 1
            s.perAddress[address] = left > 0 ? left : nil
        }
    }

    /// Sessions open now.
    public var active: Int { state.withLock { $0.active } }
}
