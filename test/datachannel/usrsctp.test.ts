// Interop with usrsctp (Firefox's SCTP stack) through libdatachannel: node-datachannel's W3C
// polyfill against Petrel's RTCPeerConnection in one process, both offer directions. Byte-exact
// echoes 0 B..256 KiB, channels opened from each side, unordered partially reliable and
// negotiated channels, close from either side, injected loss (FORWARD TSN, retransmission), a
// full window of small messages. Zero checksum (RFC 9653) is negotiated with this usrsctp.
// Skips when node-datachannel (a devDependency) cannot be loaded.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { test } from "node:test";
import { RTCPeerConnection } from "../../src/index.js";
import { SctpAssociation } from "../../src/sctp/index.js";
import { REQUIRE_INTEROP } from "../interop/tools.js";

// biome-ignore lint/suspicious/noExplicitAny: the polyfill's types are its own W3C look-alikes
type Any = any;

const sha = (b: ArrayBuffer | Uint8Array) => createHash("sha256").update(new Uint8Array(b)).digest("hex");

async function loadNdc(t: { skip(m: string): void }): Promise<{ PC: Any; cleanup(): void } | undefined> {
  try {
    const polyfill = await import("node-datachannel/polyfill");
    const native = (await import("node-datachannel")).default as Any;
    return { PC: polyfill.RTCPeerConnection, cleanup: () => native.cleanup() };
  } catch (err) {
    if (REQUIRE_INTEROP) throw err;
    t.skip(`node-datachannel not available: ${String(err)}`);
    return undefined;
  }
}

function relay(from: Any, to: Any): void {
  const pending: Any[] = [];
  let ready = false;
  from.onicecandidate = (ev: Any) => {
    const c = ev.candidate;
    if (!c?.candidate) return;
    const plain = { candidate: c.candidate, sdpMid: c.sdpMid ?? "0", sdpMLineIndex: c.sdpMLineIndex ?? 0 };
    if (ready) to.addIceCandidate(plain).catch(() => {});
    else pending.push(plain);
  };
  (to as { __open?: () => void }).__open = () => {
    ready = true;
    for (const c of pending.splice(0)) to.addIceCandidate(c).catch(() => {});
  };
}

async function negotiate(offerer: Any, answerer: Any): Promise<void> {
  relay(offerer, answerer);
  relay(answerer, offerer);
  const offer = await offerer.createOffer();
  await offerer.setLocalDescription(offer);
  await answerer.setRemoteDescription({ type: "offer", sdp: offerer.localDescription.sdp });
  answerer.__open();
  const answer = await answerer.createAnswer();
  await answerer.setLocalDescription(answer);
  await offerer.setRemoteDescription({ type: "answer", sdp: answerer.localDescription.sdp });
  offerer.__open();
}

function whenOpen(dc: Any, ms = 15_000): Promise<void> {
  if (dc.readyState === "open") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`channel ${dc.label} not open`)), ms);
    dc.addEventListener("open", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function collect(dc: Any, n: number, ms = 30_000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const out: unknown[] = [];
    const timer = setTimeout(() => reject(new Error(`got ${out.length} of ${n} on ${dc.label}`)), ms);
    dc.onmessage = (e: Any) => {
      out.push(e.data);
      if (out.length === n) {
        clearTimeout(timer);
        resolve(out);
      }
    };
  });
}

async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The usrsctp side echoes everything it receives on every channel. */
function echoAll(pc: Any): void {
  pc.ondatachannel = (ev: Any) => {
    const ch = ev.channel;
    ch.binaryType = "arraybuffer";
    ch.onmessage = (e: Any) => ch.send(e.data);
  };
}

async function echoCheck(dc: Any, messages: (string | Uint8Array)[]): Promise<void> {
  const got = collect(dc, messages.length);
  for (const m of messages) dc.send(m);
  const back = await got;
  messages.forEach((m, i) => {
    if (typeof m === "string") assert.equal(back[i], m, `string ${i}`);
    else assert.equal(sha(back[i] as ArrayBuffer), sha(m), `binary ${i} (${m.length} bytes)`);
  });
}

for (const petrelOffers of [true, false]) {
  test(`usrsctp (node-datachannel) interop, ${petrelOffers ? "Petrel" : "usrsctp side"} offers`, {
    timeout: 60_000,
  }, async (t) => {
    const ndc = await loadNdc(t);
    if (!ndc) return;
    const base = Object.getPrototypeOf(SctpAssociation.prototype) as { setup: (...a: unknown[]) => void };
    const setup = base.setup;
    const seen: SctpAssociation[] = [];
    base.setup = function (this: SctpAssociation, ...a: unknown[]) {
      setup.apply(this, a);
      seen.push(this);
    };
    const ours: Any = new RTCPeerConnection();
    const theirs: Any = new ndc.PC({ iceServers: [] });
    try {
      echoAll(theirs);
      const dc = ours.createDataChannel("echo");
      dc.binaryType = "arraybuffer";
      if (petrelOffers) await negotiate(ours, theirs);
      else {
        // usrsctp's side needs something to offer: a channel of its own, echoed by us.
        const own = theirs.createDataChannel("from-usrsctp");
        own.binaryType = "arraybuffer";
        ours.ondatachannel = (ev: Any) => {
          ev.channel.binaryType = "arraybuffer";
          ev.channel.onmessage = (e: Any) => ev.channel.send(e.data);
        };
        await negotiate(theirs, ours);
        await whenOpen(own);
        const got = collect(own, 2);
        own.send("ping");
        own.send(new Uint8Array([1, 2, 3]));
        const back = await got;
        assert.equal(back[0], "ping");
        assert.deepEqual([...new Uint8Array(back[1] as ArrayBuffer)], [1, 2, 3]);
      }
      await whenOpen(dc);
      const assoc = seen[seen.length - 1];
      assert.ok(assoc, "association set up");
      assert.equal(assoc.iData, false, "usrsctp does not offer I-DATA here");
      t.diagnostic(`negotiated with usrsctp: zero checksum ${assoc.zeroChecksumInUse}, I-DATA ${assoc.iData}`);
      const sizes = [0, 1, 1000, 1200, 16384, 65536, 262144];
      await echoCheck(dc, [...sizes.map((n) => randomBytes(n) as Uint8Array), ...sizes.map((n) => "x".repeat(n))]);
      // Unordered, no retransmissions, and a negotiated channel.
      const pr = ours.createDataChannel("pr", { ordered: false, maxRetransmits: 0 });
      pr.binaryType = "arraybuffer";
      await whenOpen(pr);
      const gotPr = collect(pr, 50);
      for (let i = 0; i < 50; i++) pr.send(`u${i}`);
      assert.equal(new Set(await gotPr).size, 50);
      const negOurs = ours.createDataChannel("neg", { negotiated: true, id: 100 });
      const negTheirs = theirs.createDataChannel("neg", { negotiated: true, id: 100 });
      await Promise.all([whenOpen(negOurs), whenOpen(negTheirs)]);
      const gotNeg = collect(negTheirs, 1);
      negOurs.send("negotiated");
      assert.deepEqual(await gotNeg, ["negotiated"]);
      // Close from our side: the usrsctp side sees its channel close.
      negOurs.close();
      await until(() => negTheirs.readyState === "closed", "usrsctp's negotiated channel closed");
      // One packet in seven of ours lost for a while: the rtx=0 channel abandons and sends FORWARD
      // TSN, the reliable channel retransmits; usrsctp follows both.
      const poll = assoc.pollTransmit.bind(assoc);
      let n = 0;
      let forwards = 0;
      assoc.pollTransmit = () => {
        for (;;) {
          const p = poll();
          if (!p) return p;
          for (let o = 12; o + 4 <= p.length; ) {
            if (p[o] === 192) forwards++;
            const len = (p[o + 2]! << 8) | p[o + 3]!;
            if (len < 4) break;
            o += (len + 3) & ~3;
          }
          if (++n % 7 !== 3) return p;
        }
      };
      const lossyBack: unknown[] = [];
      pr.onmessage = (e: Any) => lossyBack.push(e.data);
      const reliable = collect(dc, 30);
      for (let i = 0; i < 300; i++) pr.send(randomBytes(500 + ((i * 131) % 2500)));
      for (let i = 0; i < 30; i++) dc.send(`reliable ${i}`);
      assert.deepEqual(
        await reliable,
        Array.from({ length: 30 }, (_, i) => `reliable ${i}`),
      );
      await until(() => forwards > 0, "a FORWARD TSN was sent");
      assoc.pollTransmit = poll;
      lossyBack.length = 0;
      for (let i = 0; i < 20; i++) pr.send(`after ${i}`);
      await until(() => lossyBack.length > 10, "the rtx=0 channel still works");
      // Many messages through a full window.
      const many = Array.from({ length: 2000 }, (_, i) => `m${i}`);
      await echoCheck(dc, many);
      assert.equal(assoc.state, "established");
    } finally {
      base.setup = setup;
      ours.close();
      theirs.close();
      await new Promise((r) => setTimeout(r, 100));
      ndc.cleanup();
    }
  });
}
