import Testing
import FaceMatch

@Suite("shard assignment")
struct ShardAssignmentTests {
    @Test("id-hash is the first 8 bytes (little-endian) of SHA-256 of the id's 8 little-endian bytes")
    func idHashVectors() {
        // sha256sum of 8 zero bytes: af5570f5a1810b7a...; of 01 00 00 00 00 00 00 00: 7c9fa136d4413fa6...
        #expect(ShardAssignment.idHash(0) == 0x7a0b_81a1_f570_55af)
        #expect(ShardAssignment.idHash(1) == 0xa63f_41d4_36a1_9f7c)
        #expect(ShardAssignment.idHash.shard(position: 99, id: 1, shards: 7) == Int(UInt64(0xa63f_41d4_36a1_9f7c) % 7))
    }

    @Test("round-robin deals positions in turn, whatever the ids")
    func roundRobin() {
        #expect((0..<9).map { ShardAssignment.roundRobin.shard(position: $0, id: 1000 - UInt64($0), shards: 4) } == [0, 1, 2, 3, 0, 1, 2, 3, 0])
        #expect(ShardAssignment(rawValue: "id-hash") == .idHash && ShardAssignment(rawValue: "round-robin") == .roundRobin)
    }
}
