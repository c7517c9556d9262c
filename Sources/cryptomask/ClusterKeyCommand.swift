import FaceMatch

/// `cryptomask cluster-key --out FILE`: a fresh pre-shared key for a front and its shards.
enum ClusterKeyCommand {
    static let help = """
        usage: cryptomask cluster-key --out FILE

        Writes a fresh cluster key to FILE: 32 bytes from the system's cryptographic generator
        as 64 hex characters and a newline, in a new file of mode 0600. An existing FILE is
        never overwritten.

        A front and its shards share this key: each reads it with --cluster-key FILE (a file
        that group and others cannot read; links are followed) or from the environment variable
        CRYPTOMASK_CLUSTER_KEY. They prove to each other that they hold it and encrypt and
        authenticate their link with keys derived from it (docs/DESIGN.md, Cluster link).
        Anyone who holds the key can act as the front: copy it to the shards' machines over a
        secure channel only.
        """

    static func run(_ args: [String]) throws {
        let o = try Options(args, valued: ["out"])
        if o.help { print(help); return }
        let path = try o.required("out")
        try ClusterKey.generate(path: path)
        print("wrote a new cluster key to \(path) (mode 0600); give the front and every shard --cluster-key \(path) or set \(ClusterKey.environmentVariable) to its content")
    }
}
