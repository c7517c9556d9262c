import BFV
import RingArithmetic

/// The last steps of one result, after the multiply-accumulate `sum_b Q_b * P_{r,b}`: subtract
/// `tau_hat` at the targets, add `Delta * M` with `M` uniform on all `N` coefficients (partial
/// sums elsewhere stay hidden), re-randomize with flooding `F`, switch to `2^(l+10)` and keep
/// `c0` at the targets; the server's shares are `-round(M_target / 2^(17-l)) mod 2^l`
/// (docs/DESIGN.md section 3). A single server and a cluster's front (for the results it
/// merges from several shards' partial sums) finish results the same way.
struct ResultMasking: Sendable {
    let parameters: MatchParameters
    let profile: MatchProfile
    let layout: Layout
    /// The flooding bound `F` of the layout (`Layout.floodingBound`).
    let flooding: UInt128

    /// Finishes `accumulated` (evaluation or coefficient form, level 0) for threshold
    /// `tauHat`; returns the switched result, the shares and the masks at the targets.
    func finish(_ accumulated: Ciphertext, tauHat: Int64, publicKey: PublicKey,
                rng: inout ChaChaDRBG) throws(FaceMatchError) -> (PowerOfTwoCiphertext, [UInt64], [UInt64]) {
        let context = Contexts.of(profile)
        let ev = Evaluator(context: context)
        let n = context.degree
        let t = context.plaintextModulus
        let tau = UInt64(tauHat)
        let targets = layout.targetCoefficients
        var masks = [UInt64](repeating: 0, count: n)
        for j in 0..<n { masks[j] = rng.next() & (t - 1) }
        var shifted = masks
        for j in targets { shifted[j] = (masks[j] + t - tau) % t }
        return try FaceMatchError.wrap { () throws(BFVError) in
            var acc = try ev.add(accumulated, plain: Plaintext(context: context, coefficients: shifted))
            acc = try ev.rerandomize(acc, publicKey: publicKey, flooding: flooding, rng: &rng)
            let ct = try ev.switchToPowerOfTwo(acc, bits: parameters.downloadBits).keepingCoefficients(targets)
            let shift = UInt64(MatchParameters.plaintextBits - parameters.shareBits)
            let modulus = UInt64(1) << UInt64(parameters.shareBits)
            let shares = targets.map { j -> UInt64 in
                let rounded = ((masks[j] + (1 << (shift - 1))) >> shift) & (modulus - 1)
                return (modulus - rounded) & (modulus - 1)
            }
            return (ct, shares, targets.map { masks[$0] })
        }
    }
}
