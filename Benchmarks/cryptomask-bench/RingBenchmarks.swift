import RingArithmetic

/// NTT and multiply-accumulate over the default FaceMatch modulus (N = 4096, two 50-bit primes).
func ringBenchmarks(_ run: (String, () -> BenchResult) -> Void, options: BenchOptions) throws {
    let n = 4096
    let ctx = try PolyContext(degree: n, moduli: try Primes.nttFriendly(bits: 50, count: 2, degree: n))
    let fields: [(String, String)] = [("N", "\(n)"), ("limbs", "\(ctx.limbCount)"),
                                       ("bits", format(ctx.logModulus))]
    var rng = ChaChaDRBG.fresh()
    let a = Sampler.uniform(ctx, form: .coefficient, rng: &rng)
    // Transforms run in place on one L x N buffer, every limb, outputs fully reduced.
    var buffer = a.residues
    run("ntt.forward") {
        let ns = buffer.withUnsafeMutableBufferPointer { buf in
            measure { for i in 0..<ctx.limbCount { ctx.ntt[i].forward(buf.baseAddress! + i * n) } }
        }
        return BenchResult(name: "ntt.forward", ns: ns, fields: fields)
    }
    run("ntt.inverse") {
        let ns = buffer.withUnsafeMutableBufferPointer { buf in
            measure { for i in 0..<ctx.limbCount { ctx.ntt[i].inverse(buf.baseAddress! + i * n) } }
        }
        return BenchResult(name: "ntt.inverse", ns: ns, fields: fields)
    }
    blackHole(buffer)
    run("poly.mulacc") {
        let terms = Int(options.values["terms"] ?? "8") ?? 8
        let xs = (0..<terms).map { _ in Sampler.uniform(ctx, form: .evaluation, rng: &rng) }
        let ys = (0..<terms).map { _ in Sampler.uniform(ctx, form: .evaluation, rng: &rng) }
        var acc = MultiplyAccumulator(context: ctx)
        let ns = measure(opsPerCall: Double(terms * n * ctx.limbCount)) {
            acc.reset()
            for k in 0..<terms { acc.add(xs[k], times: ys[k]) }
        }
        blackHole(acc.result())
        return BenchResult(name: "poly.mulacc", ns: ns, fields: fields + [("terms", "\(terms)")])
    }
}


/// Component timings behind encryption (named `sampler.*`).
func samplerBenchmarks(_ run: (String, () -> BenchResult) -> Void) throws {
    let n = 4096
    let ctx = try PolyContext(degree: n, moduli: try Primes.nttFriendly(bits: 50, count: 2, degree: n))
    var rng = ChaChaDRBG.fresh()
    run("sampler.uniform") {
        BenchResult(name: "sampler.uniform", ns: measure { blackHole(Sampler.uniform(ctx, form: .evaluation, rng: &rng)) }, fields: [("N", "\(n)"), ("limbs", "2")])
    }
    run("sampler.error") {
        BenchResult(name: "sampler.error", ns: measure { blackHole(Sampler.errorPoly(ctx, rng: &rng)) }, fields: [("N", "\(n)"), ("limbs", "2")])
    }
    run("sampler.ternary") {
        BenchResult(name: "sampler.ternary", ns: measure { blackHole(Sampler.ternaryPoly(ctx, rng: &rng)) }, fields: [("N", "\(n)"), ("limbs", "2")])
    }
    run("chacha.block") {
        BenchResult(name: "chacha.block", ns: measure(opsPerCall: 1024) { for _ in 0..<1024 { blackHole(rng.next()) } } * 8, fields: [("bytes", "64")])
    }
}

/// `chacha.fourblocks`, `chacha.fiveblocks`: ns per 64-byte block of the four-lane block
/// function and of the four-lane plus scalar one, alone.
func chachaCoreBenchmark(_ run: (String, () -> BenchResult) -> Void) {
    for (name, blocks) in [("chacha.fourblocks", 4), ("chacha.fiveblocks", 5)] {
        run(name) {
            var key = [UInt32](repeating: 7, count: 8)
            var out = [UInt32](repeating: 0, count: 16 * blocks)
            var counter: UInt32 = 0
            let ns = key.withUnsafeMutableBufferPointer { k in
                out.withUnsafeMutableBufferPointer { o in
                    measure(opsPerCall: Double(blocks)) {
                        if blocks == 4 {
                            ChaCha20.fourBlocks(key: UnsafePointer(k.baseAddress!), counter: counter, nonce: (1, 2, 3), into: o.baseAddress!)
                        } else {
                            ChaCha20.fiveBlocks(key: UnsafePointer(k.baseAddress!), counter: counter, nonce: (1, 2, 3), into: o.baseAddress!)
                        }
                        counter &+= UInt32(blocks)
                    }
                }
            }
            blackHole(out)
            return BenchResult(name: name, ns: ns, fields: [("bytes", "64")])
        }
    }
}
