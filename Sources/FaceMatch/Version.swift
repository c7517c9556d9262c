/// The release of this library and tool, and the versions of what it exchanges and stores.
public enum CryptoMaskVersion {
    /// The release (semantic versioning).
    public static let release = "0.4.0"
    /// The session protocol version sent in the hello.
    public static let sessionProtocol = Int(Hello.version)
    /// The database file format version that writers produce.
    public static let databaseFormat = Int(DatabaseFormat.currentVersion)
    /// One line for `--version`.
    public static var summary: String {
        "cryptomask \(release) (session protocol \(sessionProtocol), database format \(databaseFormat))"
    }
}
