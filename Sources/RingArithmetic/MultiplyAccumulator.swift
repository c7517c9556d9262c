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

    /// Adds `sum_k xs[k] * ys[k]` coefficient-wise (all in evaluation form in this ring).
    /// Terms are taken in groups of up to eight and, within a group, four products are summed in
    /// registers per pass, so the accumulator is read and written once per four products.
    /// Measured here it is about as fast as calling `add(_:times:)` per pair (the loop is bound
    /// by the 64x64->128 multiplications, not by accumulator traffic).
    public mutating func add(_ xs: [RNSPoly], times ys: [RNSPoly]) {
        precondition(xs.count == ys.count, "as many left as right operands")
        for k in 0..<xs.count {
            precondition(xs[k].context == context && ys[k].context == context, "polynomials from different rings")
            precondition(xs[k].form == .evaluation && ys[k].form == .evaluation, "multiply-accumulate needs evaluation form")
        }
        let chunk = 8
        var start = 0
        let count = sums.count
        while start < xs.count {
            let width = min(chunk, xs.count - start, maxTerms - 1)
            if terms + width > maxTerms { fold() }
            withPointers(xs[start ..< start + width]) { xp in
                withPointers(ys[start ..< start + width]) { yp in
                    sums.withUnsafeMutableBufferPointer { acc in
                        MultiplyAccumulator.accumulate(acc.baseAddress!, xp, yp, width, count)
                    }
                }
            }
            terms += width
            start += width
        }
    }

    /// `acc[i] += sum_{k < width} x[k][i] * y[k][i]` for `i < count`, without reduction.
    @inlinable
    static func accumulate(
        _ acc: UnsafeMutablePointer<UInt128>, _ x: [UnsafePointer<UInt64>], _ y: [UnsafePointer<UInt64>],
        _ width: Int, _ count: Int
    ) {
        var k = 0
        // Four products per pass keep the pointers in registers and halve accumulator traffic.
        while k + 4 <= width {
            let (x0, x1, x2, x3) = (x[k], x[k + 1], x[k + 2], x[k + 3])
            let (y0, y1, y2, y3) = (y[k], y[k + 1], y[k + 2], y[k + 3])
            for i in 0..<count {
                let a = UInt128(x0[i]) &* UInt128(y0[i]) &+ UInt128(x1[i]) &* UInt128(y1[i])
                let b = UInt128(x2[i]) &* UInt128(y2[i]) &+ UInt128(x3[i]) &* UInt128(y3[i])
                acc[i] &+= a &+ b
            }
            k += 4
        }
        while k < width {
            accumulate(acc, x[k], y[k], count)
            k += 1
        }
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

/// Calls `body` with base pointers of every polynomial's residues (valid only inside `body`).
@usableFromInline
func withPointers<R>(_ polys: ArraySlice<RNSPoly>, _ body: ([UnsafePointer<UInt64>]) -> R) -> R {
    var pointers: [UnsafePointer<UInt64>] = []
    pointers.reserveCapacity(polys.count)
    func recurse(_ index: Int) -> R {
        if index == polys.endIndex { return body(pointers) }
        return polys[index].data.withUnsafeBufferPointer { buf in
            pointers.append(buf.baseAddress!)
            return recurse(index + 1)
        }
    }
    return recurse(polys.startIndex)
}
