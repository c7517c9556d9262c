// cryptomask-bench: swift run -c release cryptomask-bench [--json] [--n N] [--d D] [name-prefix ...]
// Prints one line per benchmark (a JSON object per line with --json): name, ns (median per
// operation) and the parameters. See README "Benchmarks".
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct BenchOptions {
    var json = false
    var filters: [String] = []
    var values: [String: String] = [:]

    init(_ arguments: [String]) {
        var args = arguments
        while !args.isEmpty {
            let a = args.removeFirst()
            if a == "--json" {
                json = true
            } else if a == "--help" || a == "-h" {
                print("usage: cryptomask-bench [--json] [--n N] [--d D] [name-prefix ...]")
                exit(0)
            } else if a.hasPrefix("--"), !args.isEmpty {
                values[String(a.dropFirst(2))] = args.removeFirst()
            } else {
                filters.append(a)
            }
        }
    }

    func selected(_ name: String) -> Bool { filters.isEmpty || filters.contains { name.hasPrefix($0) } }
}

let options = BenchOptions(Array(CommandLine.arguments.dropFirst()))
let run: (String, () -> BenchResult) -> Void = { name, body in
    guard options.selected(name) else { return }
    let r = body()
    print(options.json ? r.json : r.text)
}

do {
    try ringBenchmarks(run, options: options)
    try bfvBenchmarks(run, options: options)
    try samplerBenchmarks(run)
    chachaCoreBenchmark(run)
    hashBenchmarks(run)
    hash8Benchmark(run)
    compareBenchmarks(run, options: options)
    clusterLinkBenchmarks(run)
    try faceMatchBenchmarks(run, options: options)
    clusterBenchmarks(run, options: options)
} catch {
    print("benchmark setup failed: \(error)")
    exit(1)
}
