// Whole Peer cores (ICE + DTLS + SCTP + data channels) on the network simulator with virtual time:
// they connect, open channels from both sides and move reliable ordered data byte-exact under
// loss, jitter and duplication, for several seeds (the seed is in every failure message).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { generateCertificate } from "../../src/dtls/index.js";
import type { PeerEvent } from "../../src/peer/events.js";
import type { Peer } from "../../src/peer/peer.js";
import { createPeerCore } from "../../src/peer/stack.js";
import { SeededRandom } from "../../src/random.js";
import { type LinkConfig, Network } from "../sim/network.js";

const certA = generateCertificate();
const certB = generateCertificate();

interface Side {
  peer: Peer;
  events: PeerEvent[];
  ip: string;
}

function side(net: Network, seed: number, ip: string, cert: typeof certA): Side {
  const peer = createPeerCore({
    random: new SeededRandom(seed),
    certificate: cert,
    stunServers: [],
    now: net.now,
    ice: { ta: 20 },
    dtlsRetransmitTimeout: 200,
  });
  return { peer, events: [], ip };
}

function poll(s: Side): void {
  for (let e = s.peer.pollEvent(); e; e = s.peer.pollEvent()) s.events.push(e);
}

const CHANNEL = {
  label: "sim",
  protocol: "",
  ordered: true,
  maxRetransmits: null,
  maxPacketLifeTime: null,
  negotiated: false,
  id: null,
  priority: "low" as const,
};

/** Counts the SCTP packets carrying an INIT (RFC 9260 3.3.2: never bundled, so the first chunk) a Peer sends. */
function countInits(peer: Peer): { n: number } {
  const count = { n: 0 };
  const dc = peer.dc as { pollTransmit(): Uint8Array | undefined };
  const poll = dc.pollTransmit.bind(dc);
  dc.pollTransmit = () => {
    const p = poll();
    if (p && p.length > 12 && p[12] === 1) count.n++;
    return p;
  };
  return count;
}

async function scenario(
  seed: number,
  link: LinkConfig,
  opts: { serverStartsSctp?: boolean } = {},
): Promise<{ serverInits: number; clientInits: number }> {
  const net = new Network({ seed, defaultLink: link });
  const a = side(net, seed * 2 + 1, "10.0.0.1", certA);
  const b = side(net, seed * 2 + 2, "10.0.0.2", certB);
  const serverInits = countInits(a.peer);
  const clientInits = countInits(b.peer);
  // A DTLS server that never sends INIT (only answers): the client must start SCTP itself.
  if (opts.serverStartsSctp === false) (a.peer.dc as { connect(now: number): void }).connect = () => {};
  // JSEP roles: a offers (controlling, actpass), b answers active (the DTLS client).
  a.peer.setIceControlling(true);
  b.peer.setIceControlling(false);
  net.attach(a.peer, [a.ip]);
  net.attach(b.peer, [b.ip]);
  const handle = a.peer.createChannel({ ...CHANNEL }, net.now);
  a.peer.setRemoteIce(b.peer.localUfrag, b.peer.localPwd, false, net.now);
  b.peer.setRemoteIce(a.peer.localUfrag, a.peer.localPwd, false, net.now);
  a.peer.setDtlsParameters("server", certB.fingerprints(), net.now);
  b.peer.setDtlsParameters("client", certA.fingerprints(), net.now);
  a.peer.addLocalAddress({ address: a.ip, port: 5000 }, net.now);
  b.peer.addLocalAddress({ address: b.ip, port: 6000 }, net.now);
  a.peer.localAddressesDone(net.now);
  b.peer.localAddressesDone(net.now);
  // Trickle: every local candidate event goes to the other side.
  const trickle = (from: Side, to: Side, seen: Set<PeerEvent>) => {
    for (const e of from.events) {
      if (e.type === "candidate" && !seen.has(e)) {
        seen.add(e);
        to.peer.addRemoteCandidate(e.candidate, net.now);
        net.drain(to.peer);
      }
    }
  };
  const seenA = new Set<PeerEvent>();
  const seenB = new Set<PeerEvent>();
  const step = () => {
    poll(a);
    poll(b);
    trickle(a, b, seenA);
    trickle(b, a, seenB);
  };
  net.drain(a.peer);
  net.drain(b.peer);
  const opened = () =>
    a.events.some((e) => e.type === "channel-open" && e.handle === handle) &&
    b.events.some((e) => e.type === "channel-remote");
  net.run({
    until: () => {
      step();
      return opened();
    },
    untilTime: net.now + 30_000,
  });
  assert.ok(opened(), `seed ${seed}: channel did not open (ice ${a.peer.iceState}, dtls ${a.peer.dtlsState})`);
  const remote = b.events.find((e) => e.type === "channel-remote");
  assert.ok(remote && remote.type === "channel-remote", `seed ${seed}: no remote channel`);
  assert.equal(remote.config.label, "sim");
  // Reliable ordered transfer of 200 messages up to 20 KB, checked by a running hash.
  const rnd = new SeededRandom(seed);
  const sent = createHash("sha256");
  const n = 200;
  for (let i = 0; i < n; i++) {
    const m = rnd.bytes(1 + rnd.int(20_000));
    sent.update(m);
    a.peer.send(handle, m, net.now);
  }
  net.drain(a.peer);
  const got = createHash("sha256");
  let count = 0;
  const drainMessages = () => {
    poll(b);
    for (const e of b.events) {
      if (e.type === "message" && e.handle === remote.handle) {
        got.update(e.data);
        count++;
      }
    }
    b.events.length = 0;
    return count === n;
  };
  net.run({ until: drainMessages, untilTime: net.now + 120_000 });
  assert.equal(count, n, `seed ${seed}: ${count} of ${n} messages`);
  assert.equal(got.digest("hex"), sent.digest("hex"), `seed ${seed}: bytes differ`);
  // Closing from the receiver closes the sender's channel too.
  b.peer.closeChannel(remote.handle, net.now);
  net.drain(b.peer);
  const closed = () => {
    poll(a);
    return a.events.some((e) => e.type === "channel-closed" && e.handle === handle);
  };
  net.run({ until: closed, untilTime: net.now + 30_000 });
  assert.ok(closed(), `seed ${seed}: channel close did not reach the creator`);
  a.peer.close(net.now);
  b.peer.close(net.now);
  return { serverInits: serverInits.n, clientInits: clientInits.n };
}

test("two Peers connect and transfer on a clean link", async () => {
  for (const seed of [1, 2, 3]) {
    const inits = await scenario(seed, { latency: 15, jitter: 5 });
    assert.deepEqual(inits, { serverInits: 1, clientInits: 0 }, `seed ${seed}`);
  }
});

test("on a 100 ms path the DTLS client answers the server's INIT and sends none of its own", async () => {
  // RTT 200 ms, far above the client's 25 ms wait: the COOKIE ECHO comes long after it.
  for (const seed of [4, 5]) {
    const inits = await scenario(seed, { latency: 100 });
    assert.deepEqual(inits, { serverInits: 1, clientInits: 0 }, `seed ${seed}: one INIT on the wire, the server's`);
  }
});

test("two Peers under 5% loss, duplication and reordering", async () => {
  for (const seed of [11, 12, 13]) {
    await scenario(seed, { latency: 20, jitter: 10, loss: 0.05, duplicate: 0.02, reorder: 0.05 });
  }
});

test("the DTLS client starts SCTP itself when the server's INIT does not come", async () => {
  for (const seed of [21, 22]) {
    const inits = await scenario(seed, { latency: 15, jitter: 5 }, { serverStartsSctp: false });
    assert.deepEqual(inits, { serverInits: 0, clientInits: 1 }, `seed ${seed}`);
  }
});
