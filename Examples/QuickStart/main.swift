import Dispatch
import FaceMatch

// Synthetic face embeddings (in practice: the output of a face-recognition model, e.g. ArcFace).
func randomEmbedding() -> [Double] { (0..<512).map { _ in Double.random(in: -1 ... 1) } }
let enrolled = (0..<100).map { _ in randomEmbedding() }
let genuine = zip(enrolled[7], randomEmbedding()).map { $0 + 0.3 * $1 }  // a new photo of person 7
let impostor = randomEmbedding()                                          // someone never enrolled

// Server: enroll the database, then answer verifier sessions (here one, on a background thread).
var database = try FaceDatabase(dimension: 512)
for (id, embedding) in enrolled.enumerated() {
    try database.enroll(id: UInt64(id), embedding: embedding)  // validated, normalized, quantized
}
let server = try MatchServer(database: database, parameters: MatchParameters(dimension: 512, threshold: 0.5))
let listener = try TCPListener(host: "127.0.0.1", port: 0)  // port 0: any free port
DispatchQueue.global().async {
    guard let channel = try? listener.accept() else { return }
    _ = try? server.serve(channel: channel)  // learns nothing about the probes
}

// Verifier: one session (keys and OT set-up once), then any number of queries.
let client = MatchClient(channel: try TCPChannel.connect(host: "127.0.0.1", port: listener.port), dimension: 512)
try client.connect()
for (name, probe) in [("genuine", genuine), ("impostor", impostor)] {
    let result = try client.query(probe)  // one bit: does the probe match anyone?
    print("\(name): \(result.isMatch ? "match" : "no match") (\(result.statistics.bytesSent) bytes sent)")
}
try client.close()
