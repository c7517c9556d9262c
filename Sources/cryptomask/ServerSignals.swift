#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The server's signals, taken synchronously by one thread (`sigwait`): SIGTERM and SIGINT
/// stop it gracefully, SIGHUP reloads the database. Nothing runs in a signal handler.
enum ServerSignals {
    static let handled: [Int32] = [SIGTERM, SIGINT, SIGHUP]

    static var set: sigset_t {
        var s = sigset_t()
        sigemptyset(&s)
        for sig in handled { sigaddset(&s, sig) }
        return s
    }

    /// Blocks the signals in the calling thread, and so in every thread it starts later. Call
    /// before any other thread exists. Dispositions go back to the default first: a signal
    /// inherited as ignored (a server started in the background by a shell) would otherwise be
    /// discarded even while blocked, and `sigwait` would never see it.
    static func blockInThisThread() {
        for sig in handled { signal(sig, SIG_DFL) }
        var s = set
        sigprocmask(SIG_BLOCK, &s, nil)
    }

    /// Starts the thread that waits for the signals and calls `handler` with each.
    static func start(_ handler: @escaping @Sendable (Int32) -> Void) {
        let thread = Thread {
            var s = set
            while true {
                var sig: Int32 = 0
                if sigwait(&s, &sig) == 0 { handler(sig) }
            }
        }
        thread.name = "signals"
        thread.start()
    }

    static func name(_ sig: Int32) -> String {
        switch sig {
        case SIGTERM: return "SIGTERM"
        case SIGINT: return "SIGINT"
        case SIGHUP: return "SIGHUP"
        default: return "signal \(sig)"
        }
    }
}
