import BFV
import SecureCompare

/// FaceMatch message types (docs/DESIGN.md section 5), next to the comparison layer's.
extension MessageType {
    static let hello = MessageType(rawValue: 0x01)
    static let helloReply = MessageType(rawValue: 0x02)
    static let publicKey = MessageType(rawValue: 0x03)
    static let query = MessageType(rawValue: 0x04)
    static let results = MessageType(rawValue: 0x05)
    static let bye = MessageType(rawValue: 0x06)
    /// A readiness probe and its answer (see `PingAnswer`).
    public static let ping = MessageType(rawValue: 0x07)
    public static let pong = MessageType(rawValue: 0x08)
}

/// Encoding of result ciphertexts on the wire: per result, `c0` at the `K` target coefficients
/// then all `N` coefficients of `c1`, bit-packed at `l + 10` bits; a frame carries a group of
/// results behind a 4-byte count. The target indices are implied by the layout.
enum ResultCodec {
    /// Bytes of framing per frame (type and length).
    static let frameOverhead = 5
    /// Bytes per result beyond its packed coefficients (byte padding, amortized count).
    static let resultOverhead = 1

    static func encode(_ results: [PowerOfTwoCiphertext], bits: Int) -> [UInt8] {
        var w = ByteWriter()
        w.write(UInt64(results.count), width: 4)
        for r in results {
            w.writePacked(r.c0, bits: bits)
            w.writePacked(r.c1, bits: bits)
        }
        return w.bytes
    }

    /// Decodes a frame of results for `layout` (validating every length and value).
    static func decode(_ bytes: [UInt8], layout: Layout, bits: Int, maxCount: Int) throws(FaceMatchError) -> [PowerOfTwoCiphertext] {
        do {
            var r = ByteReader(bytes)
            let count = Int(try r.read(width: 4, "result count"))
            guard count >= 1, count <= maxCount else { throw FaceMatchError.protocolViolation("result count \(count)") }
            var out: [PowerOfTwoCiphertext] = []
            for _ in 0..<count {
                let c0 = try r.readPacked(count: layout.vectorsPerResult, bits: bits, "c0")
                let c1 = try r.readPacked(count: layout.degree, bits: bits, "c1")
                out.append(try PowerOfTwoCiphertext(bits: bits, c0: c0, c0Indices: layout.targetCoefficients, c1: c1))
            }
            try r.finish("results")
            return out
        } catch let e as FaceMatchError {
            throw e
        } catch let e as BFVError {
            throw FaceMatchError.protocolViolation("malformed results: \(e)")
        } catch {
            throw FaceMatchError.protocolViolation("malformed results")
        }
    }
}
