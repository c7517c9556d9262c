/// Splits one database file into shard files for sharded serving (`cryptomask serve --shard`
/// serves one each, a front fans queries out to all of them).
///
/// - Rows: every live row of the source (removed rows and their tombstones are not copied) goes
///   to exactly one shard, with its id, label and template unchanged, dealt by a
///   `ShardAssignment`; within a shard the rows keep their source order.
/// - Ids: every shard's next id is the source's, so ids stay unique across the shards at split
///   time. Rows enrolled later into one shard file get ids from that file alone (two shards may
///   then give the same id), so `db remove --id` acts on the one shard file it is given.
/// - Safety: the source's writer lock is held throughout (no enroll, remove or compaction
///   interleaves; serving it goes on). Each shard is written under a temporary name
///   (`shard-I.cmdb.split-PID`, mode 0600), synced, re-read with the validating reader and
///   checked against what was dealt (row count, next id and every record's checksum, in order);
///   only when all shards pass are they moved to their final names, each appearing complete or
///   not at all. A split that fails removes its temporary files; those of a split that was
///   killed are removed by the next split into the same directory.
/// - Memory: one streaming pass over the source (1 MiB chunks) and a write buffer per shard of
///   at most 4 MiB, 64 MiB over all shards at most (64 KiB each for 1024 shards): bounded
///   whatever the number of rows.
public enum DatabaseSplit {
    /// The largest number of shards a split writes.
    public static let maxShards = 1024

    /// The path of shard `index` (0-based) in `directory`: `directory/shard-INDEX.cmdb`.
    public static func shardPath(directory: String, index: Int) -> String {
        join(directory, "shard-\(index).cmdb")
    }

    /// One shard file written.
    public struct Shard: Sendable, Equatable {
        /// Its path, `directory/shard-I.cmdb`.
        public var path: String
        /// Live rows it holds.
        public var rows: Int
    }

    /// What a split did.
    public struct Report: Sendable, Equatable {
        /// The shard files, in shard order.
        public var shards: [Shard]
        /// Live rows of the source: the sum of the shards' rows.
        public var rows: Int
        /// Removed rows of the source (tombstones) that were not copied.
        public var removedSkipped: Int
        /// The next id of the source, given to every shard.
        public var nextID: UInt64
    }

    /// Splits the database at `path` into `shards` files `directory/shard-0.cmdb ...
    /// directory/shard-(shards-1).cmdb`, creating `directory` (mode 0700, parents too) if missing.
    /// - Parameters:
    ///   - shards: 1 ... 1024, and at most the source's live rows (an empty shard cannot serve).
    ///   - assignment: which shard each row goes to (default round-robin in file order).
    ///   - wait: wait for another writer of the source to finish instead of failing.
    ///   - progress: called with the live rows dealt so far, every 65,536 rows.
    /// - Throws: `.invalidParameter` for a shard count out of range, above the live rows, or
    ///   leaving some shard empty (id-hash); `.fileUnavailable` when the source is missing or any
    ///   `shard-N.cmdb` already exists in `directory` (naming them; nothing is written then) or
    ///   a write fails; `.databaseLocked` when another writer holds the source; `.databaseDamaged`
    ///   for a damaged source (run `repair` first) or a shard that does not re-read as written.
    ///   Nothing is left under a final name on any error.
    public static func split(path: String, shards: Int, directory: String, by assignment: ShardAssignment = .roundRobin,
                             wait: Bool = false, progress: (Int) -> Void = { _ in }) throws(FaceMatchError) -> Report {
        guard shards >= 1, shards <= maxShards else {
            throw FaceMatchError.invalidParameter("the number of shards must be 1 ... \(maxShards), got \(shards)")
        }
        guard PosixFile.exists(path) else { throw FaceMatchError.fileUnavailable("\(path): no such database") }
        // The source's writer lock for the whole split: the rows dealt are one commit's rows.
        let writer = try DatabaseWriter(path: path, wait: wait)
        defer { writer.close() }
        let source = try PosixFile(path: path, mode: .read)
        let header = try DatabaseFormat.readHeader(source)
        // The committed count includes tombstones: a quick bound before any work.
        guard shards <= header.count else { throw tooManyShards(shards, rows: "at most \(header.count)", path: path) }
        let created = !PosixFile.isDirectory(directory)
        try PosixFile.makeDirectory(directory)
        removeDeadSplitFiles(in: directory)
        let taken = existingShardFiles(in: directory)
        guard taken.isEmpty else {
            let names = taken.prefix(8).joined(separator: ", ") + (taken.count > 8 ? " and \(taken.count - 8) more" : "")
            throw FaceMatchError.fileUnavailable("\(names): shard file\(taken.count == 1 ? "" : "s") already in \(directory); nothing was written (move \(taken.count == 1 ? "it" : "them") away or choose another directory)")
        }
        var outputs: [ShardFileWriter] = []
        var published: [String] = []
        do throws(FaceMatchError) {
            let bufferLimit = min(4 << 20, max(64 << 10, (64 << 20) / shards))
            for i in 0..<shards {
                outputs.append(try ShardFileWriter(path: shardPath(directory: directory, index: i), dimension: header.dimension, bufferLimit: bufferLimit))
            }
            var dealt = 0
            // One validating pass (strict: a torn tail or an interrupted erasure is refused, as
            // for any writer) deals every live row as it is read.
            let (_, info, _, _) = try DatabaseFile.read(source, strict: true, keepTemplates: false) { (r) throws(FaceMatchError) in
                let s = assignment.shard(position: dealt, id: r.id, shards: shards)
                try outputs[s].add(id: r.id, label: r.labelBytes, template: r.template(dimension: header.dimension))
                dealt += 1
                if dealt % 65_536 == 0 { progress(dealt) }
            }
            guard shards <= info.rows else { throw tooManyShards(shards, rows: "\(info.rows)", path: path) }
            if let empty = outputs.firstIndex(where: { $0.rows == 0 }) {
                throw FaceMatchError.invalidParameter("dealing by \(assignment.rawValue) leaves shard \(empty) empty (an empty shard cannot serve); use fewer shards or round-robin")
            }
            for out in outputs { try out.finish(nextID: info.nextID) }
            for out in outputs { try out.verify(nextID: info.nextID) }
            let total = outputs.reduce(0) { $0 + $1.rows }
            guard total == info.rows, dealt == info.rows else {
                throw FaceMatchError.databaseDamaged("\(path): the shards hold \(total) rows, the source \(info.rows) live rows; nothing was published")
            }
            // Only a split still holding the source's lock publishes (see `DatabaseLock`).
            try writer.checkLock()
            for out in outputs {
                guard try out.publish() else {
                    throw FaceMatchError.fileUnavailable("\(out.path) appeared during the split; nothing was published")
                }
                published.append(out.path)
            }
            return Report(shards: outputs.map { Shard(path: $0.path, rows: $0.rows) }, rows: info.rows,
                          removedSkipped: info.removed, nextID: info.nextID)
        } catch {
            // All shards or none: a partial set would serve a partial database.
            for p in published { PosixFile.remove(p) }
            for out in outputs { out.discard() }
            if created { PosixFile.removeDirectory(directory) }
            throw error
        }
    }

    private static func tooManyShards(_ shards: Int, rows: String, path: String) -> FaceMatchError {
        FaceMatchError.invalidParameter("\(shards) shards for \(rows) live row\(rows == "1" ? "" : "s") in \(path): every shard needs at least one row")
    }

    /// Names `shard-N.cmdb` (N decimal digits) in `directory`, as paths, in shard order.
    static func existingShardFiles(in directory: String) -> [String] {
        PosixFile.entries(of: directory).compactMap { name -> (Int, String)? in
            guard name.hasPrefix("shard-"), name.hasSuffix(".cmdb") else { return nil }
            let digits = name.dropFirst(6).dropLast(5)
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return (Int(digits) ?? Int.max, join(directory, name))
        }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// Deletes temporary shard files (`shard-N.cmdb.split-PID`) whose process no longer exists.
    static func removeDeadSplitFiles(in directory: String) {
        for name in PosixFile.entries(of: directory) {
            let parts = name.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0].hasPrefix("shard-"), parts[1] == "cmdb", parts[2].hasPrefix("split-"),
                  let pid = Int32(parts[2].dropFirst(6)), !PosixFile.processExists(pid) else { continue }
            PosixFile.remove(join(directory, name))
        }
    }

    private static func join(_ directory: String, _ name: String) -> String {
        (directory.hasSuffix("/") ? directory : directory + "/") + name
    }
}
