/// Secret-bearing values of this module print nothing of their secret: `description`,
/// `debugDescription` and the mirror that `dump` and the debugger walk are all redacted.

extension SecretKey: CustomDebugStringConvertible, CustomReflectable {
    /// Redacted, like `description`.
    public var debugDescription: String { description }
    /// No children: the coefficients and their NTT form stay out of `dump`.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

extension Encryptor: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Names the key kind only (a symmetric encryptor holds the secret key).
    public var description: String {
        switch key {
        case .secret: return "Encryptor(secret key <redacted>)"
        case .publicKey: return "Encryptor(public key)"
        }
    }
    /// Like `description`.
    public var debugDescription: String { description }
    /// No children.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

extension Decryptor: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Redacted: a decryptor holds the secret key.
    public var description: String { "Decryptor(<redacted>)" }
    /// Redacted, like `description`.
    public var debugDescription: String { description }
    /// No children.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
