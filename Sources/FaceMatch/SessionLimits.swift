import SecureCompare

/// The deadlines of one session on a server (all in seconds). They bound how long any peer can
/// hold a session slot, whatever it sends or fails to send:
/// - `handshake`: from accept until the first query may start (hello, public key, OT setup);
/// - `response`: the wait for the first byte of each frame when it is the peer's turn, and the
///   grace of every frame, which then must complete within `response + length / minimumRate`
///   (a minimum data rate instead of a per-read timeout that every byte would restart);
/// - `idle`: the wait for the next query (or goodbye) between queries;
/// - `session`: the whole session's wall clock, work included.
/// Sends obey the same per-frame rule. A passed deadline ends that session only.
public struct SessionLimits: Sendable, Equatable {
    /// Seconds from accept to the end of the OT setup (default 10).
    public var handshake: Double
    /// Seconds for a frame to start, and the grace of every frame (default 30).
    public var response: Double
    /// Bytes per second every frame must sustain beyond its grace (default 32,768).
    public var minimumRate: Double
    /// Seconds a session may wait for its next query (default 60).
    public var idle: Double
    /// Seconds a session may last in all (default 3,600).
    public var session: Double

    /// The defaults above, or the values given.
    public init(handshake: Double = 10, response: Double = 30, minimumRate: Double = 32_768, idle: Double = 60, session: Double = 3_600) {
        self.handshake = handshake
        self.response = response
        self.minimumRate = minimumRate
        self.idle = idle
        self.session = session
    }

    /// Limits for a client: every wait and every frame's grace is `timeout` seconds, no
    /// handshake or session cap beyond it.
    public static func client(timeout: Double) -> SessionLimits {
        SessionLimits(handshake: .infinity, response: timeout, idle: timeout, session: .infinity)
    }
}

/// What a server session is doing, for the transport's deadlines.
public enum SessionStage: Sendable, Equatable {
    /// From accept until the OT setup is done: the handshake deadline applies.
    case handshake
    /// Waiting for the next query or goodbye: the idle deadline applies to its first byte.
    case idle
    /// A query in progress: every frame must start within `response` seconds.
    case active
}

/// The message types a stage accepts and the largest payload of each, checked from the frame
/// header before any payload byte is read; any other type ends the session at once.
public struct FrameLimits: Sendable, Equatable {
    /// Largest payload per type byte.
    public var limits: [UInt8: Int]

    /// Limits from (type, largest payload) pairs.
    public init(_ pairs: [(MessageType, Int)]) {
        limits = Dictionary(pairs.map { ($0.0.rawValue, $0.1) }, uniquingKeysWith: max)
    }

    /// The largest payload of `type`, or `nil` when the stage does not accept it.
    public func limit(_ type: MessageType) -> Int? { limits[type.rawValue] }

    /// The largest error report a peer may send (its text is capped further when logged).
    public static let errorText = 1024
}

/// A transport that enforces deadlines and frame limits for a server session. `MatchServer`
/// announces each stage with the frames it accepts and asks, between units of work, whether the
/// session should go on; a transport that is not a `SessionTransport` runs without either.
public protocol SessionTransport: AnyObject {
    /// Enters `stage`, accepting only `frames` from now on.
    func expect(_ stage: SessionStage, frames: FrameLimits)
    /// Throws when the peer has gone or the session's deadline has passed: work for it stops.
    func checkAlive() throws(SecureCompareError)
}
