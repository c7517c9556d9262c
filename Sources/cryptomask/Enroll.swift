import FaceMatch

enum Enroll {
    static let help = """
        usage: cryptomask enroll --db FILE --embeddings X.npy [--labels L.txt|-] [--skip-duplicates] [--wait]

        Quantizes every row of X.npy (float32 or float64, C order; a 1-D array is one row) and
        appends it to FILE, creating FILE if it does not exist. New ids continue after the
        largest id in FILE. L.txt, if given, holds one label per row (LF or CRLF line ends;
        '-' reads standard input). X.npy is read in chunks, so memory stays small however many
        rows it holds; the rows are committed together at the end: a bad row, an error or an
        interruption leaves FILE as it was (a failed first enroll leaves no file).

        A row identical to an enrolled template with the same label is reported as a warning;
        --skip-duplicates leaves such rows out. Enroll takes FILE's writer lock: if another
        writer holds it, enroll fails at once naming that process, or waits with --wait.
        """

    /// Rows read from the `.npy` file at a time.
    static let chunkRows = 4096

    static func run(_ args: [String]) throws {
        let o = try Options(args, valued: ["db", "embeddings", "labels"], boolean: ["skip-duplicates", "wait"])
        if o.help { print(help); return }
        let path = try o.required("db")
        let embeddingsPath = try o.required("embeddings")
        let npy = try NumpyFile(path: embeddingsPath)
        guard npy.rows > 0 else { throw CLIError("\(embeddingsPath) has no rows") }
        var labels = [String](repeating: "", count: npy.rows)
        if let labelPath = o.values["labels"] {
            labels = try readLabels(labelPath, expected: npy.rows)
        }
        let clock = ContinuousClock()
        let start = clock.now
        let writer = try DatabaseWriter(path: path, wait: o.flag("wait"))
        defer { writer.close() }
        // One pass over the file validates it, finds the next id and collects (label, template)
        // digests for duplicates.
        var seen = Set<Int>()
        var existing = 0
        let batch = try writer.beginAppend(dimension: npy.columns) { _, label, template in
            existing += 1
            seen.insert(digest(template.map { Int8(bitPattern: $0) }, label))
        }
        // Above every id the file ever held: a removed person's id is never given to another.
        var nextID = batch.nextID
        let firstID = nextID
        var duplicates = 0
        let skip = o.flag("skip-duplicates")
        for chunkStart in stride(from: 0, to: npy.rows, by: chunkRows) {
            let end = min(npy.rows, chunkStart + chunkRows)
            let values = try npy.rows(chunkStart ..< end)
            for i in chunkStart ..< end {
                let row = Array(values[(i - chunkStart) * npy.columns ..< (i - chunkStart + 1) * npy.columns])
                let template: [Int8]
                do { template = try Embedding.quantized(row) } catch {
                    throw CLIError("\(embeddingsPath) row \(i): \(error.reason); nothing was enrolled")
                }
                if !seen.insert(digest(template, labels[i])).inserted {
                    duplicates += 1
                    if duplicates <= 10 {
                        Console.error("cryptomask: warning: row \(i) is identical to an enrolled template (or an earlier row) with the same label '\(Console.printable(labels[i]))'" + (skip ? "; skipped" : ""))
                    }
                    if skip { continue }
                }
                do { try batch.add(id: nextID, label: labels[i], template: template) } catch {
                    throw CLIError("\(embeddingsPath) row \(i): \(error.reason); nothing was enrolled")
                }
                nextID += 1
            }
            Console.progress("enrolling \(end)/\(npy.rows)")
        }
        if duplicates > 10 { Console.error("cryptomask: warning: \(duplicates) duplicate rows in all") }
        Console.progress("committing \(batch.count) templates")
        try batch.commit()
        Console.endProgress()
        let t = clock.now - start
        let seconds = Double(t.components.seconds) + Double(t.components.attoseconds) * 1e-18
        let skipped = skip && duplicates > 0 ? ", \(Console.count(duplicates, "duplicate")) skipped" : ""
        let range = batch.count == 0 ? "" : " as ids \(firstID) ... \(nextID - 1)"
        let rate = seconds > 0 ? ", \(Int(Double(npy.rows) / seconds)) rows/s" : ""
        print("enrolled \(Console.count(batch.count, "template")) into \(path)\(range)\(skipped) (now \(Console.count(existing + batch.count, "row")), dimension \(npy.columns); \(Console.seconds(seconds))\(rate))")
    }

    /// A digest of a template and its label (duplicate detection; 64 bits, in this process only).
    static func digest(_ template: [Int8], _ label: String) -> Int {
        var h = Hasher()
        h.combine(template)
        h.combine(label)
        return h.finalize()
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
