// Interop with headless Chromium's dcSCTP through the whole stack, with message interleaving off
// (DATA, FORWARD TSN: Chromium's default) and on (field trial WebRTC-DataChannelMessageInterleaving:
// I-DATA, I-FORWARD-TSN, RFC 8260). Byte-exact echoes of big and small messages on parallel
// channels, packet loss injected on our side so that an unordered rtx=0 channel abandons messages
// and tells Chromium with a FORWARD TSN, reliable recovery, channel close. Skips without Chromium.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { test } from "node:test";
import { type RTCDataChannel, RTCPeerConnection } from "../../src/index.js";
import { SctpAssociation } from "../../src/sctp/index.js";
import { BrowserPeer, launchBrowser } from "../interop/browser.js";
import { collect, opened, until } from "../webrtc/helpers.js";

const sha = (b: ArrayBuffer | Uint8Array) => createHash("sha256").update(new Uint8Array(b)).digest("hex");

for (const interleaving of [false, true]) {
  const name = interleaving ? "with I-DATA (message interleaving on)" : "with DATA (default)";
  test(`Chromium ${name}: loss and FORWARD TSN`, { timeout: 120_000 }, async (t) => {
    const session = await launchBrowser(
      t,
      interleaving ? { args: ["--force-fieldtrials=WebRTC-DataChannelMessageInterleaving/Enabled/"] } : {},
    );
    if (!session) return;
    // Observe what the association negotiated (the W3C API does not show it).
    const base = Object.getPrototypeOf(SctpAssociation.prototype) as { setup: (...a: unknown[]) => void };
    const setup = base.setup;
    const seen: SctpAssociation[] = [];
    base.setup = function (this: SctpAssociation, ...a: unknown[]) {
      setup.apply(this, a);
      seen.push(this);
    };
    const browser = await BrowserPeer.open(session);
    const pc = new RTCPeerConnection();
    try {
      const big = pc.createDataChannel("big");
      const small = pc.createDataChannel("small");
      const lossy = pc.createDataChannel("lossy", { ordered: false, maxRetransmits: 0 });
      await browser.nodeOffers(pc);
      await Promise.all([opened(big), opened(small), opened(lossy)]);
      const assoc = seen[seen.length - 1];
      assert.ok(assoc, "an association was set up");
      assert.equal(assoc.iData, interleaving, "I-DATA negotiated exactly when Chromium offers it");
      // Big messages on one channel while small ones go on another: all echoed byte for byte.
      const bigs = Array.from({ length: 8 }, () => randomBytes(262144) as Uint8Array);
      const smalls = Array.from({ length: 50 }, (_, i) => `small ${i}`);
      const gotBig = collect(big, bigs.length, 60_000);
      const gotSmall = collect(small, smalls.length, 60_000);
      for (const b of bigs) big.send(b);
      for (const s of smalls) small.send(s);
      const [backBig, backSmall] = await Promise.all([gotBig, gotSmall]);
      for (let i = 0; i < bigs.length; i++) assert.equal(sha(backBig[i] as ArrayBuffer), sha(bigs[i]!), `big ${i}`);
      assert.deepEqual(backSmall, smalls);
      // Unordered, no retransmissions: most of it comes back (loopback under load does lose some).
      const firstLossy: unknown[] = [];
      lossy.onmessage = (e) => firstLossy.push(e.data);
      for (let i = 0; i < 100; i++) lossy.send(randomBytes(1 + ((i * 997) % 3000)));
      await until(() => firstLossy.length > 50, "lossy echoes", 30_000);
      // A timed channel whose big messages mostly expire part-way: abandoned fragments are skipped
      // with I-FORWARD-TSN, and the association and the other channels carry on.
      const timed = pc.createDataChannel("timed", { maxPacketLifeTime: 1 });
      await opened(timed);
      for (let i = 0; i < 20; i++) timed.send(randomBytes(262144));
      await until(() => timed.bufferedAmount === 0, "timed channel drained", 30_000);
      await until(() => (assoc.sender.stats.abandonedMessages ?? 0) > 0, "some messages abandoned", 10_000);
      await echoOnce(big);
      assert.notEqual(assoc.state, "closed");
      // 15% of our packets lost for a while: the unordered rtx=0 channel abandons what was lost and
      // tells Chromium with I-FORWARD-TSN; the reliable channel retransmits; both carry on.
      const poll = assoc.pollTransmit.bind(assoc);
      let n = 0;
      let forwards = 0;
      assoc.pollTransmit = () => {
        for (;;) {
          const p = poll();
          if (!p) return p;
          for (let o = 12; o + 4 <= p.length; ) {
            if (p[o] === (interleaving ? 194 : 192)) forwards++;
            const len = (p[o + 2]! << 8) | p[o + 3]!;
            if (len < 4) break;
            o += (len + 3) & ~3;
          }
          if (++n % 7 !== 3) return p; // drop one packet in seven
        }
      };
      const lossyBack: unknown[] = [];
      lossy.onmessage = (e) => lossyBack.push(e.data);
      await new Promise((r) => setTimeout(r, 500)); // late echoes of the first round
      const reliableBack = collect(big, 30, 60_000);
      for (let i = 0; i < 300; i++) lossy.send(randomBytes(500 + ((i * 131) % 2500)));
      for (let i = 0; i < 30; i++) big.send(`reliable ${i}`);
      assert.deepEqual(
        await reliableBack,
        Array.from({ length: 30 }, (_, i) => `reliable ${i}`),
      );
      await until(() => forwards > 0, "a FORWARD TSN was sent", 20_000);
      assoc.pollTransmit = poll;
      await echoOnce(big);
      lossyBack.length = 0;
      for (let i = 0; i < 20; i++) lossy.send(`after ${i}`);
      await until(() => lossyBack.length > 10, "the lossy channel still works after I-FORWARD-TSN", 20_000);
      assert.notEqual(assoc.state, "closed");
      // Close from our side.
      small.close();
      await until(() => small.readyState === "closed", "channel closed");
      await echoOnce(big);
    } finally {
      base.setup = setup;
      pc.close();
      await session.close();
    }
  });
}

async function echoOnce(dc: RTCDataChannel): Promise<void> {
  const got = collect(dc, 1, 10_000);
  dc.send("still open");
  assert.deepEqual(await got, ["still open"]);
}
