import RingArithmetic

/// The two roles of the comparison protocols.
public enum Party: Sendable, Equatable {
    /// P0: the OT-extension sender; holds `x` in comparisons and the first share in MSB.
    case server
    /// P1: the OT-extension receiver; the only party that can learn an opened output.
    case client
}

/// Where the comparison's OTs come from.
public enum OTSupply: Sendable, Equatable {
    /// Ferret correlated OTs from LPN (`FerretCOTSender`): 7.3 bits of traffic per OT with the
    /// small parameter set the comparison runs (0.65 with the main set); the default.
    case silent
    /// IKNP (random OTs, 128 bits of traffic each) and KK13 (1-out-of-16, 256 bits each).
    case iknp
}

/// Shared state of one party in a two-party session: the channel, its randomness, its end of
/// the OT extension, a pool of Beaver bit triples and the counter that keeps 1-out-of-N hash
/// tweaks unique. Both parties must call the same operations in the same order.
final class Engine {
    let party: Party
    let channel: Channel
    var rng: ChaChaDRBG
    let sender: OTExtensionSender?
    let receiver: OTExtensionReceiver?
    /// KK13 1-out-of-16 extension for the millionaires' leaves (one end per party).
    let kkSender: KKSender?
    let kkReceiver: KKReceiver?
    /// Which OTs the comparison uses.
    let supply: OTSupply
    /// The Ferret ends (server: sender, client: receiver), bootstrapped from IKNP at setup (or
    /// at first use in a small session).
    let cotSender: FerretCOTSender?
    let cotReceiver: FerretCOTReceiver?
    /// Instances of 1-out-of-N OT used so far (hash tweak domain).
    var oneOfNCount: UInt64 = 0
    /// Scratch for the hashed pads of COT batches (see `withPads`).
    var padScratch: [Block] = []
    /// Unused triples (a, b, c) with `c = a & b` across the parties.
    var pool = (a: BitVector(count: 0), b: BitVector(count: 0), c: BitVector(count: 0))

    init(party: Party, channel: Channel, rng: ChaChaDRBG, supply: OTSupply) {
        self.party = party
        self.channel = channel
        self.supply = supply
        var r = rng
        if party == .server {
            let iknp = OTExtensionSender(channel: channel, rng: r.split())
            sender = iknp
            receiver = nil
            kkSender = KKSender(rng: &r)
            kkReceiver = nil
            cotSender = FerretCOTSender(bootstrap: iknp, rng: r.split(), schedule: Engine.schedule)
            cotReceiver = nil
        } else {
            let iknp = OTExtensionReceiver(channel: channel, rng: r.split())
            receiver = iknp
            sender = nil
            kkReceiver = KKReceiver()
            kkSender = nil
            cotReceiver = FerretCOTReceiver(bootstrap: iknp, rng: r.split(), schedule: Engine.schedule)
            cotSender = nil
        }
        self.rng = r
    }

    /// The comparison's Ferret iterations: the small set. Its 580 KB LPN secret stays in a
    /// core's L2 cache, while the main set's 9.4 MB one makes the expansion wait on memory
    /// (measured 20-90 ns per output against about 10 on the 2-core host, worst with both
    /// parties expanding at once); the small set costs 7.3 bits of traffic per COT instead of
    /// 0.65, about 10.9 bytes per compared element.
    static let schedule = FerretSchedule.small

    /// Base OTs and OT-extension setup (once per session): one exchange of 128 + 256 base OTs
    /// keys both the IKNP and the KK13 extension; the server is the base-OT receiver of both.
    func setup(expectedValues: Int?) throws(SecureCompareError) {
        channel.setPhase("ot-setup")
        if let sender, let kk = kkSender {
            let keys = try BaseOT.receive(choices: (0..<128).map { sender.s.bit($0) } + kk.choices, channel: channel, rng: &rng)
            sender.install(Array(keys[0..<128]))
            kk.columns = keys[128...].map(IKNP.generator)
        } else if let receiver, let kk = kkReceiver {
            let pairs = (0..<(128 + KK13.columns)).map { _ in (Block.random(&rng), Block.random(&rng)) }
            try BaseOT.send(pairs: pairs, channel: channel, rng: &rng)
            receiver.install(Array(pairs[0..<128]))
            kk.columns0 = pairs[128...].map { IKNP.generator($0.0) }
            kk.columns1 = pairs[128...].map { IKNP.generator($0.1) }
        }
        // The silent supply's first base COTs come from IKNP now, so queries pay only iterations,
        // unless the session is expected to need fewer COTs than IKNP serves more cheaply
        // (about 14 COTs per compared value and OR input at l = 11; 16 is the estimate).
        if supply == .silent, (expectedValues ?? .max) > FerretSchedule.directLimit / 16 {
            try cotSender?.prepare()
            try cotReceiver?.prepare()
        }
    }

    /// Both parties send `payload` and receive the peer's; the server sends first and the
    /// client answers after receiving, so neither blocks on a full transport buffer.
    func exchange(_ type: MessageType, _ payload: [UInt8]) throws(SecureCompareError) -> [UInt8] {
        if party == .server {
            try channel.send(type, payload)
            return try channel.receive(type)
        }
        let theirs = try channel.receive(type)
        try channel.send(type, payload)
        return theirs
    }
}
