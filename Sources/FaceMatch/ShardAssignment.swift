import SecureCompare

/// How `DatabaseSplit` deals the live rows of a database to `K` shard files.
public enum ShardAssignment: String, Sendable, CaseIterable {
    /// Row `p` (0-based among the live rows, in file order) goes to shard `p mod K`: the shards'
    /// row counts differ by at most 1.
    case roundRobin = "round-robin"
    /// A row goes to shard `idHash(id) mod K`, whatever else the file holds: the same id lands
    /// in the same shard in every split into `K` shards (counts are balanced only on average).
    case idHash = "id-hash"

    /// The shard, in `0 ..< shards`, of the live row at `position` (0-based, file order) with `id`.
    /// - Precondition: `shards >= 1` (callers check the range first).
    public func shard(position: Int, id: UInt64, shards: Int) -> Int {
        switch self {
        case .roundRobin: return position % shards
        case .idHash: return Int(ShardAssignment.idHash(id) % UInt64(shards))
        }
    }

    /// The fixed hash behind `.idHash`: the first 8 bytes of SHA-256 (FIPS 180-4) of the id's
    /// 8 little-endian bytes, read as a little-endian integer. Fixed so that a split is
    /// reproducible on any machine and by any other tool.
    public static func idHash(_ id: UInt64) -> UInt64 {
        DatabaseFormat.readLE(SHA256.hash(DatabaseFormat.le(id, 8)).prefix(8))
    }
}
