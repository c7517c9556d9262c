import RingArithmetic

/// The column work shared by the IKNP and KK13 extensions, parallel over columns.
enum ExtensionColumns {
    /// Sender: `q_i = G(k_i^{s_i}) ^ s_i * u_i` for every column `i` of the received matrix `u`
    /// (`words` little-endian words per column). Returns the columns flat (column-major) and
    /// advances the generators.
    static func sender(_ generators: inout [ChaChaDRBG], secretBits: [Bool], u: [UInt8], words: Int) -> [UInt64] {
        let columns = generators.count
        // Every element is written below: skip zero-filling the (large) buffers.
        var out = [UInt64](unsafeUninitializedCapacity: columns * words) { _, n in n = columns * words }
        u.withUnsafeBytes { ub in
            out.withUnsafeMutableBufferPointer { ob in
                generators.withUnsafeMutableBufferPointer { gb in
                    let q = SharedPointer(ob.baseAddress!), gens = SharedPointer(gb.baseAddress!)
                    let input = SharedRawPointer(UnsafeMutableRawPointer(mutating: ub.baseAddress!))
                    parallelRanges(columns, minimumPerTask: 16) { range in
                        for i in range {
                            let column = q.pointer + i * words
                            gens.pointer[i].fill(words: column, count: words)
                            guard secretBits[i] else { continue }
                            for w in 0..<words {
                                column[w] ^= UInt64(littleEndian: input.pointer.loadUnaligned(fromByteOffset: (i * words + w) * 8, as: UInt64.self))
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Receiver: `t_i = G(k_i^0)` and `u_i = t_i ^ G(k_i^1) ^ choice(i, w)` for every column.
    /// Returns the `t` columns flat (column-major) and the message `u`.
    static func receiver(_ g0: inout [ChaChaDRBG], _ g1: inout [ChaChaDRBG], words: Int,
                         choice: (Int, Int) -> UInt64) -> (t: [UInt64], u: [UInt8]) {
        let columns = g0.count
        var t = [UInt64](unsafeUninitializedCapacity: columns * words) { _, n in n = columns * words }
        var u = [UInt8](unsafeUninitializedCapacity: columns * words * 8) { _, n in n = columns * words * 8 }
        withoutActuallyEscaping(choice) { choice in
            let choose = SendableChoice(choice: choice)
            u.withUnsafeMutableBytes { ub in
                t.withUnsafeMutableBufferPointer { tb in
                    g0.withUnsafeMutableBufferPointer { b0 in
                        g1.withUnsafeMutableBufferPointer { b1 in
                            let out = SharedPointer(tb.baseAddress!), message = SharedRawPointer(ub.baseAddress!)
                            let gens0 = SharedPointer(b0.baseAddress!), gens1 = SharedPointer(b1.baseAddress!)
                            parallelRanges(columns, minimumPerTask: 16) { range in
                                var other = [UInt64](repeating: 0, count: words)
                                other.withUnsafeMutableBufferPointer { g in
                                    for i in range {
                                        let column = out.pointer + i * words
                                        gens0.pointer[i].fill(words: column, count: words)
                                        gens1.pointer[i].fill(words: g.baseAddress!, count: words)
                                        for w in 0..<words {
                                            message.pointer.storeBytes(of: (column[w] ^ g[w] ^ choose.choice(i, w)).littleEndian,
                                                                       toByteOffset: (i * words + w) * 8, as: UInt64.self)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (t, u)
    }
}

struct SendableChoice: @unchecked Sendable {
    let choice: (Int, Int) -> UInt64
}
