#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SecureCompare
import Synchronization

/// A `Channel` over a TCP socket (docs/DESIGN.md section 5): frames `type (1) | length (4 LE) | payload`, a hard maximum
/// payload size checked before anything is allocated for it, payloads read in chunks of at most
/// 1 MiB as they arrive, no SIGPIPE. Every wait runs against a deadline (`SessionLimits`): the
/// handshake, idle and session deadlines, and per frame a grace plus a minimum data rate, so
/// trickling bytes never extends a session. As a `SessionTransport` it also refuses, from the
/// header alone, frames of a type or size the current stage does not expect. A malformed or
/// oversized frame, a passed deadline or a vanished peer throws on this channel only.
public final class TCPChannel: Channel, SessionTransport, @unchecked Sendable {
    let fd: Int32
    /// The largest payload accepted in any stage (default 256 MiB).
    public let maxFrameSize: Int
    /// The deadlines this channel enforces.
    public let limits: SessionLimits
    private let state = Mutex<(stats: ChannelStatistics, phase: String, closed: Bool)>((ChannelStatistics(), "default", false))
    private let pacing = Mutex<(stage: SessionStage?, frames: FrameLimits?)>((nil, nil))
    /// When the connection was made (the handshake and session deadlines count from here).
    let opened = ContinuousClock.now
    /// The peer's address and port, for logs.
    public let peer: String
    /// The peer's address without the port (for per-address limits).
    public var peerHost: String { peer.lastIndex(of: ":").map { String(peer[..<$0]) } ?? peer }

    init(fd: Int32, peer: String, maxFrameSize: Int, limits: SessionLimits) {
        self.fd = fd
        self.peer = peer
        self.maxFrameSize = maxFrameSize
        self.limits = limits
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        #if canImport(Darwin)
        setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }

    deinit { close() }

    /// Connects to `host:port`; the connection attempt, every wait for a frame and every
    /// frame's grace are bounded by `timeoutSeconds` (`SessionLimits.client`).
    /// - Throws: `SecureCompareError.transport` with the system's reason.
    public static func connect(host: String, port: Int, timeoutSeconds: Double = 120, maxFrameSize: Int = 256 << 20) throws(SecureCompareError) -> TCPChannel {
        let list = try resolve(host: host, port: port, passive: false)
        defer { freeaddrinfo(list) }
        var cursor: UnsafeMutablePointer<addrinfo>? = list
        var lastError = "no address"
        while let a = cursor {
            let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
            if fd >= 0 {
                let error = connectWithin(fd, a.pointee.ai_addr, a.pointee.ai_addrlen, seconds: timeoutSeconds)
                if error == 0 {
                    return TCPChannel(fd: fd, peer: "\(host):\(port)", maxFrameSize: maxFrameSize, limits: .client(timeout: timeoutSeconds))
                }
                lastError = error == ETIMEDOUT ? "no answer within \(timeoutSeconds) s" : String(cString: strerror(error))
                Glibc_close(fd)
            }
            cursor = a.pointee.ai_next
        }
        throw SecureCompareError.transport("cannot connect to \(host):\(port): \(lastError)")
    }

    /// Sends one frame; blocks until the kernel accepted it or the frame's deadline passes.
    public func send(_ type: MessageType, _ payload: [UInt8]) throws(SecureCompareError) {
        guard payload.count <= maxFrameSize else { throw SecureCompareError.frameTooLarge(payload.count) }
        let n = UInt32(payload.count)
        let header: [UInt8] = [type.rawValue, UInt8(truncatingIfNeeded: n), UInt8(truncatingIfNeeded: n >> 8),
                               UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 24)]
        let deadline = frameDeadline(bytes: payload.count)
        try writeAll(header, deadline)
        try writeAll(payload, deadline)
        state.withLock { $0.stats.record(sent: frameHeaderSize + payload.count, phase: $0.phase) }
    }

    /// Receives the next frame. Throws when a deadline passes, the peer closes, the length is
    /// above `maxFrameSize`, or (after `expect`) the stage does not accept the frame's type or
    /// size: all decided from the 5-byte header, before any payload is read.
    public func receiveAny() throws(SecureCompareError) -> (MessageType, [UInt8]) {
        let (stage, frames) = pacing.withLock { ($0.stage, $0.frames) }
        let wait = stage == .idle ? Deadline.after(limits.idle, "idle") : Deadline.after(limits.response, "response")
        let header = try readExactly(5, wait.earliest(outerDeadline(stage)))
        let type = MessageType(rawValue: header[0])
        let length = Int(header[1]) | Int(header[2]) << 8 | Int(header[3]) << 16 | Int(header[4]) << 24
        guard length <= maxFrameSize else { throw SecureCompareError.frameTooLarge(length) }
        if let frames {
            guard let limit = frames.limit(type) else {
                throw SecureCompareError.malformed("message type \(type.rawValue) is not accepted at this stage")
            }
            guard length <= limit else { throw SecureCompareError.frameTooLarge(length) }
        }
        // Grow the payload as bytes arrive: a lying length costs nothing until data comes.
        let deadline = frameDeadline(bytes: length)
        var payload: [UInt8] = []
        while payload.count < length {
            payload += try readExactly(min(1 << 20, length - payload.count), deadline)
        }
        state.withLock { $0.stats.record(received: frameHeaderSize + length, phase: $0.phase) }
        return (type, payload)
    }

    /// The session's and (while in it) the handshake's deadline.
    func outerDeadline(_ stage: SessionStage?) -> Deadline {
        let session = Deadline(opened, limits.session, "session")
        return stage == .handshake ? session.earliest(Deadline(opened, limits.handshake, "handshake")) : session
    }

    /// A frame of `bytes` payload bytes must finish within the grace plus `bytes / minimumRate`.
    func frameDeadline(bytes: Int) -> Deadline {
        let stage = pacing.withLock { $0.stage }
        let seconds = limits.response + (limits.minimumRate > 0 ? Double(bytes) / limits.minimumRate : 0)
        return Deadline.after(seconds, "frame").earliest(outerDeadline(stage))
    }

    func writeAll(_ bytes: [UInt8], _ deadline: Deadline) throws(SecureCompareError) {
        var done = 0
        while done < bytes.count {
            #if canImport(Glibc)
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            #else
            let n = bytes.withUnsafeBytes { Darwin.send(fd, $0.baseAddress! + done, bytes.count - done, MSG_DONTWAIT) }
            #endif
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { try wait(for: Int16(POLLOUT), deadline); continue }
            guard n > 0 else { throw SecureCompareError.channelClosed }
            done += n
        }
    }

    func readExactly(_ count: Int, _ deadline: Deadline) throws(SecureCompareError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + done, count - done, Int32(MSG_DONTWAIT)) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { try wait(for: Int16(POLLIN), deadline); continue }
            guard n > 0 else { throw SecureCompareError.channelClosed }
            done += n
        }
        return out
    }

    /// Blocks in `poll` until the socket is ready for `events` or `deadline` passes.
    func wait(for events: Int16, _ deadline: Deadline) throws(SecureCompareError) {
        while true {
            guard let ms = deadline.remainingMilliseconds else { throw deadline.expired }
            var p = pollfd(fd: fd, events: events, revents: 0)
            let r = poll(&p, 1, ms)
            if r < 0 && errno == EINTR { continue }
            if r < 0 { throw SecureCompareError.transport("poll: \(String(cString: strerror(errno)))") }
            if r > 0 { return }
        }
    }

    /// Enters `stage`: its deadlines apply and only `frames` are accepted from now on.
    public func expect(_ stage: SessionStage, frames: FrameLimits) {
        pacing.withLock { $0 = (stage, frames) }
    }

    /// Throws `.channelClosed` when the peer has closed or reset the connection, and the
    /// deadline's error when the session (or handshake) deadline has passed. Never blocks.
    public func checkAlive() throws(SecureCompareError) {
        let stage = pacing.withLock { $0.stage }
        let outer = outerDeadline(stage)
        guard outer.remainingMilliseconds != nil else { throw outer.expired }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, 0) > 0 else { return }
        if p.revents & Int16(POLLHUP | POLLERR) != 0 { throw SecureCompareError.channelClosed }
        // Readable: either data (a pipelined frame, fine) or the end of the stream.
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) { throw SecureCompareError.channelClosed }
    }

    /// Closes the socket (idempotent).
    public func close() {
        let wasOpen = state.withLock { s -> Bool in
            defer { s.closed = true }
            return !s.closed
        }
        if wasOpen {
            shutdown(fd, Int32(SHUT_RDWR))
            Glibc_close(fd)
        }
    }

    /// Bytes and frames sent and received, per phase.
    public var statistics: ChannelStatistics { state.withLock { $0.stats } }
    /// Names the phase that subsequent frames are counted under.
    public func setPhase(_ name: String) { state.withLock { $0.phase = name } }
}

/// A listening TCP socket that hands out one `TCPChannel` per accepted connection.
public final class TCPListener: @unchecked Sendable {
    let fd: Int32
    /// The bound port (useful with port 0).
    public let port: Int

    /// Binds and listens on `host:port` (`port` 0 picks a free port).
    /// - Throws: `SecureCompareError.transport` with the system's reason.
    public init(host: String, port: Int) throws(SecureCompareError) {
        let a = try resolve(host: host, port: port, passive: true)
        defer { freeaddrinfo(a) }
        let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
        guard fd >= 0 else { throw SecureCompareError.transport("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0, listen(fd, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc_close(fd)
            throw SecureCompareError.transport("cannot listen on \(host):\(port): \(reason)")
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let family = Int32(storage.ss_family)
        let bound: Int = withUnsafePointer(to: &storage) { p in
            if family == AF_INET6 {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
        self.fd = fd
        self.port = bound
    }

    /// Waits for the next connection; the channel enforces `limits` from this moment.
    /// - Throws: `SecureCompareError.transport` when the listener fails.
    public func accept(limits: SessionLimits = SessionLimits(), maxFrameSize: Int = 256 << 20) throws(SecureCompareError) -> TCPChannel {
        while true {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let c = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc_accept(fd, $0, &length) } }
            if c < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                throw SecureCompareError.transport("accept: \(String(cString: strerror(errno)))")
            }
            return TCPChannel(fd: c, peer: TCPListener.describe(storage), maxFrameSize: maxFrameSize, limits: limits)
        }
    }

    /// Waits up to `milliseconds` for a connection to be ready for `accept` (for accept loops
    /// that must also notice a shutdown request).
    /// - Returns: true when `accept` will not block.
    public func waitForConnection(milliseconds: Int) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, Int32(milliseconds)) > 0
    }

    static func describe(_ s: sockaddr_storage) -> String {
        var copy = s
        var host = [CChar](repeating: 0, count: 64)
        var service = [CChar](repeating: 0, count: 16)
        let length = socklen_t(Int32(s.ss_family) == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafePointer(to: &copy) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            getnameinfo($0, length, &host, socklen_t(host.count), &service, socklen_t(service.count), NI_NUMERICHOST | NI_NUMERICSERV)
        } }
        guard ok == 0 else { return "unknown" }
        // The text up to the terminating NUL (getnameinfo always writes one within the buffer).
        func text(_ c: [CChar]) -> String {
            String(decoding: c.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return "\(text(host)):\(text(service))"
    }

    /// Stops listening.
    public func close() { Glibc_close(fd) }
}

/// The address list for `host:port` (stream sockets; passive for listening). Free it with
/// `freeaddrinfo`.
func resolve(host: String, port: Int, passive: Bool) throws(SecureCompareError) -> UnsafeMutablePointer<addrinfo> {
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    if passive { hints.ai_flags = AI_PASSIVE }
    #if canImport(Glibc)
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    #else
    hints.ai_socktype = SOCK_STREAM
    #endif
    var list: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
        throw SecureCompareError.transport("cannot resolve \(host)")
    }
    return first
}

// Names that collide with methods above, resolved once here.
@inline(__always) func Glibc_close(_ fd: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(fd)
    #else
    _ = Darwin.close(fd)
    #endif
}

@inline(__always) func Glibc_connect(_ fd: Int32, _ a: UnsafeMutablePointer<sockaddr>!, _ l: socklen_t) -> Int32 {
    #if canImport(Glibc)
    Glibc.connect(fd, a, l)
    #else
    Darwin.connect(fd, a, l)
    #endif
}

/// `connect` bounded by `seconds`: a non-blocking attempt, then `poll` for its outcome.
/// Returns 0 or the `errno` of the failure (`ETIMEDOUT` when the time passed). The socket is
/// left non-blocking; `TCPChannel` uses `MSG_DONTWAIT` and `poll` either way.
func connectWithin(_ fd: Int32, _ a: UnsafeMutablePointer<sockaddr>!, _ l: socklen_t, seconds: Double) -> Int32 {
    let flags = fcntl(fd, F_GETFL, 0)
    _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
    if Glibc_connect(fd, a, l) == 0 { return 0 }
    guard errno == EINPROGRESS else { return errno }
    let deadline = Deadline.after(seconds, "connect")
    while true {
        guard let ms = deadline.remainingMilliseconds else { return ETIMEDOUT }
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        let r = poll(&p, 1, ms)
        if r < 0 && errno == EINTR { continue }
        if r < 0 { return errno }
        if r == 0 { continue }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        return error
    }
}

@inline(__always) func Glibc_accept(_ fd: Int32, _ a: UnsafeMutablePointer<sockaddr>!, _ l: UnsafeMutablePointer<socklen_t>!) -> Int32 {
    #if canImport(Glibc)
    Glibc.accept(fd, a, l)
    #else
    Darwin.accept(fd, a, l)
    #endif
}
