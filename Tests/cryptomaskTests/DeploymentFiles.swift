import Foundation

/// A small reader for the exact shapes of the files under deploy/ (no YAML library: the
/// package has no dependencies). Kubernetes manifests write `command:` and `args:` as JSON-style
/// flow sequences on one line, scalars as `key: value`; systemd units one `Key=value` per line;
/// the Dockerfile `ENTRYPOINT` and `CMD` as JSON arrays. Anything else is not read, so the
/// tests also demand that every file yields the command lines it should.
enum DeploymentFiles {
    static let root = packageRoot.appendingPathComponent("deploy")

    /// One program invocation found in a file: `argv[0]` is the program.
    struct Invocation: CustomStringConvertible {
        var file: String
        var line: Int
        var argv: [String]
        var description: String { "\(file):\(line): \(argv.joined(separator: " "))" }
        var isCryptomask: Bool { argv.first.map { $0 == "cryptomask" || $0.hasSuffix("/cryptomask") } ?? false }
        /// The value after `option` (nil if absent).
        func value(_ option: String) -> String? {
            argv.firstIndex(of: option).flatMap { $0 + 1 < argv.count ? argv[$0 + 1] : nil }
        }
        /// Whether `argv` holds the words `words` in a row (e.g. `serve --shard`).
        func has(_ words: String...) -> Bool {
            argv.indices.contains { i in i + words.count <= argv.count && Array(argv[i ..< i + words.count]) == words }
        }
    }

    /// One YAML document (between `---` lines): its lines, numbered from 1 in the file.
    struct Document {
        var file: String
        var lines: [(number: Int, text: String)]

        /// Every value of `key: value` lines (also as `- key: value`), quotes and comments removed.
        func values(_ key: String) -> [String] {
            lines.compactMap { DeploymentFiles.scalar($0.text, key: key) }
        }
        var kind: String? { values("kind").first }
        /// `metadata.name`: the first `name:` at two spaces of indentation.
        var name: String? { lines.first { $0.text.hasPrefix("  name:") }.flatMap { DeploymentFiles.scalar($0.text, key: "name") } }
    }

    static func text(_ relative: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8)
    }

    /// Files directly in `deploy/<folder>` whose names end in `suffix`, sorted.
    static func files(in folder: String, suffix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)
            .filter { $0.hasSuffix(suffix) }.sorted().map { "\(folder)/\($0)" }
    }

    /// `value` of a `key: value` line (or `- key: value`), without quotes and a trailing comment.
    static func scalar(_ line: String, key: String) -> String? {
        var t = line.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("- ") { t = String(t.dropFirst(2)) }
        guard t.hasPrefix(key + ":") else { return nil }
        var v = t.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces)
        if let hash = v.range(of: " #") { v = String(v[..<hash.lowerBound]).trimmingCharacters(in: .whitespaces) }
        if v.count >= 2, let f = v.first, f == "\"" || f == "'", v.last == f { v = String(v.dropFirst().dropLast()) }
        return v.isEmpty ? nil : v
    }

    /// A JSON-style flow sequence (`["a", "b"]`) as strings; nil for anything else.
    static func flowSequence(_ s: String) -> [String]? {
        guard s.hasPrefix("[") else { return nil }
        return try? JSONDecoder().decode([String].self, from: Data(s.utf8))
    }

    static func documents(_ file: String) throws -> [Document] {
        var docs = [Document(file: file, lines: [])]
        for (i, line) in try text(file).components(separatedBy: "\n").enumerated() {
            if line == "---" { docs.append(Document(file: file, lines: [])); continue }
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("#") || line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            docs[docs.count - 1].lines.append((i + 1, line))
        }
        return docs.filter { !$0.lines.isEmpty }
    }

    /// The programs a document runs: a `command:` followed by `args:` is one invocation (an
    /// exec probe's `command:` stands alone); `/bin/sh -c SCRIPT` is read as the script's words
    /// (after `exec`), with `substitutions` applied (e.g. `${HOSTNAME##*-}` -> `0`).
    static func invocations(_ doc: Document, substitutions: [String: String]) -> [Invocation] {
        var out: [Invocation] = []
        var pending: (line: Int, argv: [String])?
        func emit() {
            guard let p = pending else { return }
            var argv = p.argv
            if argv.count == 3, argv[0] == "/bin/sh", argv[1] == "-c" {
                var script = argv[2]
                for (k, v) in substitutions { script = script.replacingOccurrences(of: k, with: v) }
                argv = script.split(separator: " ").map(String.init)
                if argv.first == "exec" { argv.removeFirst() }
            }
            out.append(Invocation(file: doc.file, line: p.line, argv: argv))
            pending = nil
        }
        for (number, text) in doc.lines {
            if let v = scalar(text, key: "command"), let seq = flowSequence(v) {
                emit()
                pending = (number, seq)
            } else if let v = scalar(text, key: "args"), let seq = flowSequence(v) {
                pending = (pending?.line ?? number, (pending?.argv ?? ["cryptomask"]) + seq)
                emit()
            } else {
                emit()
            }
        }
        emit()
        return out
    }

    /// `KEY=value` lines of an environment file (comments and blank lines skipped).
    static func environment(_ file: String) throws -> [String: String] {
        var env: [String: String] = [:]
        for line in try text(file).split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { env[parts[0]] = parts[1] }
        }
        return env
    }

    /// `Key=value` settings of a systemd unit, in order (a key may repeat).
    static func unitSettings(_ file: String) throws -> [(line: Int, key: String, value: String)] {
        try text(file).components(separatedBy: "\n").enumerated().compactMap { i, line in
            guard !line.hasPrefix("#"), !line.hasPrefix("["), let eq = line.firstIndex(of: "=") else { return nil }
            return (i + 1, String(line[..<eq]), String(line[line.index(after: eq)...]))
        }
    }

    /// The unit's `ExecStart` lines as invocations: `%i` becomes `instance`, `${VAR}` and
    /// `$VAR` take their values from `environment`.
    static func execStarts(_ file: String, instance: String, environment: [String: String]) throws -> [Invocation] {
        try unitSettings(file).filter { $0.key == "ExecStart" }.map { s in
            var line = s.value.replacingOccurrences(of: "%i", with: instance)
            for (k, v) in environment { line = line.replacingOccurrences(of: "${\(k)}", with: v).replacingOccurrences(of: "$\(k)", with: v) }
            return Invocation(file: file, line: s.line, argv: line.split(separator: " ").map(String.init))
        }
    }

    /// The JSON array of a Dockerfile instruction (`ENTRYPOINT [...]`, `CMD [...]`).
    static func dockerInstruction(_ name: String, in file: String) throws -> [String]? {
        try text(file).split(separator: "\n").first { $0.hasPrefix(name + " ") }
            .flatMap { flowSequence(String($0.dropFirst(name.count + 1))) }
    }
}
