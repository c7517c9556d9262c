import Foundation
import FaceMatch
import RingArithmetic

/// The `cryptomask` binary next to this test bundle (same build configuration).
let cryptomaskBinary: String = {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for dir in [bundle, bundle.deletingLastPathComponent(), bundle.deletingLastPathComponent().deletingLastPathComponent()] {
        let candidate = dir.appendingPathComponent("cryptomask").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    // Fall back to the package's build folder.
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    for config in ["release", "debug"] {
        let candidate = root.appendingPathComponent(".build/\(config)/cryptomask").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return "cryptomask"
}()

/// Runs `cryptomask args` to completion; returns (exit status, stdout, stderr).
@discardableResult
func runCLI(_ args: [String]) throws -> (Int32, String, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: cryptomaskBinary)
    p.arguments = args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
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

    init(db: String, threshold: Double, options: [String] = []) throws {
        logURL = URL(fileURLWithPath: db + ".serve.log")
        // A failure here surfaces at once: FileHandle(forWritingTo:) throws for a missing file.
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: logURL)
        process.executableURL = URL(fileURLWithPath: cryptomaskBinary)
        process.arguments = ["serve", "--db", db, "--port", "0", "--threshold", "\(threshold)"] + options
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

    func stop() {
        process.terminate()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
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
