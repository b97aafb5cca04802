// libFuzzer entry point for Vouch's Nix lexer and parser (built by run.sh, not by SwiftPM).
// Every input must either parse (and print) or fail with a NixSyntaxError: never crash, hang or overflow.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNixParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let tree = try NixParser.parse(bytes, file: "fuzz.nix")
        let printed = NixPrinter.sexpr(tree)
        precondition(!printed.isEmpty, "an empty tree was printed")
    } catch {
        precondition(error.line >= 1 && error.column >= 1, "an error without a position: \(error)")
    }
    return 0
}
