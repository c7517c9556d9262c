/// A 2-D float array read from a NumPy `.npy` file (format versions 1, 2 and 3):
/// little-endian `float32` (`<f4`) or `float64` (`<f8`), C order. Anything else is refused
/// with an error that names what was found. What insightface/ArcFace pipelines write.
public struct NumpyArray: Sendable, Equatable {
    /// Rows (embeddings).
    public let rows: Int
    /// Columns (dimension).
    public let columns: Int
    /// Values, row-major.
    public let values: [Double]

    /// Row `i` as a vector.
    public func row(_ i: Int) -> [Double] { Array(values[i * columns ..< (i + 1) * columns]) }

    /// Parses `.npy` bytes. A 1-D array is accepted as one row when `allowVector` is true.
    /// - Throws: `FaceMatchError.invalidParameter` describing the problem.
    public init(npy bytes: [UInt8], allowVector: Bool = false) throws(FaceMatchError) {
        func fail(_ s: String) -> FaceMatchError { FaceMatchError.invalidParameter("npy: \(s)") }
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else { throw fail("not a .npy file (bad magic)") }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1: headerLength = Int(bytes[8]) | Int(bytes[9]) << 8; headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24; headerStart = 12
        default: throw fail("unsupported format version \(major)")
        }
        guard headerLength <= 1 << 20, bytes.count >= headerStart + headerLength else { throw fail("truncated header") }
        let header = String(decoding: bytes[headerStart ..< headerStart + headerLength], as: UTF8.self)
        func field(_ key: String) -> String? {
            guard let r = header.firstRange(of: "'\(key)':") else { return nil }
            return String(header[r.upperBound...]).trimmed(" ")
        }
        guard let descr = field("descr") else { throw fail("header has no descr") }
        let width: Int
        if descr.hasPrefix("'<f4'") { width = 4 } else if descr.hasPrefix("'<f8'") { width = 8 } else {
            let shown = descr.prefix(while: { $0 != "," })
            throw fail("dtype \(shown) is not little-endian float32 or float64")
        }
        guard let fortran = field("fortran_order") else { throw fail("header has no fortran_order") }
        guard fortran.hasPrefix("False") else { throw fail("Fortran-ordered arrays are not supported; save with C order") }
        guard let shapeText = field("shape"), shapeText.hasPrefix("("), let close = shapeText.firstIndex(of: ")") else { throw fail("header has no shape") }
        let dims = shapeText[shapeText.index(after: shapeText.startIndex) ..< close].split(separator: ",").map { $0.trimmed(" ") }.filter { !$0.isEmpty }
        let shape = dims.compactMap { Int($0) }
        guard shape.count == dims.count, shape.allSatisfy({ $0 >= 0 }) else { throw fail("bad shape \(shapeText.prefix(40))") }
        let (r, c): (Int, Int)
        if shape.count == 2 { (r, c) = (shape[0], shape[1]) } else if shape.count == 1 && allowVector { (r, c) = (1, shape[0]) } else {
            throw fail("expected a 2-D array, found \(shape.count) dimensions")
        }
        guard c >= 1, r >= 0, r <= 1 << 32, c <= 1 << 20 else { throw fail("shape (\(r), \(c)) out of range") }
        let dataStart = headerStart + headerLength
        let (count, overflow) = r.multipliedReportingOverflow(by: c)
        guard !overflow, bytes.count - dataStart == count * width else {
            throw fail("data holds \(bytes.count - dataStart) bytes, shape (\(r), \(c)) needs \(count * width)")
        }
        var values = [Double](repeating: 0, count: count)
        bytes.withUnsafeBufferPointer { b in
            for i in 0..<count {
                let o = dataStart + i * width
                if width == 4 {
                    var u: UInt32 = 0
                    for k in 0..<4 { u |= UInt32(b[o + k]) << (8 * UInt32(k)) }
                    values[i] = Double(Float(bitPattern: u))
                } else {
                    var u: UInt64 = 0
                    for k in 0..<8 { u |= UInt64(b[o + k]) << (8 * UInt64(k)) }
                    values[i] = Double(bitPattern: u)
                }
            }
        }
        rows = r
        columns = c
        self.values = values
    }

    /// The `.npy` encoding (version 1.0, `<f4` or `<f8`, C order) of a row-major array.
    public static func encode(rows: Int, columns: Int, values: [Double], float32: Bool = true) -> [UInt8] {
        var header = "{'descr': '\(float32 ? "<f4" : "<f8")', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        out += [UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)]
        out += Array(header.utf8)
        for v in values {
            if float32 {
                let u = Float(v).bitPattern
                for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: u >> (8 * UInt32(k)))) }
            } else {
                let u = v.bitPattern
                for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: u >> (8 * UInt64(k)))) }
            }
        }
        return out
    }
}

extension String {
    /// Trims the given characters from both ends (Foundation-free).
    func trimmed(_ set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }

    /// The first range of `needle` (Foundation-free).
    func firstRange(of needle: String) -> Range<String.Index>? {
        guard !needle.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(needle) { return i ..< index(i, offsetBy: needle.count) }
            i = index(after: i)
        }
        return nil
    }
}

extension Substring {
    func trimmed(_ set: String) -> String { String(self).trimmed(set) }
}
