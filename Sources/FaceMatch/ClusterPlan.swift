/// How a front spreads one query over its shards (docs/DESIGN.md, "Sharded serving").
///
/// Shard `s` holds `n_s` rows. It evaluates `floor(n_s / K)` full results on its own, in the
/// cluster's layout. Its `n_s mod K` leftover rows go to the merged results at the end: the
/// leftovers of all shards, in shard order, fill `ceil(sum (n_s mod K) / K)` results slot by
/// slot, so a shard's leftovers form at most two pieces (one result boundary). Each shard
/// returns the unmasked sum of each piece; the front adds the pieces of a merged result, which
/// gives exactly the sum a single server computes for those rows, then masks, floods and
/// switches it. The verifier receives `sum floor(n_s/K) + ceil(sum(n_s mod K)/K) = ceil(n/K)`
/// results, in frames of 16: the same sequence as from one server of `n` templates.
public struct ClusterPlan: Sendable, Equatable {
    /// Rows per shard, in the order of the front's `--shards`.
    public let counts: [Int]
    /// Templates in all shards, `n`.
    public let templates: Int
    /// The BFV profile and layout, chosen from `n` as a single server would.
    public let profile: MatchProfile
    public let layout: Layout
    /// Full results of each shard.
    public let fullResults: [Int]
    /// Results merged from the shards' leftovers.
    public let mergedResults: Int
    /// Each shard's pieces with the merged result each belongs to.
    let pieces: [[(piece: ShardPiece, merged: Int)]]

    /// The plan for shards holding `counts` rows of dimension `dimension`.
    /// - Throws: `.invalidParameter` when no layout fits, `.databaseUnavailable` when the total
    ///   exceeds one key's target budget.
    public init(counts: [Int], parameters: MatchParameters) throws(FaceMatchError) {
        let n = counts.reduce(0, +)
        guard n > 0, counts.allSatisfy({ $0 > 0 }) else { throw FaceMatchError.databaseUnavailable("a shard holds no templates") }
        let profile = MatchServer.profile(templates: n)
        let layout = try Layout.optimal(n: n, parameters: parameters, profile: profile)
        guard layout.resultCount(n) * layout.vectorsPerResult <= profile.targetBudget else {
            throw FaceMatchError.databaseUnavailable("database too large for one key's target budget (\(profile.targetBudget))")
        }
        let k = layout.vectorsPerResult
        var position = 0
        var pieces: [[(piece: ShardPiece, merged: Int)]] = []
        for count in counts {
            var mine: [(piece: ShardPiece, merged: Int)] = []
            var row = count / k * k
            while row < count {
                let slot = position % k
                let take = min(count - row, k - slot)
                mine.append((ShardPiece(firstRow: row, rows: take, slot: slot), position / k))
                row += take
                position += take
            }
            pieces.append(mine)
        }
        self.counts = counts
        self.templates = n
        self.profile = profile
        self.layout = layout
        self.fullResults = counts.map { $0 / k }
        self.mergedResults = (position + k - 1) / k
        self.pieces = pieces
    }

    public static func == (a: ClusterPlan, b: ClusterPlan) -> Bool {
        a.counts == b.counts && a.layout == b.layout && a.profile == b.profile
    }
}
