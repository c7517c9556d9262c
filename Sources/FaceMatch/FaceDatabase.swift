/// An in-memory database of enrolled int8 templates with 64-bit ids. Templates are stored
/// contiguously (`n * d` bytes plus `8n` for ids): 65,536 templates of dimension 512 take 34 MB.
public struct FaceDatabase: Sendable, Equatable {
    /// Template dimension `d`.
    public let dimension: Int
    /// Enrolled ids, in enrollment order.
    public private(set) var ids: [UInt64] = []
    /// Templates, row-major: template `i` is `templates[i*d ..< (i+1)*d]`.
    public private(set) var templates: [Int8] = []

    /// An empty database of dimension `d` (1 ... 4096).
    /// - Throws: `FaceMatchError.invalidParameter` for another dimension.
    public init(dimension: Int) throws(FaceMatchError) {
        guard dimension >= 1, dimension <= 4096 else { throw FaceMatchError.invalidParameter("dimension \(dimension) must be 1 ... 4096") }
        self.dimension = dimension
    }

    /// The number of templates `n`.
    public var count: Int { ids.count }

    /// Enrolls an embedding: validated, normalized and quantized (sigma = 128).
    /// - Throws: `FaceMatchError.invalidEmbedding` for a bad embedding.
    public mutating func enroll(id: UInt64, embedding: [Double]) throws(FaceMatchError) {
        try append(id: id, template: Embedding.quantized(embedding, dimension: dimension))
    }

    /// Appends an already quantized template: every value in -127 ... 127 and the L2 norm at most
    /// `TemplateNorm.bound(dimension:)` (`sigma + sqrt(d)/2`, what quantizing a unit vector can
    /// produce; the scores' range mod t and the flooding bound assume it).
    /// - Throws: `FaceMatchError.invalidEmbedding` for a wrong length, the value -128 or a norm
    ///   above the bound.
    public mutating func append(id: UInt64, template: [Int8]) throws(FaceMatchError) {
        try FaceDatabase.validate(template, dimension: dimension)
        ids.append(id)
        templates.append(contentsOf: template)
    }

    /// Checks a quantized template: `dimension` values, each in -127 ... 127, and the L2 norm
    /// at most `TemplateNorm` allows.
    /// - Throws: `FaceMatchError.invalidEmbedding` saying what is wrong.
    public static func validate(_ template: [Int8], dimension: Int) throws(FaceMatchError) {
        guard template.count == dimension else {
            throw FaceMatchError.invalidEmbedding("template of \(template.count) values, expected \(dimension)")
        }
        guard !template.contains(-128) else { throw FaceMatchError.invalidEmbedding("template value -128 is outside -127 ... 127") }
        try TemplateNorm.check(template)
    }

    /// Reserves room for `count` more templates.
    public mutating func reserve(_ extra: Int) {
        ids.reserveCapacity(ids.count + extra)
        templates.reserveCapacity(templates.count + extra * dimension)
    }

    /// Template `i`.
    public func template(_ i: Int) -> ArraySlice<Int8> { templates[i * dimension ..< (i + 1) * dimension] }
}
