import FaceMatch

/// `cryptomask db split`: one database file into K shard files for `serve --shard`.
enum SplitCommand {
    static let help = """
        usage: cryptomask db split --db FILE --shards K --out DIR [--by round-robin|id-hash] [--wait]

        Writes the live rows of FILE into K shard files DIR/shard-0.cmdb ... DIR/shard-(K-1).cmdb
        (K from 1 to 1024, at most the live rows), each served by one 'cryptomask serve --shard'.
        Rows keep their ids, labels and templates; removed rows are not copied. --by round-robin
        (default) deals them in file order (shard sizes differ by at most 1); --by id-hash sends
        each row to shard H(id) mod K, H being the first 8 bytes (little-endian) of SHA-256 of
        the id's 8 little-endian bytes: the same id always lands in the same shard.

        Every shard's next id is FILE's, so ids are unique across the shards at split time; later
        enrolls into a shard number their rows per shard file, and 'db remove --id' acts on the
        one shard file it is given. DIR is created (mode 0700) if missing; shard files get mode
        0600. An existing shard-N.cmdb in DIR is refused. The split holds FILE's writer lock (an
        enroll or removal waits or fails; serving goes on), writes each shard under a temporary
        name, syncs it, re-reads it with the validating reader and checks it against what was
        dealt, and only then gives all of them their names: a failed split leaves no shard file,
        a killed one no incomplete shard file (the next split into DIR deletes its temporary
        files). Memory stays bounded (one pass, at most 64 MB of buffers) however large FILE.
        """

    static func run(_ args: [String]) throws {
        let o = try Options(args, valued: ["db", "shards", "out", "by"], boolean: ["wait"])
        if o.help { print(help); return }
        let path = try o.required("db")
        let directory = try o.required("out")
        let shards = try o.int("shards")
        guard shards >= 1, shards <= DatabaseSplit.maxShards else {
            throw CLIError("--shards must be 1 ... \(DatabaseSplit.maxShards), got \(shards)", usage: true)
        }
        let by = o.values["by"] ?? ShardAssignment.roundRobin.rawValue
        guard let assignment = ShardAssignment(rawValue: by) else {
            throw CLIError("--by must be round-robin or id-hash, got '\(by)'", usage: true)
        }
        let r = try DatabaseSplit.split(path: path, shards: shards, directory: directory, by: assignment, wait: o.flag("wait")) {
            Console.progress("splitting \(path): \($0) rows dealt")
        }
        Console.endProgress()
        for s in r.shards { print("\(s.path): \(Console.count(s.rows, "row"))") }
        let skipped = r.removedSkipped > 0 ? ", \(r.removedSkipped) removed not copied" : ""
        print("split \(path) into \(Console.count(r.shards.count, "shard")) by \(assignment.rawValue): \(Console.count(r.rows, "live row"))\(skipped); next id \(r.nextID) in every shard; each shard re-read and verified")
    }
}
