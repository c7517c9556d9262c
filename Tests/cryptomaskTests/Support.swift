import Foundation
import FaceMatch
import RingArithmetic

/// The package's root folder.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The executable `name` next to this test bundle (same build configuration).
func builtBinary(_ name: String) -> String {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for dir in [bundle, bundle.deletingLastPathComponent(), bundle.deletingLastPathComponent().deletingLastPathComponent()] {
        let candidate = dir.appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    // Fall back to the package's build folder.
    for config in ["release", "debug"] {
        let candidate = packageRoot.appendingPathComponent(".build/\(config)/\(name)").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return name
}

/// The `cryptomask` binary.
let cryptomaskBinary = builtBinary("cryptomask")

/// Runs `cryptomask args` to completion; returns (exit status, stdout, stderr).
@discardableResult
func runCLI(_ args: [String], stdin: Data? = nil) throws -> (Int32, String, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: cryptomaskBinary)
    p.arguments = args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    let input = Pipe()
    p.standardInput = stdin == nil ? FileHandle.nullDevice : input
    try p.run()
    if let stdin {
        try input.fileHandleForWriting.write(contentsOf: stdin)
        try input.fileHandleForWriting.close()
    }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

/// A running `cryptomask serve` process and the port it listens on. Its stderr goes to a file
/// (the log), which also announces the port.
final class ServerProcess {
    let process = Process()
    let port: Int
    let logURL: URL

    convenience init(db: String, threshold: Double, options: [String] = []) throws {
        try self.init(arguments: ["serve", "--db", db, "--port", "0", "--threshold", "\(threshold)"] + options, log: db + ".serve.log")
    }

    /// Any `cryptomask` command line that logs "on 127.0.0.1:PORT" once it listens (serve,
    /// serve --shard, serve --front); its stderr goes to `log`.
    init(arguments: [String], log: String) throws {
        logURL = URL(fileURLWithPath: log)
        // A failure here surfaces at once: FileHandle(forWritingTo:) throws for a missing file.
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: logURL)
        process.executableURL = URL(fileURLWithPath: cryptomaskBinary)
        process.arguments = arguments
        process.standardError = logHandle
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        try logHandle.close()
        var port = 0
        let deadline = Date().addingTimeInterval(60)
        while port == 0 && Date() < deadline && process.isRunning {
            let text = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
            if let r = text.range(of: #"on 127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(text[r].split(separator: ":").last!) ?? 0
            } else {
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        self.port = port
    }

    var isRunning: Bool { process.isRunning }

    /// A field of the server's `/proc/PID/status` in kB (e.g. "VmHWM", the peak resident size).
    func memory(_ field: String) -> Int {
        let text = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return -1 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    }

    /// Everything the server logged so far.
    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Sends `signal` and waits (up to `seconds`) for the exit; returns the exit status, or nil
    /// if the process had to be killed.
    func signalAndWait(_ signal: Int32, seconds: Double = 30) -> Int32? {
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { stop(); return nil }
        process.waitUntilExit()
        return process.terminationReason == .exit ? process.terminationStatus : nil
    }

    /// Waits until the log contains `text` (up to `seconds`).
    func waitForLog(_ text: String, seconds: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if log.contains(text) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    func stop() {
        process.terminate()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// A `cryptomask` process started in the background with stdout and stderr in files.
final class BackgroundCLI {
    let process = Process()
    let out: URL, err: URL

    init(_ args: [String], in dir: URL, name: String) throws {
        out = dir.appendingPathComponent("\(name).out")
        err = dir.appendingPathComponent("\(name).err")
        for u in [out, err] { _ = FileManager.default.createFile(atPath: u.path, contents: nil) }
        process.executableURL = URL(fileURLWithPath: cryptomaskBinary)
        process.arguments = args
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
    }

    var stdout: String { (try? String(contentsOf: out, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: err, encoding: .utf8)) ?? "" }

    /// Waits for the exit; returns the status.
    func wait() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// An error line as the CLI promises it: one line, no raw enum value such as `protocolViolation(`.
func isReadableError(_ stderr: String) -> Bool {
    let lines = stderr.split(separator: "\n")
    return lines.count == 1 && lines[0].hasPrefix("cryptomask: ")
        && stderr.range(of: #"\b[a-z]+[A-Z][A-Za-z]*\b"#, options: .regularExpression) == nil
}

/// A fresh temporary directory.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("cryptomask-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Deterministic synthetic embeddings: identities with noisy samples.
struct Synthetic {
    var g = ChaChaDRBG(seed: try! Seed(bytes: [UInt8](repeating: 11, count: 32)))
    let d: Int

    mutating func unitVector() -> [Double] {
        let v = (0..<d).map { _ -> Double in
            let u1 = (Double(g.next() >> 11) + 1) / 9007199254740993.0
            let u2 = Double(g.next() >> 11) / 9007199254740992.0
            return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
        }
        let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return v.map { $0 / n }
    }

    /// A unit vector with cosine `c` to `y`.
    mutating func near(_ y: [Double], cosine c: Double) -> [Double] {
        var z = unitVector()
        let dot = zip(z, y).reduce(0) { $0 + $1.0 * $1.1 }
        z = zip(z, y).map { $0 - dot * $1 }
        let zn = z.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let s = (1 - c * c).squareRoot()
        return zip(y, z).map { c * $0 + s * $1 / zn }
    }
}

func writeNPY(_ rows: [[Double]], to url: URL, float32: Bool = true) throws {
    let bytes = NumpyArray.encode(rows: rows.count, columns: rows[0].count, values: rows.flatMap { $0 }, float32: float32)
    try Data(bytes).write(to: url)
}

/// Text appended from several threads.
final class LogBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var storage = ""
    func append(_ s: String) { lock.lock(); storage += s; lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return storage }
}
