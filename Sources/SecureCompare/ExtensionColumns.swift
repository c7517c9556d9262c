import RingArithmetic

/// The column work shared by the IKNP and KK13 extensions, parallel over columns.
enum ExtensionColumns {
    /// Sender: `q_i = G(k_i^{s_i}) ^ s_i * u_i` on words `range` of every column `i` of the
    /// received matrix `u` (`words` little-endian words per column): the generators' next
    /// `range.count` words, column `i` written at `out[i * stride ..< i * stride + range.count]`.
    static func sender(_ generators: inout [ChaChaDRBG], secretBits: [Bool], u: [UInt8], words: Int,
                       range: Range<Int>, into out: UnsafeMutablePointer<UInt64>, stride: Int) {
        let count = range.count
        u.withUnsafeBytes { ub in
            generators.withUnsafeMutableBufferPointer { gb in
                let q = SharedPointer(out), gens = SharedPointer(gb.baseAddress!)
                let input = SharedRawPointer(UnsafeMutableRawPointer(mutating: ub.baseAddress!))
                parallelRanges(gb.count, minimumPerTask: 16) { columnRange in
                    for i in columnRange {
                        let column = q.pointer + i * stride
                        gens.pointer[i].fill(words: column, count: count)
                        guard secretBits[i] else { continue }
                        for w in 0..<count {
                            column[w] ^= UInt64(littleEndian: input.pointer.loadUnaligned(fromByteOffset: (i * words + range.lowerBound + w) * 8, as: UInt64.self))
                        }
                    }
                }
            }
        }
    }

    /// Receiver: `t_i = G(k_i^0)` and `u_i = t_i ^ G(k_i^1) ^ c_i` on words `range` of every
    /// column, where column `i` of the choice matrix is `choices[(i % period) * words ..<]`.
    /// Writes word `w` of `t_i` at `t[i * stride + w - range.lowerBound]` and returns that part
    /// of `u` (column `i` at words `i * range.count ..<`).
    static func receiver(_ g0: inout [ChaChaDRBG], _ g1: inout [ChaChaDRBG], words: Int, range: Range<Int>,
                         t: UnsafeMutablePointer<UInt64>, stride: Int,
                         choices: UnsafePointer<UInt64>, period: Int) -> [UInt8] {
        let columns = g0.count, count = range.count
        var u = [UInt8](unsafeUninitializedCapacity: columns * count * 8) { _, n in n = columns * count * 8 }
        u.withUnsafeMutableBytes { ub in
            g0.withUnsafeMutableBufferPointer { b0 in
                g1.withUnsafeMutableBufferPointer { b1 in
                    let out = SharedPointer(t), message = SharedRawPointer(ub.baseAddress!)
                    let gens0 = SharedPointer(b0.baseAddress!), gens1 = SharedPointer(b1.baseAddress!)
                    let choice = SharedPointer(UnsafeMutablePointer(mutating: choices))
                    parallelRanges(columns, minimumPerTask: 16) { columnRange in
                        var other = [UInt64](repeating: 0, count: count)
                        other.withUnsafeMutableBufferPointer { g in
                            for i in columnRange {
                                let column = out.pointer + i * stride
                                let c = choice.pointer + (i % period) * words + range.lowerBound
                                gens0.pointer[i].fill(words: column, count: count)
                                gens1.pointer[i].fill(words: g.baseAddress!, count: count)
                                for w in 0..<count {
                                    message.pointer.storeBytes(of: (column[w] ^ g[w] ^ c[w]).littleEndian,
                                                               toByteOffset: (i * count + w) * 8, as: UInt64.self)
                                }
                            }
                        }
                    }
                }
            }
        }
        return u
    }
}
