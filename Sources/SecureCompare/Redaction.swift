/// Secret-bearing values of this module print nothing of their secret: `description`,
/// `debugDescription` and the mirror that `dump` and the debugger walk are all redacted.
/// Blocks carry OT seeds, the extension secret `s` and masked messages; bit vectors carry
/// XOR shares; the parties hold generators and OT keys.

extension Block: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Redacted (compare blocks with `==`, not by their text).
    public var description: String { "Block(<redacted>)" }
    /// Redacted, like `description`.
    public var debugDescription: String { description }
    /// No children.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

extension BitVector: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The length only: the bits are shares.
    public var description: String { "BitVector(\(count) bits, <redacted>)" }
    /// Like `description`.
    public var debugDescription: String { description }
    /// No children.
    public var customMirror: Mirror { Mirror(self, children: ["count": count], displayStyle: .struct) }
}

extension OTExtensionSender: CustomStringConvertible, CustomReflectable {
    /// Redacted: holds the extension secret `s` and the column generators.
    public var description: String { "OTExtensionSender(<redacted>)" }
    /// No children.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .class) }
}

extension OTExtensionReceiver: CustomStringConvertible, CustomReflectable {
    /// Redacted: holds both seeds of every base OT.
    public var description: String { "OTExtensionReceiver(<redacted>)" }
    /// No children.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .class) }
}

extension ComparisonServer: CustomStringConvertible, CustomReflectable {
    /// Redacted: holds the session's generator, OT keys and triples.
    public var description: String { "ComparisonServer(<redacted>)" }
    /// No children.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .class) }
}

extension ComparisonClient: CustomStringConvertible, CustomReflectable {
    /// Redacted: holds the session's generator, OT keys and triples.
    public var description: String { "ComparisonClient(<redacted>)" }
    /// No children.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .class) }
}

extension HMAC: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Redacted: the keyed states stand for the key.
    package var description: String { "HMAC(<redacted>)" }
    /// Like `description`.
    package var debugDescription: String { description }
    /// No children.
    package var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
