/// Secret-bearing values of this module print nothing of their secret: `description`,
/// `debugDescription` and the mirror that `dump` and the debugger walk are all redacted.
/// Templates are biometric data and are treated the same way.

extension QueryCipher: CustomDebugStringConvertible, CustomReflectable {
    /// Like `description` (the secret key redacted).
    public var debugDescription: String { description }
    /// Public parts only.
    public var customMirror: Mirror {
        Mirror(self, children: ["profile": profile, "layout": layout, "dimension": dimension, "shareBits": shareBits], displayStyle: .struct)
    }
}

extension MatchClient: CustomStringConvertible, CustomReflectable {
    /// The dimension only: the client holds its secret key and generator.
    public var description: String { "MatchClient(d = \(dimension), <redacted>)" }
    /// No children.
    public var customMirror: Mirror { Mirror(self, children: ["dimension": dimension], displayStyle: .class) }
}

extension EvaluatedQuery: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Sizes only: the masks and shares are the server's secrets.
    public var description: String { "EvaluatedQuery(\(frames.count) frames, \(shares.count) shares, masks <redacted>)" }
    /// Like `description`.
    public var debugDescription: String { description }
    /// No children.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

extension FaceDatabase: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Shape only: templates are biometric data.
    public var description: String { "FaceDatabase(d = \(dimension), n = \(count), templates <redacted>)" }
    /// Like `description`.
    public var debugDescription: String { description }
    /// Shape only.
    public var customMirror: Mirror { Mirror(self, children: ["dimension": dimension, "count": count], displayStyle: .struct) }
}

extension MatchServer: CustomStringConvertible, CustomReflectable {
    /// Public parameters only: the server holds the templates.
    public var description: String { "MatchServer(\(layout), n = \(prepared.rows.count), templates <redacted>)" }
    /// Public parameters only.
    public var customMirror: Mirror { Mirror(self, children: ["parameters": parameters, "layout": layout], displayStyle: .class) }
}

extension ClusterKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Redacted: the key proves membership of the cluster.
    public var description: String { "ClusterKey(<redacted>)" }
    /// Like `description`.
    public var debugDescription: String { description }
    /// No children.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

extension SealedChannel: CustomStringConvertible, CustomReflectable {
    /// Redacted: holds the link's cipher and MAC keys.
    public var description: String { "SealedChannel(<redacted>)" }
    /// No children.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .class) }
}
