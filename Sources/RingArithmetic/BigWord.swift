/// Minimal multi-word arithmetic on little-endian `UInt64` words (public values only).
public enum BigWord {
    /// `a * b` for a multi-word `a` and a word `b`.
    public static func multiply(_ a: [UInt64], _ b: UInt64) -> [UInt64] {
        var out = [UInt64](repeating: 0, count: a.count + 1)
        var carry: UInt64 = 0
        for i in 0..<a.count {
            let m = a[i].multipliedFullWidth(by: b)
            let (s, o) = m.low.addingReportingOverflow(carry)
            out[i] = s
            carry = m.high &+ (o ? 1 : 0)
        }
        out[a.count] = carry
        return out
    }

    /// `a mod m` for a multi-word `a`.
    public static func remainder(_ a: [UInt64], _ m: Modulus) -> UInt64 {
        var r: UInt64 = 0
        for w in a.reversed() { r = m.reduce(high: r, low: w) }
        return r
    }

    /// `a mod m` for a multi-word `a` and any nonzero word `m`.
    public static func remainder(_ a: [UInt64], word m: UInt64) -> UInt64 {
        var r: UInt64 = 0
        for w in a.reversed() { r = m.dividingFullWidth((r, w)).remainder }
        return r
    }

    /// Compares two multi-word integers (any lengths): -1, 0 or 1.
    public static func compare(_ a: [UInt64], _ b: [UInt64]) -> Int {
        let n = max(a.count, b.count)
        for i in stride(from: n - 1, through: 0, by: -1) {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            if x != y { return x < y ? -1 : 1 }
        }
        return 0
    }

    /// `a - b` for `a >= b`, with the length of `a`.
    public static func subtract(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        var out = a
        subtractInPlace(&out, b)
        return out
    }

    /// `a -= b` modulo `2^(64 * a.count)`.
    @inlinable
    static func subtractInPlace(_ a: inout [UInt64], _ b: [UInt64]) {
        var borrow: UInt64 = 0
        for i in 0..<a.count {
            let y = i < b.count ? b[i] : 0
            let (d1, o1) = a[i].subtractingReportingOverflow(y)
            let (d2, o2) = d1.subtractingReportingOverflow(borrow)
            a[i] = d2
            borrow = (o1 || o2) ? 1 : 0
        }
    }

    /// `a + b`, one word longer than the longer operand.
    public static func add(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        let n = max(a.count, b.count)
        var out = [UInt64](repeating: 0, count: n + 1)
        var carry: UInt64 = 0
        for i in 0..<n {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            let (s1, o1) = x.addingReportingOverflow(y)
            let (s2, o2) = s1.addingReportingOverflow(carry)
            out[i] = s2
            carry = (o1 || o2) ? 1 : 0
        }
        out[n] = carry
        return out
    }

    /// `a` padded or cut to `count` words (the cut words must be zero).
    public static func trimmed(_ a: [UInt64], count: Int) -> [UInt64] {
        if a.count >= count { return Array(a.prefix(count)) }
        return a + [UInt64](repeating: 0, count: count - a.count)
    }

    /// The number of significant bits.
    public static func bitLength(_ a: [UInt64]) -> Int {
        for i in stride(from: a.count - 1, through: 0, by: -1) where a[i] != 0 {
            return 64 * i + (64 - a[i].leadingZeroBitCount)
        }
        return 0
    }

    /// Bit `i` of `a`.
    @inlinable
    public static func bit(_ a: [UInt64], _ i: Int) -> Bool {
        let w = i >> 6
        return w < a.count && (a[w] >> UInt64(i & 63)) & 1 == 1
    }

    /// `a << 1` in place, keeping the length (the top bit must be free).
    @inlinable
    static func shiftLeftOne(_ a: inout [UInt64]) {
        var carry: UInt64 = 0
        for i in 0..<a.count {
            let next = a[i] >> 63
            a[i] = a[i] << 1 | carry
            carry = next
        }
    }

    /// `a - b` in place if `a >= b`; returns whether it subtracted. `b.count <= a.count`.
    @inlinable
    static func subtractIfAtLeast(_ a: inout [UInt64], _ b: [UInt64]) -> Bool {
        if compare(a, b) < 0 { return false }
        subtractInPlace(&a, b)
        return true
    }

    /// Quotient and remainder of `a / b` (`b != 0`) by shift-and-subtract long division.
    /// Cost: one multi-word subtraction per quotient bit. Variable time; public values only.
    public static func divide(_ a: [UInt64], by b: [UInt64]) -> (quotient: [UInt64], remainder: [UInt64]) {
        precondition(bitLength(b) > 0, "division by zero")
        let n = max(a.count, b.count) + 1
        var remainder = [UInt64](repeating: 0, count: n)
        var quotient = [UInt64](repeating: 0, count: a.count)
        for i in stride(from: bitLength(a) - 1, through: 0, by: -1) {
            shiftLeftOne(&remainder)
            if bit(a, i) { remainder[0] |= 1 }
            if subtractIfAtLeast(&remainder, b) { quotient[i >> 6] |= 1 << UInt64(i & 63) }
        }
        return (quotient, remainder)
    }

    /// `round(a / b)` with halves rounded up: `floor((2a + b) / 2b)`.
    public static func divideRounded(_ a: [UInt64], by b: [UInt64]) -> [UInt64] {
        let twoA = add(a, a)
        let num = add(twoA, b)
        let twoB = add(b, b)
        return divide(num, by: twoB).quotient
    }
}
