import Dispatch
import Synchronization

/// Protocol message types: one byte at the head of every frame.
public struct MessageType: RawRepresentable, Sendable, Hashable {
    /// The type byte.
    public let rawValue: UInt8
    /// A message type from its byte (FaceMatch uses 0x01 ... 0x0F, the comparison layer 0x10 ...).
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Base OT: the receiver's public key and encrypted choices.
    public static let baseOTQuery = MessageType(rawValue: 0x10)
    /// Base OT: the sender's flooded answer.
    public static let baseOTReply = MessageType(rawValue: 0x11)
    /// OT extension: the receiver's `u` matrix (IKNP or KK13).
    public static let otExtension = MessageType(rawValue: 0x12)
    /// OT extension: the sender's masked messages or tables.
    public static let otMessages = MessageType(rawValue: 0x13)
    /// OTs derived from correlated OTs: the receiver's choice bits XOR its random COT bits.
    public static let otChoices = MessageType(rawValue: 0x14)
    /// Silent OT (Ferret): one iteration's level OTs and GGM corrections.
    public static let silentOT = MessageType(rawValue: 0x15)
    /// AND gates: the opened shares of `d` and `e`.
    public static let andOpen = MessageType(rawValue: 0x20)
    /// The server's share of an output opened to the client.
    public static let output = MessageType(rawValue: 0x22)
    /// An error report (UTF-8 text); the session ends after it.
    public static let error = MessageType(rawValue: 0x7F)
}

/// Bytes sent and received, in total and per named phase. Every frame counts its full size:
/// `1 (type) + 4 (length) + payload` bytes.
public struct ChannelStatistics: Sendable, Equatable {
    /// Bytes sent in all phases.
    public var bytesSent = 0
    /// Bytes received in all phases.
    public var bytesReceived = 0
    /// Frames sent.
    public var framesSent = 0
    /// Frames received.
    public var framesReceived = 0
    /// Per phase: (sent, received).
    public var phases: [String: (sent: Int, received: Int)] = [:]
    /// Seconds spent blocked in `receive` waiting for the peer (where the transport measures it).
    public var waitingSeconds = 0.0

    /// Zero counters.
    public init() {}

    public static func == (a: ChannelStatistics, b: ChannelStatistics) -> Bool {
        a.bytesSent == b.bytesSent && a.bytesReceived == b.bytesReceived && a.framesSent == b.framesSent
            && a.framesReceived == b.framesReceived && a.phases.mapValues { [$0.sent, $0.received] } == b.phases.mapValues { [$0.sent, $0.received] }
    }

    /// Counts one sent frame of `sent` bytes under `phase` (for transport implementations).
    public mutating func record(sent: Int, phase: String) {
        bytesSent += sent
        framesSent += 1
        phases[phase, default: (0, 0)].sent += sent
    }

    /// Counts one received frame of `received` bytes under `phase`.
    public mutating func record(received: Int, phase: String) {
        bytesReceived += received
        framesReceived += 1
        phases[phase, default: (0, 0)].received += received
    }
}

/// An ordered, reliable, framed message channel between two parties. Frames are
/// `type (1 byte) | length (4 bytes LE) | payload`; every implementation enforces a maximum
/// frame size and counts bytes per phase. Protocols never assume a transport.
public protocol Channel: AnyObject, Sendable {
    /// Sends one frame. Blocks until the transport accepted it.
    func send(_ type: MessageType, _ payload: [UInt8]) throws(SecureCompareError)
    /// Receives the next frame, whatever its type.
    /// - Throws: `.channelClosed`, `.timeout`, `.frameTooLarge`, `.transport`.
    func receiveAny() throws(SecureCompareError) -> (MessageType, [UInt8])
    /// The byte counters.
    var statistics: ChannelStatistics { get }
    /// Names the phase that subsequent frames are counted under.
    func setPhase(_ name: String)
}

extension Channel {
    /// Receives the next frame, which must have type `type`. An `.error` frame from the peer
    /// becomes `SecureCompareError.peerError` with its text.
    /// - Throws: `.unexpectedMessage` for another type, and whatever `receiveAny` throws.
    public func receive(_ type: MessageType) throws(SecureCompareError) -> [UInt8] {
        let (t, payload) = try receiveAny()
        if t == .error && type != .error { throw SecureCompareError.peerError(String(decoding: payload.prefix(1000), as: UTF8.self)) }
        guard t == type else { throw SecureCompareError.unexpectedMessage(expected: type.rawValue, received: t.rawValue) }
        return payload
    }
}

/// The framing overhead of every message: type and length.
public let frameHeaderSize = 5

/// One end of an in-memory channel pair (for tests, benchmarks and single-process sessions).
/// Frames cross by reference; a receive blocks until a frame arrives or the peer closes.
public final class InMemoryChannel: Channel, @unchecked Sendable {
    private final class Mailbox: @unchecked Sendable {
        let lock = Mutex<(frames: [(MessageType, [UInt8])], head: Int, closed: Bool)>(([], 0, false))
        let available = DispatchSemaphore(value: 0)
    }

    private let inbox: Mailbox
    private let outbox: Mailbox
    private let state = Mutex<(stats: ChannelStatistics, phase: String)>((ChannelStatistics(), "default"))
    /// The largest payload accepted.
    public let maxFrameSize: Int
    /// How long `receive` waits, in seconds (`nil`: forever).
    public let timeout: Double?

    private init(inbox: Mailbox, outbox: Mailbox, maxFrameSize: Int, timeout: Double?) {
        self.inbox = inbox
        self.outbox = outbox
        self.maxFrameSize = maxFrameSize
        self.timeout = timeout
    }

    /// Two connected ends.
    public static func pair(maxFrameSize: Int = 1 << 30, timeout: Double? = 300) -> (InMemoryChannel, InMemoryChannel) {
        let a = Mailbox(), b = Mailbox()
        return (InMemoryChannel(inbox: a, outbox: b, maxFrameSize: maxFrameSize, timeout: timeout),
                InMemoryChannel(inbox: b, outbox: a, maxFrameSize: maxFrameSize, timeout: timeout))
    }

    /// Queues one frame for the peer (never blocks).
    public func send(_ type: MessageType, _ payload: [UInt8]) throws(SecureCompareError) {
        guard payload.count <= maxFrameSize else { throw SecureCompareError.frameTooLarge(payload.count) }
        let closed = outbox.lock.withLock { box -> Bool in
            if box.closed { return true }
            box.frames.append((type, payload))
            return false
        }
        if closed { throw SecureCompareError.channelClosed }
        outbox.available.signal()
        state.withLock { $0.stats.record(sent: frameHeaderSize + payload.count, phase: $0.phase) }
    }

    /// Waits for the next frame (up to `timeout`), counting the wait in `waitingSeconds`.
    public func receiveAny() throws(SecureCompareError) -> (MessageType, [UInt8]) {
        let clock = ContinuousClock()
        let start = clock.now
        defer {
            let waited = clock.now - start
            state.withLock { $0.stats.waitingSeconds += Double(waited.components.seconds) + Double(waited.components.attoseconds) * 1e-18 }
        }
        let deadline: DispatchTime = timeout.map { .now() + $0 } ?? .distantFuture
        while true {
            let frame = inbox.lock.withLock { box -> (MessageType, [UInt8])?? in
                if box.head < box.frames.count {
                    let f = box.frames[box.head]
                    box.frames[box.head] = (f.0, [])
                    box.head += 1
                    if box.head > 1024 && box.head * 2 > box.frames.count {
                        box.frames.removeFirst(box.head)
                        box.head = 0
                    }
                    return .some(f)
                }
                return box.closed ? .some(nil) : nil
            }
            switch frame {
            case .some(.some(let (t, payload))):
                state.withLock { $0.stats.record(received: frameHeaderSize + payload.count, phase: $0.phase) }
                return (t, payload)
            case .some(.none):
                throw SecureCompareError.channelClosed
            case .none:
                if inbox.available.wait(timeout: deadline) == .timedOut { throw SecureCompareError.timeout }
            }
        }
    }

    /// Closes both directions: the peer's pending and future receives fail with `.channelClosed`.
    public func close() {
        for box in [inbox, outbox] {
            box.lock.withLock { $0.closed = true }
            box.available.signal()
        }
    }

    /// Bytes and frames sent and received, per phase.
    public var statistics: ChannelStatistics { state.withLock { $0.stats } }

    /// Names the phase that subsequent frames are counted under.
    public func setPhase(_ name: String) { state.withLock { $0.phase = name } }
}
