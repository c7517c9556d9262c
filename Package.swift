// swift-tools-version:6.0
// CryptoMask: private 1:N face matching in pure Swift (see README.md).
import PackageDescription

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opt-in native build: `CRYPTOMASK_NATIVE=1 swift build -c release` tunes code for this CPU.
/// Off by default, so the package stays usable as a dependency (no `unsafeFlags`).
let nativeBuild = getenv("CRYPTOMASK_NATIVE").map { String(cString: $0) == "1" } ?? false
/// Whether this machine's CPU has 512-bit vectors with rotations (AVX-512 F and VL), read from
/// /proc/cpuinfo on Linux: the native build then hashes sixteen messages per vector.
func hostHasAVX512() -> Bool {
    guard let file = fopen("/proc/cpuinfo", "r") else { return false }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 8192)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = line.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        if text.hasPrefix("flags") { return text.contains(" avx512f") && text.contains(" avx512vl") }
    }
    return false
}
let speed: [SwiftSetting] = nativeBuild
    ? [.unsafeFlags(["-Xcc", "-march=native", "-target-cpu", "native"]), .define("CRYPTOMASK_WIDE_SIMD")]
        + (hostHasAVX512() ? [.define("CRYPTOMASK_AVX512")] : [])
    : []

let package = Package(
    name: "CryptoMask",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "RingArithmetic", targets: ["RingArithmetic"]),
        .library(name: "BFV", targets: ["BFV"]),
        .library(name: "SecureCompare", targets: ["SecureCompare"]),
        .library(name: "FaceMatch", targets: ["FaceMatch"]),
        .executable(name: "cryptomask", targets: ["cryptomask"]),
        .executable(name: "cryptomask-bench", targets: ["cryptomask-bench"]),
    ],
    targets: [
        // libm: floating-point rounding without Foundation on Linux.
        .target(name: "RingArithmetic", swiftSettings: speed,
                linkerSettings: [.linkedLibrary("m", .when(platforms: [.linux]))]),
        .target(name: "BFV", dependencies: ["RingArithmetic"], swiftSettings: speed),
        .target(name: "SecureCompare", dependencies: ["BFV"], swiftSettings: speed),
        .target(name: "FaceMatch", dependencies: ["SecureCompare"], swiftSettings: speed),
        .executableTarget(name: "cryptomask", dependencies: ["FaceMatch"], swiftSettings: speed),
        .executableTarget(
            name: "cryptomask-bench", dependencies: ["FaceMatch"], path: "Benchmarks/cryptomask-bench",
            swiftSettings: speed),
        // The README's library example, compiled and run by the tests.
        .executableTarget(name: "cryptomask-example", dependencies: ["FaceMatch"], path: "Examples/QuickStart"),
        .testTarget(name: "RingArithmeticTests", dependencies: ["RingArithmetic"]),
        .testTarget(name: "BFVTests", dependencies: ["BFV"]),
        .testTarget(name: "SecureCompareTests", dependencies: ["SecureCompare"]),
        .testTarget(name: "FaceMatchTests", dependencies: ["FaceMatch"]),
        // Drives the real `cryptomask` processes (the dependency makes `swift test` build it).
        .testTarget(name: "cryptomaskTests", dependencies: ["cryptomask", "cryptomask-example", "FaceMatch"]),
    ]
)
