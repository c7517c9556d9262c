import BFV
import RingArithmetic

/// BFV benchmarks at the FaceMatch preset (N = 4096, two 50-bit primes, t = 2^17), plus the
/// ciphertext product at a batching variant (t = 65537).
func bfvBenchmarks(_ run: (String, () -> BenchResult) -> Void, options: BenchOptions) throws {
    let params = Parameters.faceMatch4096
    let ctx = try BFVContext(params)
    let fields: [(String, String)] = [("N", "\(params.degree)"), ("limbs", "\(params.coefficientModuli.count)"),
                                       ("bits", format(params.logModulus))]
    var rng = ChaChaDRBG.fresh()
    let sk = SecretKey(context: ctx, rng: &rng)
    let pk = PublicKey(secretKey: sk, rng: &rng)
    let pt = try CoefficientEncoder(context: ctx).encode((0..<params.degree).map { Int64($0 % 255) - 127 })
    let symmetric = Encryptor(secretKey: sk), asymmetric = Encryptor(publicKey: pk)
    run("bfv.encrypt.symmetric") {
        let ns = measure { blackHole(try? symmetric.encrypt(pt, rng: &rng)) }
        return BenchResult(name: "bfv.encrypt.symmetric", ns: ns, fields: fields)
    }
    run("bfv.encrypt.public") {
        let ns = measure { blackHole(try? asymmetric.encrypt(pt, rng: &rng)) }
        return BenchResult(name: "bfv.encrypt.public", ns: ns, fields: fields)
    }
    let ct = (try? symmetric.encrypt(pt, rng: &rng))!
    run("bfv.decrypt") {
        let dec = Decryptor(secretKey: sk)
        let ns = measure { blackHole(try? dec.decrypt(ct)) }
        return BenchResult(name: "bfv.decrypt", ns: ns, fields: fields)
    }
    // sum_k ct_k * pt_k over `terms` pairs; ns per coefficient multiply-accumulate (each
    // ciphertext polynomial coefficient in every limb counts once). `bfv.mulacc` reuses 8 query
    // ciphertexts against distinct plaintexts, as the FaceMatch server does (its B query
    // ciphertexts meet every result group's plaintexts); `bfv.mulacc.distinct` streams 64
    // distinct ciphertexts (12 MB per call, bound by memory bandwidth).
    for (name, distinct) in [("bfv.mulacc", 8), ("bfv.mulacc.distinct", 64)] {
        run(name) {
            let terms = Int(options.values["terms"] ?? "64") ?? 64
            let pool = (0..<distinct).map { _ in (try? symmetric.encrypt(pt, rng: &rng))! }
            let cts = (0..<terms).map { pool[$0 % distinct] }
            let pts = (0..<terms).map { _ in (try? EvaluationPlaintext(pt))! }
            let ev = Evaluator(context: ctx)
            let perCall = Double(terms * 2 * params.degree * params.coefficientModuli.count)
            let ns = measure(opsPerCall: perCall) { blackHole(try? ev.multiplyAccumulate(cts, pts)) }
            return BenchResult(name: name, ns: ns, fields: fields + [("terms", "\(terms)"), ("distinctCiphertexts", "\(distinct)")])
        }
    }
    // FaceMatch's large preset (N = 8192, two 59-bit primes) with operands far above L3, as in a
    // sweep: 128 distinct query ciphertexts (33.5 MB) against the 128 distinct plaintexts of each
    // of `results` results (16.7 MB each), one call per result. ns per coefficient multiply-accumulate.
    // `.large` multiplies the ciphertexts and plaintexts as they are, `.packed` packed
    // coefficient-major (`PackedCiphertexts`, `PackedPlaintexts`: the sweep's path for cached results).
    for packed in [false, true] {
        let name = packed ? "bfv.mulacc.packed" : "bfv.mulacc.large"
        run(name) {
            let large = (try? BFVContext(Parameters.faceMatch8192))!
            let terms = max(1, Int(options.values["terms"] ?? "128") ?? 128)
            let results = max(1, Int(options.values["results"] ?? "8") ?? 8)
            let skl = SecretKey(context: large, rng: &rng)
            let ptl = (try? CoefficientEncoder(context: large).encode((0..<large.degree).map { Int64($0 % 255) - 127 }))!
            let cts = (0..<terms).map { _ in (try? Encryptor(secretKey: skl).encrypt(ptl, rng: &rng))! }
            let sets = (0..<results).map { _ in (0..<terms).map { _ in (try? EvaluationPlaintext(ptl))! } }
            let ev = Evaluator(context: large)
            let perCall = Double(results * terms * 2 * large.degree * large.parameters.coefficientModuli.count)
            let ns: Double
            var extra: [(String, String)] = []
            if packed {
                let clock = ContinuousClock()
                var packedBox: PackedCiphertexts?
                let packing = clock.measure { packedBox = try? PackedCiphertexts(cts, context: large) }
                let packedCts = packedBox!
                // Packing the query: once per query in the sweep.
                extra = [("packQueryMs", format(Double(packing.components.attoseconds) * 1e-15 + Double(packing.components.seconds) * 1e3))]
                let packedSets = sets.map { (try? PackedPlaintexts($0))! }
                ns = measure(opsPerCall: perCall) { for set in packedSets { blackHole(try? ev.multiplyAccumulate(packedCts, set)) } }
            } else {
                ns = measure(opsPerCall: perCall) { for set in sets { blackHole(try? ev.multiplyAccumulate(cts, set)) } }
            }
            return BenchResult(name: name, ns: ns, fields: [("N", "\(large.degree)"), ("limbs", "\(large.parameters.coefficientModuli.count)"),
                                                            ("terms", "\(terms)"), ("results", "\(results)")] + extra)
        }
    }
    run("bfv.mul") {
        let batching = (try? BFVContext(Parameters(degree: 4096, coefficientModuli: params.coefficientModuli, plaintextModulus: 65537)))!
        let skb = SecretKey(context: batching, rng: &rng)
        let rk = RelinearizationKey(secretKey: skb, rng: &rng)
        let encoder = (try? BatchEncoder(context: batching))!
        let x = (try? Encryptor(secretKey: skb).encrypt(encoder.encode([1, 2, 3]), rng: &rng))!
        let ev = Evaluator(context: batching)
        let ns = measure(minBatches: 5) { blackHole(try? ev.multiply(x, x, relinearizationKey: rk)) }
        return BenchResult(name: "bfv.mul", ns: ns, fields: fields + [("t", "65537")])
    }
}
