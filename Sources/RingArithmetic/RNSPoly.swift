/// Whether a polynomial holds coefficients or NTT evaluations.
public enum PolyForm: Sendable, Equatable {
    /// Coefficients `a_0 ... a_{N-1}` of `a(X)`, each limb reduced modulo its prime.
    case coefficient
    /// Evaluations at the odd powers of `psi` (bit-reversed order), per limb.
    case evaluation
}

/// A polynomial of `R_q` in RNS form: `L` limbs of `N` residues in one contiguous buffer
/// (limb `i` occupies `i*N ..< (i+1)*N`), every residue in `[0, p_i)`.
///
/// Its `form` is checked by every operation: adding polynomials of different forms, or
/// multiplying outside the evaluation form, is a programming error and traps. Operations are
/// constant time in the coefficient values. Memory: `8 * L * N` bytes.
public struct RNSPoly: Sendable, Equatable {
    /// The ring.
    public let context: PolyContext
    /// Coefficient or evaluation form.
    public private(set) var form: PolyForm
    /// The residues, limb-major (`data[i*N + j]` is coefficient or slot `j` modulo `p_i`).
    @usableFromInline var data: [UInt64]

    /// The residues, limb-major: `residues[i*N + j]` is coefficient or slot `j` modulo `p_i`.
    public var residues: [UInt64] { data }

    /// The zero polynomial.
    public init(zeroIn context: PolyContext, form: PolyForm = .coefficient) {
        self.context = context
        self.form = form
        self.data = [UInt64](repeating: 0, count: context.limbCount * context.degree)
    }

    /// A polynomial from limb-major residues.
    /// - Throws: `RingError.lengthMismatch` unless there are `L*N` residues;
    ///   `RingError.modulusOutOfRange` if a residue is not below its prime.
    public init(context: PolyContext, residues: [UInt64], form: PolyForm) throws(RingError) {
        let n = context.degree
        guard residues.count == context.limbCount * n else {
            throw RingError.lengthMismatch(expected: context.limbCount * n, actual: residues.count)
        }
        for (i, m) in context.moduli.enumerated() {
            for j in 0..<n where residues[i * n + j] >= m.value { throw RingError.modulusOutOfRange(residues[i * n + j]) }
        }
        self.context = context
        self.form = form
        self.data = residues
    }

    /// A polynomial from limb-major residues that the caller (in this package) guarantees
    /// are `L*N` values each below its prime; not checked.
    package init(context: PolyContext, uncheckedResidues residues: [UInt64], form: PolyForm) {
        self.context = context
        self.form = form
        self.data = residues
    }

    /// A coefficient-form polynomial from signed integer coefficients (`|c| < 2^63`), reduced
    /// into every limb. Branch-free in the values (used for secrets and errors).
    /// - Throws: `RingError.lengthMismatch` unless there are at most `N` coefficients.
    public init(context: PolyContext, signedCoefficients c: [Int64]) throws(RingError) {
        guard c.count <= context.degree else {
            throw RingError.lengthMismatch(expected: context.degree, actual: c.count)
        }
        self.init(zeroIn: context)
        let n = context.degree
        data.withUnsafeMutableBufferPointer { buf in
            for (i, m) in context.moduli.enumerated() {
                for j in 0..<c.count { buf[i * n + j] = m.residue(c[j]) }
            }
        }
    }

    /// `N`.
    @inlinable public var degree: Int { context.degree }
    /// `L`.
    @inlinable public var limbCount: Int { context.limbCount }

    /// The residues of limb `i`.
    public func limb(_ i: Int) -> ArraySlice<UInt64> {
        data[i * degree ..< (i + 1) * degree]
    }

    /// Calls `body` with a mutable pointer to limb `i` (`N` residues).
    @inlinable
    public mutating func withLimb<R>(_ i: Int, _ body: (UnsafeMutablePointer<UInt64>) throws -> R) rethrows -> R {
        let n = degree
        return try data.withUnsafeMutableBufferPointer { try body($0.baseAddress! + i * n) }
    }

    // MARK: Form changes

    /// Relabels the residues as `form` without transforming them, for a caller in this package
    /// that transformed every limb itself through `withLimb` (fused encryption passes).
    package mutating func assumeForm(_ form: PolyForm) { self.form = form }

    /// Converts to evaluation form in place (no-op if already there). Cost: `L` forward NTTs.
    public mutating func forwardNTT() {
        guard form == .coefficient else { return }
        let n = degree
        let tables = context.ntt
        data.withUnsafeMutableBufferPointer { buf in
            for i in 0..<tables.count { tables[i].forward(buf.baseAddress! + i * n) }
        }
        form = .evaluation
    }

    /// Converts to coefficient form in place (no-op if already there). Cost: `L` inverse NTTs.
    public mutating func inverseNTT() {
        guard form == .evaluation else { return }
        let n = degree
        let tables = context.ntt
        data.withUnsafeMutableBufferPointer { buf in
            for i in 0..<tables.count { tables[i].inverse(buf.baseAddress! + i * n) }
        }
        form = .coefficient
    }

    /// This polynomial in evaluation form.
    public func inEvaluationForm() -> RNSPoly { var c = self; c.forwardNTT(); return c }
    /// This polynomial in coefficient form.
    public func inCoefficientForm() -> RNSPoly { var c = self; c.inverseNTT(); return c }

    // MARK: Arithmetic

    /// Applies `op` limb by limb to `self` and `other` (same ring and form), writing into `self`.
    @inlinable
    mutating func combine(_ other: RNSPoly, _ op: (Modulus, UInt64, UInt64) -> UInt64) {
        precondition(context == other.context, "polynomials from different rings")
        precondition(form == other.form, "polynomials in different forms")
        let n = degree
        let moduli = context.moduli
        data.withUnsafeMutableBufferPointer { dst in
            other.data.withUnsafeBufferPointer { src in
                for i in 0..<moduli.count {
                    let m = moduli[i]
                    let d = dst.baseAddress! + i * n
                    let s = src.baseAddress! + i * n
                    for j in 0..<n { d[j] = op(m, d[j], s[j]) }
                }
            }
        }
    }

    /// `self += other` (same ring and form). Cost: `L*N` modular additions.
    @inlinable
    public mutating func add(_ other: RNSPoly) { combine(other) { $0.add($1, $2) } }

    /// `self -= other` (same ring and form).
    @inlinable
    public mutating func subtract(_ other: RNSPoly) { combine(other) { $0.subtract($1, $2) } }

    /// `self *= other`, both in evaluation form. Cost: `L*N` Barrett multiplications.
    @inlinable
    public mutating func multiply(_ other: RNSPoly) {
        precondition(form == .evaluation, "multiply needs evaluation form")
        combine(other) { $0.multiply($1, $2) }
    }

    /// Shoup quotients of every residue (limb-major), for fast products with this polynomial
    /// as a fixed operand (a key). Cost: one 128-bit division per residue.
    package var shoupQuotients: [UInt64] {
        let n = degree
        return data.indices.map { context.moduli[$0 / n].shoupPrecompute(data[$0]) }
    }

    /// `self *= fixed` in evaluation form, with `fixed`'s Shoup quotients (`shoupQuotients`):
    /// three 64-bit multiplications per residue instead of a 128-bit reduction.
    package mutating func multiply(byFixed fixed: RNSPoly, quotients: [UInt64]) {
        precondition(form == .evaluation && fixed.form == .evaluation && context == fixed.context, "products in one ring, evaluation form")
        let n = degree
        let moduli = context.moduli
        data.withUnsafeMutableBufferPointer { dst in
            fixed.data.withUnsafeBufferPointer { w in
                quotients.withUnsafeBufferPointer { ws in
                    for i in 0..<moduli.count {
                        let m = moduli[i]
                        for j in i * n ..< (i + 1) * n { dst[j] = m.multiplyShoup(dst[j], w[j], ws[j]) }
                    }
                }
            }
        }
    }

    /// `self = -self`.
    public mutating func negate() {
        let n = degree
        let moduli = context.moduli
        data.withUnsafeMutableBufferPointer { buf in
            for i in 0..<moduli.count {
                for j in 0..<n { buf[i * n + j] = moduli[i].negate(buf[i * n + j]) }
            }
        }
    }

    /// `self *= c` for a scalar given by its residues (one per limb, each below its prime).
    public mutating func multiply(scalarResidues c: [UInt64]) {
        precondition(c.count == limbCount)
        let n = degree
        let moduli = context.moduli
        data.withUnsafeMutableBufferPointer { buf in
            for i in 0..<moduli.count {
                let m = moduli[i]
                let w = m.reduce(c[i])
                let ws = m.shoupPrecompute(w)
                for j in 0..<n { buf[i * n + j] = m.multiplyShoup(buf[i * n + j], w, ws) }
            }
        }
    }

    /// `self *= c` for a scalar `c` (any form).
    public mutating func multiply(scalar c: UInt64) {
        multiply(scalarResidues: context.moduli.map { $0.reduce(c) })
    }

    /// `self *= X^k` in coefficient form, negacyclically (`X^N = -1`); any integer `k`.
    public mutating func multiply(byMonomial k: Int) {
        precondition(form == .coefficient, "monomial multiply needs coefficient form")
        let n = degree
        let shift = ((k % (2 * n)) + 2 * n) % (2 * n)
        let moduli = context.moduli
        let old = data
        old.withUnsafeBufferPointer { src in
            data.withUnsafeMutableBufferPointer { dst in
                for i in 0..<moduli.count {
                    let m = moduli[i]
                    for j in 0..<n {
                        let target = j + shift
                        let wraps = (target / n) & 1 == 1
                        let v = src[i * n + j]
                        dst[i * n + target % n] = wraps ? m.negate(v) : v
                    }
                }
            }
        }
    }

    /// `lhs + rhs`.
    public static func + (lhs: RNSPoly, rhs: RNSPoly) -> RNSPoly { var r = lhs; r.add(rhs); return r }
    /// `lhs - rhs`.
    public static func - (lhs: RNSPoly, rhs: RNSPoly) -> RNSPoly { var r = lhs; r.subtract(rhs); return r }
    /// `lhs * rhs` (evaluation form).
    public static func * (lhs: RNSPoly, rhs: RNSPoly) -> RNSPoly { var r = lhs; r.multiply(rhs); return r }
    /// `-p`.
    public static prefix func - (p: RNSPoly) -> RNSPoly { var r = p; r.negate(); return r }

    // MARK: CRT

    /// Coefficient `j` as an integer in `[0, q)` (little-endian words). Coefficient form.
    public func composedCoefficient(_ j: Int) -> [UInt64] {
        let n = degree
        return context.crt.compose((0..<limbCount).map { data[$0 * n + j] })
    }

    /// All coefficients as integers in `[0, q)`, `q < 2^128` required (`L <= 2`).
    public func composedCoefficients128() -> [UInt128] {
        (0..<degree).map { j in context.crt.compose128((0..<limbCount).map { data[$0 * degree + j] }) }
    }
}

extension RNSPoly {
    /// The same polynomial in a ring whose moduli are a prefix of this one's (drops the last
    /// limbs; exact because each limb is independent).
    /// - Precondition: `context.moduli` is a prefix of `self.context.moduli`.
    public func restricted(to context: PolyContext) -> RNSPoly {
        precondition(context.degree == degree && Array(self.context.moduli.prefix(context.limbCount)) == context.moduli,
                     "target ring is not a prefix of this ring")
        var out = RNSPoly(zeroIn: context, form: form)
        out.data = Array(data.prefix(context.limbCount * degree))
        return out
    }
}
