import FaceMatch

enum Enroll {
    static let help = """
        usage: cryptomask enroll --db FILE --embeddings X.npy [--labels L.txt]

        Quantizes every row of X.npy (float32 or float64, 2-D, C order) and appends it to FILE,
        creating FILE if it does not exist. Ids continue from the database's current count.
        L.txt, if given, holds one label per row.
        """

    static func run(_ args: [String]) throws {
        let o = try Options(args, valued: ["db", "embeddings", "labels"])
        if o.help { print(help); return }
        let path = try o.required("db")
        let array = try NumpyArray(npy: readFileBytes(try o.required("embeddings")))
        guard array.rows > 0 else { throw CLIError("the embeddings file has no rows") }
        var labels = [String](repeating: "", count: array.rows)
        if let labelPath = o.values["labels"] {
            let lines = String(decoding: try readFileBytes(labelPath), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let trimmed = lines.last == "" ? Array(lines.dropLast()) : lines
            guard trimmed.count == array.rows else { throw CLIError("\(labelPath) has \(trimmed.count) labels for \(array.rows) embeddings") }
            labels = trimmed
        }
        let existing: Int
        if DatabaseFile.exists(path: path) {
            let contents = try DatabaseFile.load(path: path)
            guard contents.database.dimension == array.columns else {
                throw CLIError("\(path) holds dimension \(contents.database.dimension), the embeddings have \(array.columns)")
            }
            existing = contents.database.count
        } else {
            try DatabaseFile.create(path: path, dimension: array.columns)
            existing = 0
        }
        var templates: [[Int8]] = []
        templates.reserveCapacity(array.rows)
        for i in 0..<array.rows {
            do { templates.append(try Embedding.quantized(array.row(i))) } catch {
                throw CLIError("row \(i): \(describe(error))")
            }
            if i % 1024 == 0 { Console.progress("quantizing \(i)/\(array.rows)") }
        }
        Console.progress("writing \(array.rows) templates")
        try DatabaseFile.append(path: path, ids: (0..<array.rows).map { UInt64(existing + $0) }, labels: labels, templates: templates)
        Console.endProgress()
        print("enrolled \(array.rows) templates into \(path) (now \(existing + array.rows), dimension \(array.columns))")
    }
}

