#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SecureCompare

/// Connections the host cannot serve: an error frame at once ("busy"), then a short linger
/// that reads and discards what the peer already sent, so the kernel does not answer the
/// unread bytes with a reset that would destroy the frame before the peer reads it.
extension SessionHost {
    /// Answers a connection that cannot be served with an error frame, then lets it linger
    /// (reading and discarding what it sends, up to 2 s) so the frame is not lost to a reset.
    func reject(_ channel: TCPChannel, _ reason: String) {
        log("refused \(channel.peer): \(reason)")
        // A fresh socket's send buffer is empty: this short frame never waits.
        try? channel.send(.error, Array(reason.utf8))
        shutdown(channel.fd, Int32(SHUT_WR))
        let queued = rejected.withLock { list -> Bool in
            guard list.count < 256 else { return false }
            list.append((channel, .now + .seconds(2)))
            return true
        }
        if queued { rejectedSignal.signal() } else { channel.close() }
    }

    /// Sends `reason` as an error frame, then reads and discards what the peer still sends for up
    /// to 2 s (so closing does not reset the connection before the frame is read), on the calling
    /// thread; the caller closes the channel.
    func answerAndLinger(_ channel: TCPChannel, _ reason: String) {
        try? channel.send(.error, Array(reason.utf8))
        shutdown(channel.fd, Int32(SHUT_WR))
        var scratch = [UInt8](repeating: 0, count: 4096)
        let until = ContinuousClock.now + .seconds(2)
        while ContinuousClock.now < until {
            var p = pollfd(fd: channel.fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 100) >= 0 else { return }
            if p.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                if scratch.withUnsafeMutableBytes({ recv(channel.fd, $0.baseAddress!, $0.count, Int32(MSG_DONTWAIT)) }) <= 0 { return }
            }
        }
    }

    /// The thread that drains and closes rejected connections.
    func lingerRejected() {
        var scratch = [UInt8](repeating: 0, count: 4096)
        while true {
            let list = rejected.withLock { $0 }
            if list.isEmpty { rejectedSignal.wait(); continue }
            var fds = list.map { pollfd(fd: $0.channel.fd, events: Int16(POLLIN), revents: 0) }
            _ = poll(&fds, nfds_t(fds.count), 100)
            let now = ContinuousClock.now
            var done: [Int32] = []
            for (k, p) in fds.enumerated() {
                var finished = now >= list[k].until || p.revents & Int16(POLLHUP | POLLERR) != 0
                if !finished && p.revents & Int16(POLLIN) != 0 {
                    let n = scratch.withUnsafeMutableBytes { recv(p.fd, $0.baseAddress!, 4096, Int32(MSG_DONTWAIT)) }
                    finished = n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)
                }
                if finished { done.append(p.fd) }
            }
            guard !done.isEmpty else { continue }
            let closing = rejected.withLock { list -> [TCPChannel] in
                let (gone, kept) = (list.filter { done.contains($0.channel.fd) }, list.filter { !done.contains($0.channel.fd) })
                list = kept
                return gone.map(\.channel)
            }
            for c in closing { c.close() }
        }
    }
}
