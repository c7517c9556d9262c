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
        let h = try NumpyHeader(bytes, allowVector: allowVector)
        guard bytes.count - h.dataStart == h.rows * h.columns * h.width else {
            throw NumpyHeader.fail("data holds \(bytes.count - h.dataStart) bytes, shape (\(h.rows), \(h.columns)) needs \(h.rows * h.columns * h.width)")
        }
        var values = [Double](repeating: 0, count: h.rows * h.columns)
        bytes.withUnsafeBufferPointer { b in
            values.withUnsafeMutableBufferPointer { v in
                h.decode(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(b)[h.dataStart...]), into: v)
            }
        }
        rows = h.rows
        columns = h.columns
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
