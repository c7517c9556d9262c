import Dispatch
import Testing
import BFV
import FaceMatch
import RingArithmetic

@Suite("Flooding's noise bound E")
struct NoiseBoundTests {
    /// The largest |coefficient| of `a - b`.
    func maxDifference(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) } }

    @Test("E bounds the verifier's measured noise over 10^4 re-randomized results, and the re-randomization's own -e*u + e2*s stays within 42 N")
    func measured() throws {
        let d = 64
        let parameters = try MatchParameters(dimension: d, threshold: 0.5)
        let layout = try Layout(blocks: 1, dimension: d, degree: MatchProfile.small.parameters.degree)
        let context = try BFVContext(MatchProfile.small.parameters)
        let n = context.degree, k = layout.vectorsPerResult, db = layout.blockLength
        var rng = testRNG(520)
        let sk = SecretKey(context: context, rng: &rng)
        let pk = PublicKey(secretKey: sk, rng: &rng)
        let encoder = CoefficientEncoder(context: context)
        let ev = Evaluator(context: context), dec = Decryptor(secretKey: sk)
        // Legal templates of the largest L1 norm: every entry +-16 (norm 128 <= 132), random signs.
        func template() -> [Int64] { (0..<d).map { _ in rng.next() & 1 == 0 ? 16 : -16 } }
        var p = [Int64](repeating: 0, count: n)
        for slot in 0..<k {
            let y = template()
            for j in 0..<db { p[slot * db + db - 1 - j] = y[j] }
        }
        let plain = try EvaluationPlaintext(encoder.encode(p))
        let e = Double(layout.noiseBound(parameters))
        let rerandomization = Double(Flooding.rerandomizationNoise(degree: n))
        #expect(rerandomization == Double(42 * n))
        let rounds = 10, perRound = 1000
        var worst = 0.0, worstRerandomization = 0.0
        for _ in 0..<rounds {
            // A fresh query, its product with the templates, a mask on every coefficient.
            let query = try Encryptor(secretKey: sk).encrypt(encoder.encode(template()), rng: &rng)
            let mask = try Plaintext(context: context, coefficients: (0..<n).map { _ in rng.next() & (context.plaintextModulus - 1) })
            let acc = try ev.add(ev.multiplyAccumulate([query], [plain]), plain: mask)
            let message = try dec.decrypt(acc)
            let before = try dec.noise(acc, message: message)
            worst = max(worst, before.map(abs).max()!)
            // Flooding bound 1: the measured noise is everything else the verifier would see.
            let seeds = (0..<2).map { _ in rng.nextSeed() }
            let results = Box<[(Double, Double)]>()
            results.value = [(0, 0), (0, 0)]
            let lock = DispatchSemaphore(value: 1)
            DispatchQueue.concurrentPerform(iterations: 2) { half in
                var g = ChaChaDRBG(seed: seeds[half])
                var local = (0.0, 0.0)
                for _ in 0..<perRound / 2 {
                    let flooded = try! ev.rerandomize(acc, publicKey: pk, flooding: 1, rng: &g)
                    let after = try! dec.noise(flooded, message: message)
                    local.0 = max(local.0, after.map(abs).max()!)
                    local.1 = max(local.1, maxDifference(after, before))
                }
                lock.wait(); results.value![half] = local; lock.signal()
            }
            for (a, b) in results.value! {
                worst = max(worst, a)
                worstRerandomization = max(worstRerandomization, b)
            }
        }
        print("noise bound: E = \(e), measured max \(worst) over \(rounds * perRound) flooded decryptions; re-randomization term max \(worstRerandomization) (bound \(rerandomization) + 1)")
        #expect(worst <= e)
        #expect(worstRerandomization <= rerandomization + 1)
        // The term is real: well above the flood of 1 the test asked for.
        #expect(worstRerandomization > 100)
    }
}
