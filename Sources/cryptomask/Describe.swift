/// One readable line for any error: the library's errors describe themselves (no raw enum
/// values); anything else shows its own description. Control characters are escaped, so a
/// peer's text cannot forge log lines.
func describe(_ error: Error) -> String {
    Console.printable("\(error)")
}
