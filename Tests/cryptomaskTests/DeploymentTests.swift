import Foundation
import Testing

/// The files under deploy/ against the real CLI and against each other: every cryptomask
/// command line in them parses (`serve ... --check`, `ping ... --check`), and the ports, the
/// shard names and the cluster key's Secret agree across files.
@Suite("deployment files")
struct DeploymentTests {
    typealias Invocation = DeploymentFiles.Invocation
    /// Shell variables of the manifests, as pod cryptomask-shard-0 sees them.
    static let shell = ["${HOSTNAME##*-}": "0"]

    /// Runs `invocation` with the real binary; `serve` and `ping` with `--check` (options only:
    /// no file is opened, no port bound, no key read).
    func check(_ invocation: Invocation) throws {
        var args = Array(invocation.argv.dropFirst())
        let checked = ["serve", "ping"].contains(args.first ?? "")
        if checked { args.append("--check") }
        let r = try runCLI(args)
        #expect(r.0 == 0, "\(invocation)\n\(r.2)")
        if args.first == "serve" { #expect(r.1.hasPrefix("configuration ok"), "\(invocation)\n\(r.1)") }
    }

    func kubernetesInvocations() throws -> [(doc: DeploymentFiles.Document, invocation: Invocation)] {
        try DeploymentFiles.files(in: "kubernetes", suffix: ".yaml").flatMap { try DeploymentFiles.documents($0) }
            .flatMap { doc in DeploymentFiles.invocations(doc, substitutions: Self.shell).map { (doc, $0) } }
    }

    @Test("every cryptomask command line in deploy/ parses with the real CLI")
    func commandLinesParse() throws {
        var all: [Invocation] = []
        let kube = try kubernetesInvocations().map(\.invocation).filter(\.isCryptomask)
        // shards.yaml: serve --shard and its probe; front.yaml: serve --front and its probe.
        #expect(kube.count >= 4, "\(kube)")
        all += kube
        for unit in try DeploymentFiles.files(in: "systemd", suffix: ".service") {
            let env = try envFile(of: unit).map { try DeploymentFiles.environment("systemd/\($0)") } ?? [:]
            let lines = try DeploymentFiles.execStarts(unit, instance: "0", environment: env)
            #expect(lines.count == 1 && lines.allSatisfy(\.isCryptomask), "\(unit): \(lines)")
            #expect(!lines.contains { $0.argv.contains { $0.contains("$") || $0.contains("%") } }, "unsubstituted variable: \(lines)")
            all += lines
        }
        let entrypoint = try #require(try DeploymentFiles.dockerInstruction("ENTRYPOINT", in: "Dockerfile"))
        let cmd = try DeploymentFiles.dockerInstruction("CMD", in: "Dockerfile") ?? []
        #expect(entrypoint == ["/usr/local/bin/cryptomask"])
        all.append(Invocation(file: "Dockerfile", line: 0, argv: entrypoint + cmd))
        // A format change must not make this test vacuous.
        try #require(all.count >= 7, "found only \(all)")
        for invocation in all { try check(invocation) }
        // And --check does check: a misspelt option in a real line is refused as a usage error.
        let serve = try #require(all.first { $0.has("serve") })
        let typo = try runCLI(Array(serve.argv.dropFirst()) + ["--treshold", "0.5", "--check"])
        #expect(typo.0 == 2 && typo.2.contains("--treshold"), "\(typo.2)")
    }

    /// The env file name of a unit's `EnvironmentFile=` (its last path component, `%i` as 0).
    func envFile(of unit: String) throws -> String? {
        try DeploymentFiles.unitSettings(unit).first { $0.key == "EnvironmentFile" }
            .map { String($0.value.replacingOccurrences(of: "%i", with: "0").split(separator: "/").last!) }
    }

    func port(_ hostPort: String?) -> String? { hostPort.flatMap { $0.split(separator: ":").last.map(String.init) } }

    @Test("Kubernetes: shard and front ports, shard DNS names and the cluster key Secret agree across files")
    func kubernetesAgrees() throws {
        let docs = try DeploymentFiles.files(in: "kubernetes", suffix: ".yaml").flatMap { try DeploymentFiles.documents($0) }
        func doc(_ kind: String, where match: (DeploymentFiles.Document) -> Bool = { _ in true }) throws -> DeploymentFiles.Document {
            try #require(docs.first { $0.kind == kind && match($0) }, "no \(kind)")
        }
        let all = try kubernetesInvocations()
        func invocation(_ words: String...) throws -> (doc: DeploymentFiles.Document, invocation: Invocation) {
            try #require(all.first { $0.invocation.isCryptomask && words.allSatisfy($0.invocation.argv.contains) }, "no \(words)")
        }
        let secret = try doc("Secret")
        let secretName = try #require(secret.name)
        let secretKeys = Set(secret.lines.drop { !$0.text.hasPrefix("stringData:") && !$0.text.hasPrefix("data:") }.dropFirst()
            .prefix { $0.text.hasPrefix("  ") }.compactMap { $0.text.split(separator: ":").first?.trimmingCharacters(in: .whitespaces) })
        #expect(!secretKeys.isEmpty)

        // Shards: the StatefulSet's command, container port, probe and headless Service.
        let (stateful, shard) = try invocation("serve", "--shard")
        #expect(stateful.kind == "StatefulSet")
        let shardPort = try #require(shard.value("--port"))
        let replicas = try #require(Int(stateful.values("replicas").first ?? ""))
        let serviceName = try #require(stateful.values("serviceName").first)
        let setName = try #require(stateful.name)
        #expect(stateful.values("containerPort") == [shardPort])
        #expect(shard.value("--db") == "/data/shard-0.cmdb")
        let probe = try #require(all.first { $0.doc.name == setName && $0.invocation.has("ping") }).invocation
        #expect(probe.value("--connect") == "127.0.0.1:\(shardPort)")
        // The init container waits for the very file the shard serves.
        #expect(all.contains { $0.doc.name == setName && !$0.invocation.isCryptomask && $0.invocation.argv.contains(shard.value("--db")!) })
        let headless = try doc("Service") { $0.name == serviceName }
        #expect(headless.values("clusterIP") == ["None"])
        #expect(headless.values("port") == [shardPort] && headless.values("targetPort") == [shardPort])

        // Front: --shards names every StatefulSet pod by its stable DNS name, in order.
        let (deployment, front) = try invocation("serve", "--front")
        #expect(deployment.kind == "Deployment")
        let expected = (0..<replicas).map { "\(setName)-\($0).\(serviceName):\(shardPort)" }.joined(separator: ",")
        #expect(front.value("--shards") == expected)
        let frontPort = try #require(front.value("--port"))
        #expect(deployment.values("containerPort") == [frontPort])
        let frontProbe = try #require(all.first { $0.doc.name == deployment.name && $0.invocation.has("ping") }).invocation
        #expect(frontProbe.value("--connect") == "127.0.0.1:\(frontPort)")
        let frontLabel = try #require(deployment.values("app.kubernetes.io/component").first)
        let frontService = try doc("Service") { $0.values("app.kubernetes.io/component").contains(frontLabel) && $0.values("clusterIP").isEmpty }
        #expect(frontService.values("targetPort") == [frontPort])

        // The key: the same Secret and key in both workloads, copied (mode 0600: the servers
        // refuse a key file its group may read, and fsGroup makes a Secret's files 0440) into a
        // memory volume at exactly the path given to --cluster-key.
        for (workload, serve) in [(stateful, shard), (deployment, front)] {
            #expect(workload.values("secretName") == [secretName], "\(workload.file)")
            #expect(workload.values("defaultMode") == ["0400"], "\(workload.file)")
            let key = try #require(workload.values("key").first)
            #expect(secretKeys.contains(key), "\(workload.file): key \(key) not in \(secretKeys)")
            let item = try #require(workload.values("path").first)
            let keyPath = try #require(serve.value("--cluster-key"))
            let copy = try #require(all.first { $0.doc.name == workload.name && $0.invocation.argv.first == "install" }, "\(workload.file): no key copy").invocation
            #expect(copy.argv.count == 5 && copy.value("-m") == "0600" && copy.argv.last == keyPath, "\(copy)")
            #expect(workload.values("mountPath").contains { "\($0)/\(item)" == copy.argv[3] }, "\(copy) does not read the Secret's \(item)")
            let keyDirectory = String(keyPath[..<keyPath.lastIndex(of: "/")!])
            #expect(workload.values("mountPath").filter { $0 == keyDirectory }.count == 2, "\(workload.file): \(keyDirectory) mounted in the copy and the server")
            #expect(workload.values("medium") == ["Memory"], "\(workload.file)")
            #expect(!serve.argv.contains { $0.count >= 64 && $0.allSatisfy(\.isHexDigit) }, "a key on a command line")
        }
        // One image for all containers; the image's user is the pods' user.
        #expect(Set(docs.flatMap { $0.values("image") }).count == 1)
        let dockerUser = try DeploymentFiles.text("Dockerfile").split(separator: "\n").first { $0.hasPrefix("USER ") }
        #expect(Set(docs.flatMap { $0.values("runAsUser") }) == [String(dockerUser?.dropFirst(5).split(separator: ":").first ?? "")])
    }

    @Test("systemd: the front's shard ports are the shards' ports, and one key path serves both")
    func systemdAgrees() throws {
        let env = try DeploymentFiles.environment("systemd/shard-0.env")
        let shard = try #require(try DeploymentFiles.execStarts("systemd/cryptomask-shard@.service", instance: "0", environment: env).first)
        let front = try #require(try DeploymentFiles.execStarts("systemd/cryptomask-front.service", instance: "0", environment: [:]).first)
        #expect(shard.has("serve", "--shard") && front.has("serve", "--front"))
        #expect(try envFile(of: "systemd/cryptomask-shard@.service") == "shard-0.env")
        let ports = Set((front.value("--shards") ?? "").split(separator: ",").compactMap { port(String($0)) })
        #expect(ports == [try #require(shard.value("--port"))])
        #expect(shard.value("--cluster-key") != nil && shard.value("--cluster-key") == front.value("--cluster-key"))
        #expect(shard.value("--db") == "/var/lib/cryptomask/shard-0.cmdb")
    }
}
