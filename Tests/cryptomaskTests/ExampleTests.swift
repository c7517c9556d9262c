import Foundation
import Testing

@Suite("README library example")
struct ExampleTests {
    @Test("the README's example is Examples/QuickStart/main.swift word for word, and it runs and answers right")
    func quickStart() throws {
        let source = try String(contentsOf: packageRoot.appendingPathComponent("Examples/QuickStart/main.swift"), encoding: .utf8)
        let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("```swift\n" + source + "```"), "README.md's library example differs from Examples/QuickStart/main.swift")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: builtBinary("cryptomask-example"))
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2 && lines[0].hasPrefix("genuine: match (") && lines[1].hasPrefix("impostor: no match ("), "\(text)")
    }
}
