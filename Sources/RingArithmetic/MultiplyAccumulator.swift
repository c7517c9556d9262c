/// Lazy multiply-accumulate of many products in evaluation form: `sum_k a_k * b_k`.
///
/// Each product of residues is added into a 128-bit accumulator without reduction; a limb is
/// reduced only when one more term could overflow (after `floor((2^128-1)/(p-1)^2)` terms, at
/// least 16 for `p < 2^62`, about 2^28 for 50-bit primes). Cost per term and coefficient:
/// one 64x64->128 multiplication and a 128-bit addition. Memory: `16 * L * N` bytes.
public struct MultiplyAccumulator: Sendable {
    /// The ring.
    public let context: PolyContext
    @usableFromInline var sums: [UInt128]
    @usableFromInline var terms: Int = 0
    @usableFromInline let maxTerms: Int

    /// A zero accumulator for the ring.
    public init(context: PolyContext) {
        self.context = context
        sums = [UInt128](repeating: 0, count: context.limbCount * context.degree)
        let largest = context.moduli.map(\.value).max()! - 1
        let square = UInt128(largest) * UInt128(largest)
        maxTerms = Int(min(UInt128(Int.max), UInt128.max / max(square, 1)))
    }

    /// Adds `a * b` coefficient-wise; both in evaluation form (or both coefficient form for a
    /// coefficient-wise product) in this ring.
    @inlinable
    public mutating func add(_ a: RNSPoly, times b: RNSPoly) {
        precondition(a.context == context && b.context == context, "polynomials from different rings")
        precondition(a.form == .evaluation && b.form == .evaluation, "multiply-accumulate needs evaluation form")
        if terms == maxTerms { fold() }
        let count = sums.count
        sums.withUnsafeMutableBufferPointer { acc in
            a.data.withUnsafeBufferPointer { x in
                b.data.withUnsafeBufferPointer { y in
                    MultiplyAccumulator.accumulate(acc.baseAddress!, x.baseAddress!, y.baseAddress!, count)
                }
            }
        }
        terms += 1
    }

    /// `acc[i] += x[i] * y[i]` for `i < count`, without reduction.
    @inlinable @inline(__always)
    public static func accumulate(
        _ acc: UnsafeMutablePointer<UInt128>, _ x: UnsafePointer<UInt64>, _ y: UnsafePointer<UInt64>, _ count: Int
    ) {
        for i in 0..<count {
            acc[i] &+= UInt128(x[i]) &* UInt128(y[i])
        }
    }

    /// Reduces every sum modulo its prime (keeps the value, resets the overflow budget).
    @usableFromInline
    mutating func fold() {
        let n = context.degree
        let moduli = context.moduli
        sums.withUnsafeMutableBufferPointer { acc in
            for i in 0..<moduli.count {
                for j in 0..<n { acc[i * n + j] = UInt128(moduli[i].reduce(acc[i * n + j])) }
            }
        }
        terms = 1
    }

    /// The reduced sum as a polynomial in evaluation form. Cost: `L*N` Barrett reductions.
    public func result() -> RNSPoly {
        var out = RNSPoly(zeroIn: context, form: .evaluation)
        let n = context.degree
        let moduli = context.moduli
        sums.withUnsafeBufferPointer { acc in
            out.data.withUnsafeMutableBufferPointer { dst in
                for i in 0..<moduli.count {
                    for j in 0..<n { dst[i * n + j] = moduli[i].reduce(acc[i * n + j]) }
                }
            }
        }
        return out
    }

    /// Resets to zero, keeping the storage.
    public mutating func reset() {
        for i in sums.indices { sums[i] = 0 }
        terms = 0
    }
}
