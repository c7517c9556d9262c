/// Secret-bearing values of this module print nothing of their secret: `description`,
/// `debugDescription` and the mirror that `dump` and the debugger walk are all redacted.

extension Seed: CustomReflectable {
    /// No children: `dump` shows only the redacted description.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

extension ChaChaDRBG: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Redacted: the key and the buffered key stream are secret.
    public var description: String { "ChaChaDRBG(<redacted>)" }
    /// Redacted, like `description`.
    public var debugDescription: String { description }
    /// No children.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
