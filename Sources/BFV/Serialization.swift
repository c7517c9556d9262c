import RingArithmetic

/// The serialized object kinds. Every encoding starts with the header
/// `"CMBF" | version (1 byte) | kind (1 byte) | parameter fingerprint (8 bytes LE)`.
public enum SerializedKind: UInt8, Sendable {
    /// A `Ciphertext`.
    case ciphertext = 1
    /// A `Plaintext`.
    case plaintext = 2
    /// A `PublicKey`.
    case publicKey = 3
    /// A `RelinearizationKey`.
    case relinearizationKey = 4
    /// A `SecretKey` (written only by `serializedSecret()`).
    case secretKey = 5
    /// A `PowerOfTwoCiphertext`.
    case powerOfTwoCiphertext = 6
}

enum Wire {
    static let magic: [UInt8] = Array("CMBF".utf8)
    static let version: UInt8 = 1
    static let headerSize = 14

    static func header(_ kind: SerializedKind, _ context: BFVContext) -> ByteWriter {
        var w = ByteWriter()
        w.write(bytes: magic)
        w.write(version)
        w.write(kind.rawValue)
        w.write(context.parameters.fingerprint, width: 8)
        return w
    }

    static func readHeader(_ bytes: [UInt8], _ kind: SerializedKind, _ context: BFVContext) throws(BFVError) -> ByteReader {
        var r = ByteReader(bytes)
        guard try r.readBytes(4, "magic") == magic else { throw BFVError.malformed("magic: not a CryptoMask BFV object") }
        let version = try r.readByte("version")
        guard version == Wire.version else { throw BFVError.unsupportedVersion(version) }
        let k = try r.readByte("kind")
        guard k == kind.rawValue else { throw BFVError.malformed("kind: expected \(kind), found \(k)") }
        let fingerprint = try r.read(width: 8, "fingerprint")
        guard fingerprint == context.parameters.fingerprint else {
            throw BFVError.fingerprintMismatch(expected: context.parameters.fingerprint, found: fingerprint)
        }
        return r
    }

    /// Bits per coefficient of a polynomial at `level`: `ceil(log2 q)`.
    static func bits(_ ring: PolyContext) -> Int { BigWord.bitLength(BigWord.subtract(ring.modulusProduct, [1])) }

    /// Packs every coefficient as its CRT-composed integer in `[0, q)`.
    static func writePoly(_ p: RNSPoly, _ w: inout ByteWriter) {
        let ring = p.context
        let n = ring.degree
        let limbs = ring.limbCount
        let src = p.residues
        var words = [UInt64](repeating: 0, count: n * limbs)
        if limbs == 2 {
            // Two limbs (every FaceMatch profile): 128-bit composition, no allocation per value.
            for j in 0..<n {
                let x = ring.crt.compose2(src[j], src[n + j])
                words[2 * j] = UInt64(truncatingIfNeeded: x)
                words[2 * j + 1] = UInt64(truncatingIfNeeded: x >> 64)
            }
        } else {
            var r = [UInt64](repeating: 0, count: limbs)
            for j in 0..<n {
                for i in 0..<limbs { r[i] = src[i * n + j] }
                let x = ring.crt.compose(r)
                for i in 0..<limbs { words[j * limbs + i] = x[i] }
            }
        }
        w.writePacked(words, wordsPerValue: limbs, bits: bits(ring))
    }

    /// Reads a polynomial written by `writePoly`, checking every coefficient is below `q`.
    static func readPoly(_ ring: PolyContext, form: PolyForm, _ r: inout ByteReader, _ field: String) throws(BFVError) -> RNSPoly {
        let n = ring.degree
        let limbs = ring.limbCount
        let words = try r.readPacked(count: n, wordsPerValue: limbs, bits: bits(ring), field)
        var residues = [UInt64](repeating: 0, count: n * limbs)
        let q = ring.modulusProduct
        if limbs == 2 {
            // Two limbs: each value as a 128-bit integer, checked below q, reduced per prime.
            let q128 = UInt128(q[0]) | UInt128(q[1]) << 64
            for j in 0..<n {
                let x = UInt128(words[2 * j]) | UInt128(words[2 * j + 1]) << 64
                guard x < q128 else { throw BFVError.malformed("\(field): coefficient not below q") }
                residues[j] = ring.moduli[0].reduce(x)
                residues[n + j] = ring.moduli[1].reduce(x)
            }
            return try BFVError.wrap { () throws(RingError) in try RNSPoly(context: ring, residues: residues, form: form) }
        }
        for j in 0..<n {
            let x = Array(words[j * limbs ..< (j + 1) * limbs])
            guard BigWord.compare(x, q) < 0 else { throw BFVError.malformed("\(field): coefficient not below q") }
            for (i, m) in ring.moduli.enumerated() { residues[i * n + j] = BigWord.remainder(x, m) }
        }
        return try BFVError.wrap { () throws(RingError) in try RNSPoly(context: ring, residues: residues, form: form) }
    }

    static func readSeed(_ r: inout ByteReader) throws(BFVError) -> Seed {
        let b = try r.readBytes(32, "seed")
        return try BFVError.wrap { () throws(RingError) in try Seed(bytes: b) }
    }
}

extension Ciphertext {
    /// The serialized ciphertext: header, level, size, form, seeded flag, then the polynomials
    /// bit-packed at `ceil(log2 q)` bits per coefficient; a seeded ciphertext stores `c0` and the
    /// 32-byte seed instead of `c1`. A fresh symmetric ciphertext takes
    /// `14 + 4 + ceil(N * ceil(log2 q) / 8) + 32` bytes.
    public func serialized() -> [UInt8] {
        var w = Wire.header(.ciphertext, context)
        w.write(UInt8(level))
        w.write(UInt8(size))
        w.write(form == .evaluation ? 1 : 0)
        if let seed {
            w.write(1)
            Wire.writePoly(polys[0], &w)
            w.write(bytes: seed.bytes)
        } else {
            w.write(0)
            for p in polys { Wire.writePoly(p, &w) }
        }
        return w.bytes
    }

    /// Decodes and validates a serialized ciphertext for `context`.
    /// - Throws: `BFVError.malformed`, `.fingerprintMismatch` or `.unsupportedVersion`.
    public init(serialized bytes: [UInt8], context: BFVContext) throws(BFVError) {
        var r = try Wire.readHeader(bytes, .ciphertext, context)
        let level = Int(try r.readByte("level"))
        guard level < context.levels.count else { throw BFVError.malformed("level: \(level) does not exist") }
        let size = Int(try r.readByte("size"))
        guard size == 2 || size == 3 else { throw BFVError.malformed("size: \(size) is not 2 or 3") }
        let formByte = try r.readByte("form")
        guard formByte <= 1 else { throw BFVError.malformed("form: \(formByte)") }
        let form: PolyForm = formByte == 1 ? .evaluation : .coefficient
        let seeded = try r.readByte("seeded")
        let ring = context.levels[level].ring
        if seeded == 1 {
            guard size == 2, level == 0 else {
                throw BFVError.malformed("seeded: only fresh size-2 ciphertexts at level 0 are seeded")
            }
            let c0 = try Wire.readPoly(ring, form: form, &r, "c0")
            let seed = try Wire.readSeed(&r)
            try r.finish("ciphertext")
            // The seed expands `c1` in evaluation form; a fresh ciphertext moved to coefficient
            // form (`toCoefficientForm()`) keeps its seed, so bring `c1` to the same form.
            var c1 = expandUniform(ring, seed: seed, stream: Streams.uniformA)
            if form == .coefficient { c1.inverseNTT() }
            self.init(context: context, polys: [c0, c1], seed: seed)
        } else {
            guard seeded == 0 else { throw BFVError.malformed("seeded: \(seeded)") }
            var polys: [RNSPoly] = []
            for i in 0..<size { polys.append(try Wire.readPoly(ring, form: form, &r, "c\(i)")) }
            try r.finish("ciphertext")
            self.init(context: context, polys: polys)
        }
    }
}

extension Plaintext {
    /// The serialized plaintext: header, then `N` coefficients at `ceil(log2 t)` bits.
    public func serialized() -> [UInt8] {
        var w = Wire.header(.plaintext, context)
        w.writePacked(coefficients, bits: BigWord.bitLength([context.plaintextModulus - 1]))
        return w.bytes
    }

    /// Decodes and validates a serialized plaintext (every coefficient below `t`).
    public init(serialized bytes: [UInt8], context: BFVContext) throws(BFVError) {
        var r = try Wire.readHeader(bytes, .plaintext, context)
        let bits = max(1, BigWord.bitLength([context.plaintextModulus - 1]))
        let c = try r.readPacked(count: context.degree, bits: bits, "coefficients")
        try r.finish("plaintext")
        guard c.allSatisfy({ $0 < context.plaintextModulus }) else { throw BFVError.malformed("coefficients: not below t") }
        self.init(unchecked: context, c)
    }
}

extension PublicKey {
    /// The serialized public key: header, `p0` (evaluation form, packed) and the seed of `a`.
    public func serialized() -> [UInt8] {
        var w = Wire.header(.publicKey, context)
        Wire.writePoly(p0, &w)
        w.write(bytes: seed.bytes)
        return w.bytes
    }

    /// Decodes and validates a serialized public key.
    public init(serialized bytes: [UInt8], context: BFVContext) throws(BFVError) {
        var r = try Wire.readHeader(bytes, .publicKey, context)
        let p0 = try Wire.readPoly(context.ring, form: .evaluation, &r, "p0")
        let seed = try Wire.readSeed(&r)
        try r.finish("public key")
        self.init(context: context, p0: p0, seed: seed)
    }
}

extension RelinearizationKey {
    /// The serialized key: header, limb count, the `k0_i` (packed) and the seed of the `a_i`.
    public func serialized() -> [UInt8] {
        var w = Wire.header(.relinearizationKey, context)
        w.write(UInt8(k0.count))
        for k in k0 { Wire.writePoly(k, &w) }
        w.write(bytes: seed.bytes)
        return w.bytes
    }

    /// Decodes and validates a serialized relinearization key.
    public init(serialized bytes: [UInt8], context: BFVContext) throws(BFVError) {
        var r = try Wire.readHeader(bytes, .relinearizationKey, context)
        let count = Int(try r.readByte("count"))
        guard count == context.ring.limbCount else { throw BFVError.malformed("count: \(count) limbs") }
        var k0: [RNSPoly] = []
        for i in 0..<count { k0.append(try Wire.readPoly(context.ring, form: .evaluation, &r, "k0[\(i)]")) }
        let seed = try Wire.readSeed(&r)
        try r.finish("relinearization key")
        self.init(context: context, k0: k0, seed: seed)
    }
}

extension SecretKey {
    /// The secret key's ternary coefficients, 2 bits each, behind the header. Only for storing
    /// the key deliberately: whoever holds these bytes can decrypt.
    public func serializedSecret() -> [UInt8] {
        var w = Wire.header(.secretKey, context)
        w.writePacked(coefficients.map { UInt64($0 + 1) }, bits: 2)
        return w.bytes
    }

    /// Decodes a secret key written by `serializedSecret()`.
    public init(serializedSecret bytes: [UInt8], context: BFVContext) throws(BFVError) {
        var r = try Wire.readHeader(bytes, .secretKey, context)
        let c = try r.readPacked(count: context.degree, bits: 2, "coefficients")
        try r.finish("secret key")
        guard c.allSatisfy({ $0 <= 2 }) else { throw BFVError.malformed("coefficients: not ternary") }
        let signed = c.map { Int64($0) - 1 }
        let poly = try BFVError.wrap { () throws(RingError) in try RNSPoly(context: context.ring, signedCoefficients: signed) }
        self.init(context: context, coefficients: signed, poly: poly)
    }
}

extension PowerOfTwoCiphertext {
    /// The serialized form: header, `bits`, an index flag, the count of `c0` coefficients
    /// (4 bytes), `c0` and `c1` packed at `bits` bits, and the indices at `log2 N` bits if kept.
    public func serialized(context: BFVContext) -> [UInt8] {
        var w = Wire.header(.powerOfTwoCiphertext, context)
        w.write(UInt8(bits))
        w.write(c0Indices == nil ? 0 : 1)
        w.write(UInt64(c0.count), width: 4)
        w.writePacked(c0, bits: bits)
        if let idx = c0Indices { w.writePacked(idx.map { UInt64($0) }, bits: context.degree.trailingZeroBitCount) }
        w.writePacked(c1, bits: bits)
        return w.bytes
    }

    /// Decodes and validates a serialized power-of-two ciphertext for `context`.
    public init(serialized bytes: [UInt8], context: BFVContext) throws(BFVError) {
        var r = try Wire.readHeader(bytes, .powerOfTwoCiphertext, context)
        let bits = Int(try r.readByte("bits"))
        guard bits >= 1, bits <= 64 else { throw BFVError.malformed("bits: \(bits)") }
        let flag = try r.readByte("indices flag")
        guard flag <= 1 else { throw BFVError.malformed("indices flag: \(flag)") }
        let count = Int(try r.read(width: 4, "count"))
        let n = context.degree
        guard count <= n, flag == 1 || count == n else { throw BFVError.malformed("count: \(count)") }
        let c0 = try r.readPacked(count: count, bits: bits, "c0")
        let indices = flag == 1
            ? try r.readPacked(count: count, bits: n.trailingZeroBitCount, "indices").map { Int($0) } : nil
        let c1 = try r.readPacked(count: n, bits: bits, "c1")
        try r.finish("power-of-two ciphertext")
        do {
            try self.init(bits: bits, c0: c0, c0Indices: indices, c1: c1)
        } catch {
            throw BFVError.malformed("ciphertext: \(error)")
        }
    }
}
