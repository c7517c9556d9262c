import FaceMatch

/// `cryptomask db info|list|remove|compact|repair|split`: inspect and maintain a database file.
enum DatabaseCommands {
    static let help = """
        usage: cryptomask db <command> --db FILE [options]

        commands:
          info    --db FILE [--json]                       rows, removed rows, dimension, format, size
          list    --db FILE [--json]                       one line per row: id and label
          remove  --db FILE (--id ID | --label LABEL) [--wait]
                                                           remove rows; their bytes are erased at once
          compact --db FILE [--wait]                       rewrite without removed rows (atomic)
          repair  --db FILE [--wait]                       cut a torn tail, finish interrupted erasures
          split   --db FILE --shards K --out DIR [--by round-robin|id-hash] [--wait]
                                                           write K shard files for 'serve --shard'

        Writers (remove, compact, repair, split, and enroll) take the file's lock: a second writer fails
        at once naming the process that holds it, or waits with --wait. Readers (info, list,
        serve) wait while a writer works and never see a half-written file.
        """

    static func run(_ args: [String]) throws {
        guard let sub = args.first, !sub.hasPrefix("-") else {
            if args.contains("--help") || args.contains("-h") { print(help); return }
            throw CLIError("missing db command (info, list, remove, compact, repair, split)", usage: true)
        }
        let rest = Array(args.dropFirst())
        switch sub {
        case "info": try info(rest)
        case "list": try list(rest)
        case "remove": try remove(rest)
        case "compact": try compact(rest)
        case "repair": try repair(rest)
        case "split": try SplitCommand.run(rest)
        default: throw CLIError("unknown db command '\(sub)' (info, list, remove, compact, repair, split)", usage: true)
        }
    }

    static func info(_ args: [String]) throws {
        let o = try Options(args, valued: ["db"], boolean: ["json"])
        if o.help { print(help); return }
        let path = try o.required("db")
        let i = try DatabaseFile.info(path: path)
        if o.flag("json") {
            print(JSONLine.encode(["rows": i.rows, "removed": i.removed, "unerased": i.unerased, "dimension": i.dimension,
                                   "formatVersion": i.formatVersion, "fileSize": i.fileSize, "tornBytes": i.tornBytes,
                                   "writerActive": i.writerActive]))
            return
        }
        print("rows: \(i.rows)")
        print("removed: \(i.removed)" + (i.removed > 0 ? " (tombstones; 'cryptomask db compact' drops them)" : ""))
        print("dimension: \(i.dimension)")
        print("format version: \(i.formatVersion)")
        print("file size: \(i.fileSize) bytes")
        if i.writerActive {
            if i.tornBytes > 0 { print("being written: \(i.tornBytes) bytes after the last commit (a writer is at work)") }
            if i.unerased > 0 { print("being erased: \(Console.count(i.unerased, "row")) (a writer is at work)") }
        } else {
            if i.tornBytes > 0 { print("torn tail: \(i.tornBytes) bytes after the last commit (run 'cryptomask db repair --db \(path)')") }
            if i.unerased > 0 { print("interrupted erasures: \(i.unerased) (run 'cryptomask db repair --db \(path)')") }
        }
    }

    static func list(_ args: [String]) throws {
        let o = try Options(args, valued: ["db"], boolean: ["json"])
        if o.help { print(help); return }
        let path = try o.required("db")
        // Listing reads the committed rows, as the server serves them, past a tail or an erasure
        // left by a writer that died (and says so).
        let c = try DatabaseFile.load(path: path, lenient: true)
        if c.tornBytes > 0 && !DatabaseFile.isLockedByWriter(path: path) {
            Console.error("cryptomask: warning: \(c.tornBytes) bytes after the last commit (run 'cryptomask db repair --db \(path)')")
        }
        var out = ""
        for (k, id) in c.database.ids.enumerated() {
            out += o.flag("json") ? JSONLine.encode(["id": id, "label": c.labels[k]]) : "\(id)\t\(Console.printable(c.labels[k]))"
            out += "\n"
            if out.utf8.count >= 1 << 16 { print(out, terminator: ""); out = "" }
        }
        print(out, terminator: "")
    }

    static func remove(_ args: [String]) throws {
        let o = try Options(args, valued: ["db", "id", "label"], boolean: ["wait"])
        if o.help { print(help); return }
        let path = try o.required("db")
        let id: UInt64?
        if let s = o.values["id"] {
            guard let v = UInt64(s) else { throw CLIError("--id must be a non-negative integer, got '\(s)'", usage: true) }
            id = v
        } else { id = nil }
        let label = o.values["label"]
        guard (id == nil) != (label == nil) else { throw CLIError("give exactly one of --id and --label", usage: true) }
        // An empty label (an unset shell variable) would erase every unlabelled row.
        guard label != "" else { throw CLIError("--label must not be empty; remove unlabelled rows by --id", usage: true) }
        let writer = try DatabaseWriter(path: path, wait: o.flag("wait"))
        defer { writer.close() }
        let removed = try writer.remove { rowID, rowLabel in id.map { $0 == rowID } ?? (rowLabel == label) }
        guard !removed.isEmpty else {
            throw CLIError(id.map { "no row with id \($0) in \(path)" } ?? "no row labelled '\(Console.printable(label ?? ""))' in \(path)")
        }
        let shown = removed.prefix(20).map(String.init).joined(separator: ", ") + (removed.count > 20 ? ", ..." : "")
        print("removed \(Console.count(removed.count, "row")) (id \(shown)) from \(path); \(removed.count == 1 ? "its template and label are" : "their templates and labels are") overwritten with zeros")
    }

    static func compact(_ args: [String]) throws {
        let o = try Options(args, valued: ["db"], boolean: ["wait"])
        if o.help { print(help); return }
        let path = try o.required("db")
        let writer = try DatabaseWriter(path: path, wait: o.flag("wait"))
        defer { writer.close() }
        let r = try writer.compact()
        print("compacted \(path): kept \(r.kept) rows, dropped \(r.dropped) removed; \(r.bytesBefore) -> \(r.bytesAfter) bytes")
    }

    static func repair(_ args: [String]) throws {
        let o = try Options(args, valued: ["db"], boolean: ["wait"])
        if o.help { print(help); return }
        let path = try o.required("db")
        let writer = try DatabaseWriter(path: path, wait: o.flag("wait"))
        defer { writer.close() }
        let r = try writer.repair()
        for stale in r.staleFilesRemoved { print("deleted \(stale), a temporary copy left by a writer that died") }
        if r.tornBytes == 0 && r.erasuresCompleted == 0 {
            print("\(path) needs no repair (\(Console.count(r.committedRecords, "committed record")))")
            return
        }
        if r.tornBytes > 0 {
            print("cut \(r.tornBytes) bytes after the last commit (\(r.uncommittedRecords) complete but uncommitted record\(r.uncommittedRecords == 1 ? "" : "s") from an interrupted enroll; enroll them again)")
        }
        if r.erasuresCompleted > 0 { print("completed \(r.erasuresCompleted) interrupted erasure\(r.erasuresCompleted == 1 ? "" : "s")") }
        print("\(path) now holds its last commit: \(Console.count(r.committedRecords, "record"))")
    }
}
