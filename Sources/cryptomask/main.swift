// cryptomask: private 1:N face matching from the command line (docs/DESIGN.md section 7).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FaceMatch

let usage = """
    usage: cryptomask <command> [options]

    commands:
      demo                                             synthetic database, genuine + impostor query over loopback TCP
      enroll --db FILE --embeddings X.npy [--labels L.txt]   create or append to a database
      db     info|list|remove|compact|repair|split --db FILE   inspect, maintain or shard a database file
      serve  --db FILE --port P [--host 127.0.0.1] --threshold T   answer private queries
      serve  --shard --db FILE ... | --front --shards HOST:PORT,... ...   serve as a cluster (see serve --help)
      query  --server HOST:PORT --embedding X.npy [--rows all|I|A-B] [--json] [--exit-code] [--timeout S]
      ping   --connect HOST:PORT [--timeout S]           readiness probe of a server, front or shard
      cluster-key --out FILE                           a fresh key for a front and its shards (mode 0600)

    Run 'cryptomask <command> --help' for details; 'cryptomask --version' for the version.
    """

let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else {
    Console.error(usage)
    exit(2)
}
// A closed peer must not kill the process.
signal(SIGPIPE, SIG_IGN)
if command == "serve" {
    // Before any thread starts: the server takes its signals on a thread of its own.
    ServerSignals.blockInThisThread()
} else {
    // SIGTERM and SIGINT must stop the other commands even when the parent started us with them
    // blocked (threads of Dispatch block signals and children inherit masks).
    var unblock = sigset_t()
    sigemptyset(&unblock)
    sigaddset(&unblock, SIGTERM)
    sigaddset(&unblock, SIGINT)
    sigprocmask(SIG_UNBLOCK, &unblock, nil)
}
let rest = Array(arguments.dropFirst())
do {
    switch command {
    case "demo": try Demo.run(rest)
    case "enroll": try Enroll.run(rest)
    case "db": try DatabaseCommands.run(rest)
    case "serve": try Serve.run(rest)
    case "query": try Query.run(rest)
    case "ping": try Ping.run(rest)
    case "cluster-key": try ClusterKeyCommand.run(rest)
    case "--help", "-h", "help": print(usage)
    case "--version", "-V", "version": print(CryptoMaskVersion.summary)
    default: throw CLIError("unknown command '\(command)'", usage: true)
    }
    exit(CLIError.successStatus)
} catch let e as CLIError {
    let known = ["demo", "enroll", "db", "serve", "query", "ping", "cluster-key"].contains(command)
    Console.error("cryptomask: \(Console.printable(e.message))" + (e.usage ? " (see cryptomask \(known ? command + " " : "")--help)" : ""))
    exit(e.usage ? 2 : CLIError.failureStatus)
} catch {
    Console.error("cryptomask: \(describe(error))")
    exit(CLIError.failureStatus)
}
