/// The header of a NumPy `.npy` file (format versions 1, 2 and 3) as CryptoMask accepts it:
/// little-endian `float32` (`<f4`) or `float64` (`<f8`), C order, 2-D (or 1-D as one row).
/// Anything else is refused with an error that names what was found.
struct NumpyHeader: Equatable {
    var rows: Int, columns: Int
    /// Bytes per value (4 or 8).
    var width: Int
    /// Offset of the first value.
    var dataStart: Int

    static func fail(_ s: String) -> FaceMatchError { FaceMatchError.invalidParameter("npy: \(s)") }

    /// Parses the header at the start of `bytes` (which must hold at least the whole header).
    init(_ bytes: [UInt8], allowVector: Bool) throws(FaceMatchError) {
        let fail = NumpyHeader.fail
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
        guard headerLength <= NumpyHeader.maxHeaderBytes, bytes.count >= headerStart + headerLength else { throw fail("truncated header") }
        let header = String(decoding: bytes[headerStart ..< headerStart + headerLength], as: UTF8.self)
        func field(_ key: String) -> String? {
            guard let r = header.firstRange(of: "'\(key)':") else { return nil }
            return String(header[r.upperBound...]).trimmed(" ")
        }
        guard let descr = field("descr") else { throw fail("header has no descr") }
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
        rows = r
        columns = c
        dataStart = headerStart + headerLength
    }

    /// The longest header accepted (bytes).
    static let maxHeaderBytes = 1 << 20

    /// Decodes `values.count` little-endian values from `raw` into `values`.
    func decode(_ raw: UnsafeRawBufferPointer, into values: UnsafeMutableBufferPointer<Double>) {
        if width == 4 {
            for i in 0..<values.count { values[i] = Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))) }
        } else {
            for i in 0..<values.count { values[i] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))) }
        }
    }
}

/// A `.npy` file read in chunks of rows: memory stays at one chunk however large the file.
public final class NumpyFile {
    let file: PosixFile
    let header: NumpyHeader
    /// Rows (embeddings) and columns (dimension).
    public var rows: Int { header.rows }
    public var columns: Int { header.columns }

    /// Opens `path` and checks its header and size. A 1-D array is one row.
    /// - Throws: `.fileUnavailable`, or `.invalidParameter` naming what is wrong with the file.
    public init(path: String) throws(FaceMatchError) {
        file = try PosixFile(path: path, mode: .read)
        let head = try file.read(at: 0, count: 12 + NumpyHeader.maxHeaderBytes)
        do throws(FaceMatchError) { header = try NumpyHeader(head, allowVector: true) } catch {
            throw FaceMatchError.invalidParameter("\(path): \(error.reason)")
        }
        let (count, overflow) = header.rows.multipliedReportingOverflow(by: header.columns * header.width)
        guard !overflow, file.size - header.dataStart == count else {
            throw NumpyHeader.fail("\(path): data holds \(file.size - header.dataStart) bytes, shape (\(header.rows), \(header.columns)) needs \(count)")
        }
    }

    /// Rows `range` as row-major values (`range.count * columns` of them).
    public func rows(_ range: Range<Int>) throws(FaceMatchError) -> [Double] {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows)
        let stride = header.columns * header.width
        let raw = try file.read(at: header.dataStart + range.lowerBound * stride, count: range.count * stride)
        guard raw.count == range.count * stride else { throw NumpyHeader.fail("\(file.path) changed while it was read") }
        var values = [Double](repeating: 0, count: range.count * header.columns)
        raw.withUnsafeBytes { r in values.withUnsafeMutableBufferPointer { header.decode(r, into: $0) } }
        return values
    }
}
