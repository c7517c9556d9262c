import FaceMatch

enum Enroll {
    static let help = """
        usage: cryptomask enroll --db FILE --embeddings X.npy [--labels L.txt|-] [--skip-duplicates] [--wait]

        Quantizes every row of X.npy (float32 or float64, C order; a 1-D array is one row) and
        appends it to FILE, creating FILE if it does not exist. New ids continue after the
        largest id in FILE. L.txt, if given, holds one label per row (LF or CRLF line ends;
        '-' reads standard input). Every row is checked before FILE is touched, and a failed
        first enroll leaves no file behind.

        A row identical to an enrolled template with the same label is reported as a warning;
        --skip-duplicates leaves such rows out. Enroll takes FILE's writer lock: if another
        writer holds it, enroll fails at once naming that process, or waits with --wait.
        """

    static func run(_ args: [String]) throws {
        let o = try Options(args, valued: ["db", "embeddings", "labels"], boolean: ["skip-duplicates", "wait"])
        if o.help { print(help); return }
        let path = try o.required("db")
        let embeddingsPath = try o.required("embeddings")
        let array = try NumpyArray(npy: readFileBytes(embeddingsPath), allowVector: true)
        guard array.rows > 0 else { throw CLIError("\(embeddingsPath) has no rows") }
        var labels = [String](repeating: "", count: array.rows)
        if let labelPath = o.values["labels"] {
            labels = try readLabels(labelPath, expected: array.rows)
        }
        var templates: [[Int8]] = []
        templates.reserveCapacity(array.rows)
        for i in 0..<array.rows {
            do { templates.append(try Embedding.quantized(array.row(i))) } catch {
                throw CLIError("\(embeddingsPath) row \(i): \(error.reason)")
            }
            if i % 1024 == 0 { Console.progress("quantizing \(i)/\(array.rows)") }
        }
        let writer = try DatabaseWriter(path: path, wait: o.flag("wait"))
        defer { writer.close() }
        let existing = try writer.contents()
        if let existing, existing.database.dimension != array.columns {
            throw CLIError("\(path) holds dimension \(existing.database.dimension), \(embeddingsPath) has \(array.columns)")
        }
        // Duplicates: identical template and label, against the file and earlier rows of this batch.
        var seen: [Int: [(template: [Int8], label: String, id: UInt64?)]] = [:]
        func key(_ t: [Int8], _ l: String) -> Int { var h = Hasher(); h.combine(t); h.combine(l); return h.finalize() }
        if let existing {
            for k in 0..<existing.database.count {
                let t = Array(existing.database.template(k))
                seen[key(t, existing.labels[k]), default: []].append((t, existing.labels[k], existing.database.ids[k]))
            }
        }
        var nextID = (existing?.database.ids.max()).map { $0 + 1 } ?? 0
        var ids: [UInt64] = [], keptLabels: [String] = [], kept: [[Int8]] = []
        var duplicates = 0
        for i in 0..<array.rows {
            let k = key(templates[i], labels[i])
            if let twin = seen[k]?.first(where: { $0.template == templates[i] && $0.label == labels[i] }) {
                duplicates += 1
                if duplicates <= 10 {
                    let what = twin.id.map { "enrolled id \($0)" } ?? "an earlier row of this file"
                    Console.error("cryptomask: warning: row \(i) is identical to \(what) with the same label '\(Console.printable(labels[i]))'" + (o.flag("skip-duplicates") ? "; skipped" : ""))
                }
                if o.flag("skip-duplicates") { continue }
            }
            seen[k, default: []].append((templates[i], labels[i], nil))
            ids.append(nextID)
            nextID += 1
            keptLabels.append(labels[i])
            kept.append(templates[i])
        }
        if duplicates > 10 { Console.error("cryptomask: warning: \(duplicates) duplicate rows in all") }
        Console.progress("writing \(kept.count) templates")
        try writer.append(ids: ids, labels: keptLabels, templates: kept)
        Console.endProgress()
        let total = (existing?.database.count ?? 0) + kept.count
        let skipped = o.flag("skip-duplicates") && duplicates > 0 ? ", \(duplicates) duplicates skipped" : ""
        let range = ids.isEmpty ? "" : " as ids \(ids.first!) ... \(ids.last!)"
        print("enrolled \(kept.count) templates into \(path)\(range)\(skipped) (now \(total) rows, dimension \(array.columns))")
    }

    /// One label per line; a final newline is optional, CRLF line ends are accepted.
    static func readLabels(_ path: String, expected: Int) throws -> [String] {
        // Split bytes, not Characters: Swift treats "\r\n" as one Character.
        var lines = try readFileBytes(path).split(separator: 0x0A, omittingEmptySubsequences: false)
            .map { String(decoding: $0.last == 0x0D ? $0.dropLast() : $0, as: UTF8.self) }
        if lines.last == "" { lines.removeLast() }
        guard lines.count == expected else {
            throw CLIError("\(path == "-" ? "standard input" : path) has \(lines.count) labels for \(expected) embeddings")
        }
        return lines
    }
}
