/// The G mixing function shared by BLAKE2s (RFC 7693) and BLAKE3: rotations by 16, 12, 8 and 7.
///
/// The SIMD forms mix one independent message per lane. Their rotations are shift pairs joined
/// by addition (the two halves are disjoint), which keeps the vector form on SSE2: it has no
/// vector rotate, and the `|` form is recognized as a rotate and scalarized.
@usableFromInline @inline(__always)
func blakeMix(_ a: inout SIMD4<UInt32>, _ b: inout SIMD4<UInt32>, _ c: inout SIMD4<UInt32>, _ d: inout SIMD4<UInt32>,
              _ x: SIMD4<UInt32>, _ y: SIMD4<UInt32>) {
    typealias V = SIMD4<UInt32>
    @inline(__always) func rotr(_ x: V, _ n: UInt32) -> V { (x &>> V(repeating: n)) &+ (x &<< V(repeating: 32 - n)) }
    a = a &+ b &+ x; d = rotr(d ^ a, 16)
    c = c &+ d; b = rotr(b ^ c, 12)
    a = a &+ b &+ y; d = rotr(d ^ a, 8)
    c = c &+ d; b = rotr(b ^ c, 7)
}

/// `blakeMix` on eight lanes (one AVX2 register per state word in a native build).
@usableFromInline @inline(__always)
func blakeMix(_ a: inout SIMD8<UInt32>, _ b: inout SIMD8<UInt32>, _ c: inout SIMD8<UInt32>, _ d: inout SIMD8<UInt32>,
              _ x: SIMD8<UInt32>, _ y: SIMD8<UInt32>) {
    typealias V = SIMD8<UInt32>
    @inline(__always) func rotr(_ x: V, _ n: UInt32) -> V { (x &>> V(repeating: n)) &+ (x &<< V(repeating: 32 - n)) }
    a = a &+ b &+ x; d = rotr(d ^ a, 16)
    c = c &+ d; b = rotr(b ^ c, 12)
    a = a &+ b &+ y; d = rotr(d ^ a, 8)
    c = c &+ d; b = rotr(b ^ c, 7)
}

/// `blakeMix` on words `a, b, c, d` of a scalar state (the reference compressions).
func blakeMix(_ v: inout [UInt32], _ a: Int, _ b: Int, _ c: Int, _ d: Int, _ x: UInt32, _ y: UInt32) {
    @inline(__always) func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
    v[a] = v[a] &+ v[b] &+ x; v[d] = rotr(v[d] ^ v[a], 16)
    v[c] = v[c] &+ v[d]; v[b] = rotr(v[b] ^ v[c], 12)
    v[a] = v[a] &+ v[b] &+ y; v[d] = rotr(v[d] ^ v[a], 8)
    v[c] = v[c] &+ v[d]; v[b] = rotr(v[b] ^ v[c], 7)
}
