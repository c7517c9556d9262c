// cryptomask: private 1:N face matching from the command line (DESIGN section 7).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let usage = """
    usage: cryptomask <command> [options]

    commands:
      demo                                             synthetic database, genuine + impostor query over loopback TCP
      enroll --db FILE --embeddings X.npy [--labels L.txt]   create or append to a database
      serve  --db FILE --port P [--host 127.0.0.1] --threshold T   answer private queries
      query  --server HOST:PORT --embedding X.npy [--row I] [--json] [--timeout S]   ask whether a face matches

    Run 'cryptomask <command> --help' for details.
    """

// A closed peer must not kill the process; SIGTERM and SIGINT must stop it even when the parent
// started us with them blocked (threads of Dispatch block signals and children inherit masks).
signal(SIGPIPE, SIG_IGN)
var unblock = sigset_t()
sigemptyset(&unblock)
sigaddset(&unblock, SIGTERM)
sigaddset(&unblock, SIGINT)
sigprocmask(SIG_UNBLOCK, &unblock, nil)
let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else {
    Console.error(usage)
    exit(2)
}
let rest = Array(arguments.dropFirst())
do {
    switch command {
    case "demo": try Demo.run(rest)
    case "enroll": try Enroll.run(rest)
    case "serve": try Serve.run(rest)
    case "query": try Query.run(rest)
    case "--help", "-h", "help": print(usage)
    default: throw CLIError("unknown command '\(command)'", usage: true)
    }
    exit(0)
} catch let e as CLIError {
    Console.error("cryptomask: \(e.message)" + (e.usage ? " (see cryptomask \(command) --help)" : ""))
    exit(e.usage ? 2 : 1)
} catch {
    Console.error("cryptomask: \(describe(error))")
    exit(1)
}
