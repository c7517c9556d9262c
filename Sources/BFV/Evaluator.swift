import RingArithmetic

/// Homomorphic operations on ciphertexts of one parameter set. Stateless; every method checks
/// that its operands share parameters and level and throws `BFVError` otherwise.
public struct Evaluator: Sendable {
    /// The parameters.
    public let context: BFVContext

    /// An evaluator for `context`.
    public init(context: BFVContext) { self.context = context }

    func check(_ cts: Ciphertext...) throws(BFVError) {
        for c in cts where c.context !== context { throw BFVError.parameterMismatch }
        if let first = cts.first, cts.contains(where: { $0.level != first.level }) {
            throw BFVError.unsupportedOperation("operands are at different levels")
        }
    }

    // MARK: Linear operations

    /// `a + b` (sizes may differ; the shorter is padded with zeros). Cost: `size*L*N` additions.
    public func add(_ a: Ciphertext, _ b: Ciphertext) throws(BFVError) -> Ciphertext {
        try check(a, b)
        var (x, y) = (a, b)
        if x.size < y.size { swap(&x, &y) }
        if y.form != x.form { x.form == .evaluation ? y.toEvaluationForm() : y.toCoefficientForm() }
        for i in 0..<y.size { x.polys[i].add(y.polys[i]) }
        x.seed = nil
        return x
    }

    /// `-a`.
    public func negate(_ a: Ciphertext) throws(BFVError) -> Ciphertext {
        try check(a)
        var x = a
        for i in x.polys.indices { x.polys[i].negate() }
        x.seed = nil
        return x
    }

    /// `a - b`.
    public func subtract(_ a: Ciphertext, _ b: Ciphertext) throws(BFVError) -> Ciphertext {
        try add(a, try negate(b))
    }

    /// `ct + m` for a plaintext: adds `Delta*m` to `c0`. Cost: one scaling and `L` NTTs in
    /// evaluation form.
    public func add(_ ct: Ciphertext, plain: Plaintext) throws(BFVError) -> Ciphertext {
        try combine(ct, plain) { $0.add($1) }
    }

    /// `ct - m` for a plaintext.
    public func subtract(_ ct: Ciphertext, plain: Plaintext) throws(BFVError) -> Ciphertext {
        try combine(ct, plain) { $0.subtract($1) }
    }

    /// Applies `op(c0, Delta*m)` with `Delta*m` in the ciphertext's form and level.
    func combine(_ ct: Ciphertext, _ plain: Plaintext, _ op: (inout RNSPoly, RNSPoly) -> Void) throws(BFVError) -> Ciphertext {
        try check(ct)
        guard plain.context === context else { throw BFVError.parameterMismatch }
        var dm = context.scaled(plain.coefficients, level: ct.level)
        if ct.form == .evaluation { dm.forwardNTT() }
        var x = ct
        op(&x.polys[0], dm)
        return x
    }

    /// `ct * m` with a prepared plaintext; the result is in evaluation form. Noise grows by about
    /// `|m|_1` (centered coefficients) or `N*t/2` (batched). Cost: `size*L*N` multiplications
    /// (plus `size*L` NTTs if `ct` is in coefficient form).
    public func multiply(_ ct: Ciphertext, plain: EvaluationPlaintext) throws(BFVError) -> Ciphertext {
        try check(ct)
        guard plain.level == ct.level, plain.poly.context == context.levels[ct.level].ring else {
            throw BFVError.parameterMismatch
        }
        var x = ct
        x.toEvaluationForm()
        for i in x.polys.indices { x.polys[i].multiply(plain.poly) }
        x.seed = nil
        return x
    }

    /// `sum_k cts[k] * plains[k]` in evaluation form with lazy reduction (products accumulate in
    /// 128 bits, reduced once per tile). All ciphertexts must have the same size and level.
    /// Cost per term: `size*L*N` 64x64-bit multiplications, no reductions.
    /// - Throws: `BFVError.invalidValue` for empty or unequal inputs.
    public func multiplyAccumulate(_ cts: [Ciphertext], _ plains: [EvaluationPlaintext]) throws(BFVError) -> Ciphertext {
        guard !cts.isEmpty, cts.count == plains.count else {
            throw BFVError.invalidValue("need as many plaintexts as ciphertexts, at least one")
        }
        let size = cts[0].size
        let level = cts[0].level
        var rows = [[RNSPoly]](repeating: [], count: size)
        for c in cts {
            try check(c)
            guard c.size == size, c.level == level else { throw BFVError.invalidValue("ciphertexts differ in size or level") }
            var e = c
            e.toEvaluationForm()
            for i in 0..<size { rows[i].append(e.polys[i]) }
        }
        for p in plains where p.level != level || p.poly.context != context.levels[level].ring {
            throw BFVError.parameterMismatch
        }
        let polys = RNSPoly.dotProducts(rows, plains.map(\.poly))
        return Ciphertext(context: context, polys: polys)
    }

    /// `ct * X^k` (negacyclic: `X^N = -1`), any integer `k`. Result in coefficient form.
    /// Cost: a permutation with sign flips (plus NTTs if `ct` is in evaluation form).
    public func multiply(_ ct: Ciphertext, monomialDegree k: Int) throws(BFVError) -> Ciphertext {
        try check(ct)
        var x = ct
        x.toCoefficientForm()
        for i in x.polys.indices { x.polys[i].multiply(byMonomial: k) }
        x.seed = nil
        return x
    }

    // MARK: Circuit privacy

    /// Re-randomizes `ct` by adding a fresh public-key encryption of zero whose `c0` noise is
    /// uniform in `[-flooding, flooding]` (smudging). With `flooding >= 2^40 * E * count`, where
    /// `E` bounds `ct`'s noise plus the re-randomization's own `-e*u + e2*s`
    /// (`Flooding.rerandomizationNoise`) and `count` the coefficients the key owner will see, the
    /// result is statistically (2^-40) independent of how `ct` was computed. Level 0 only.
    /// `rng` must never be replayed from a copy: two re-randomizations with equal generator
    /// states add the same flood, and their difference cancels it.
    ///
    /// The result is in coefficient form, ready for `switchToPowerOfTwo(_:bits:)` or
    /// serialization: the errors are added after the one inverse transform. Cost: one forward
    /// and two inverse NTTs per limb, two products, `N` flooding draws.
    /// - Throws: `BFVError.unsupportedOperation` below level 0 or for size 3;
    ///   `BFVError.invalidValue` unless `1 <= flooding < 2^126`.
    public func rerandomize(_ ct: Ciphertext, publicKey: PublicKey, flooding: UInt128, rng: inout ChaChaDRBG) throws(BFVError) -> Ciphertext {
        try check(ct)
        guard ct.level == 0, ct.size == 2 else { throw BFVError.unsupportedOperation("re-randomize a size-2 ciphertext at level 0") }
        guard publicKey.context === context else { throw BFVError.parameterMismatch }
        try Flooding.check(flooding)
        return Encryptor(publicKey: publicKey).addingFloodedZero(to: ct, publicKey, flooding: flooding, rng: &rng)
    }
}
