import SecureCompare

/// The channel as FaceMatch's sessions use it: the same calls, throwing `FaceMatchError` (the
/// channel's error wrapped in `.secureCompare`), so a session reads as a list of frames.
extension Channel {
    /// Sends one frame.
    func post(_ type: MessageType, _ payload: [UInt8]) throws(FaceMatchError) {
        do { try send(type, payload) } catch { throw FaceMatchError.secureCompare(error) }
    }

    /// Receives the next frame, which must have type `type` (a peer's error frame becomes its text).
    func expect(_ type: MessageType) throws(FaceMatchError) -> [UInt8] {
        do { return try receive(type) } catch { throw FaceMatchError.secureCompare(error) }
    }

    /// Receives the next frame, whatever its type.
    func next() throws(FaceMatchError) -> (MessageType, [UInt8]) {
        do { return try receiveAny() } catch { throw FaceMatchError.secureCompare(error) }
    }
}
