// Interop with headless Chromium's RTCPeerConnection (libwebrtc: usrsctp/dcsctp, BoringSSL DTLS):
// both offer/answer roles, channels opened from each side, echo of strings and binary 0 B..256 KiB
// byte-exact, unordered and partially reliable channels, negotiated channels, 50 channels, closing
// a channel from either side and closing the whole connection from either side; Chromium's own
// candidates (mDNS .local names without media permission, raw IPs after getUserMedia).
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { test } from "node:test";
import { type RTCDataChannel, type RTCDataChannelEvent, RTCPeerConnection } from "../../src/index.js";
import { collect, once, opened, until } from "../webrtc/helpers.js";
import { BrowserPeer, launchBrowser } from "./browser.js";

const sha = (b: ArrayBuffer | Uint8Array) => createHash("sha256").update(new Uint8Array(b)).digest("hex");

/** Sends messages on a channel whose far end echoes, and checks the echoes byte for byte. */
async function echo(dc: RTCDataChannel, messages: (string | Uint8Array)[]): Promise<void> {
  const got = collect(dc, messages.length, 30_000);
  for (const m of messages) dc.send(m);
  const back = await got;
  messages.forEach((m, i) => {
    if (typeof m === "string") assert.equal(back[i], m, `string ${i} (${m.length} chars)`);
    else {
      const b = back[i] as ArrayBuffer;
      assert.ok(b instanceof ArrayBuffer, `binary ${i} is an ArrayBuffer`);
      assert.equal(b.byteLength, m.length, `binary ${i} length`);
      assert.equal(sha(b), sha(m), `binary ${i} bytes`);
    }
  });
}

const SIZES = [0, 1, 1000, 1200, 16384, 65536, 262144];
const payloads = (): (string | Uint8Array)[] =>
  SIZES.flatMap((n) => [randomBytes(n) as Uint8Array, "x".repeat(Math.min(n, 262144))]);

test("Chromium interop", { timeout: 120_000 }, async (t) => {
  const session = await launchBrowser(t);
  if (!session) return;
  try {
    await t.test("Petrel offers; channels from both sides; echo 0 B..256 KiB; close both ways", async () => {
      const browser = await BrowserPeer.open(session);
      const pc = new RTCPeerConnection();
      try {
        const dc = pc.createDataChannel("echo");
        await browser.nodeOffers(pc);
        await opened(dc);
        await until(() => pc.connectionState === "connected", "connected");
        await echo(dc, payloads());
        // A channel opened by the browser.
        const remote = once<RTCDataChannelEvent<RTCDataChannel>>(pc, "datachannel");
        await browser.createChannel("from-chrome", { ordered: false, maxRetransmits: 2 });
        const rc = (await remote).channel;
        assert.equal(rc.label, "from-chrome");
        assert.equal(rc.ordered, false);
        assert.equal(rc.maxRetransmits, 2);
        await echo(rc, ["hi", new Uint8Array([1, 2, 3])]);
        // Close from our side: the browser's channel closes.
        dc.close();
        await until(() => dc.readyState === "closed", "our channel closed");
        await browser.page.waitForFunction(() =>
          (window as unknown as { channels: { label: string; readyState: string }[] }).channels.every(
            (c) => c.label !== "echo" || c.readyState === "closed",
          ),
        );
        // Close from the browser's side: ours closes.
        const closed = once(rc, "close");
        await browser.closeChannel("from-chrome");
        await closed;
        // Stats on both sides agree that DTLS is up.
        const stats = await pc.getStats();
        const transport = [...stats.values()].find((s) => s.type === "transport")!;
        assert.equal(transport.dtlsState, "connected");
        const bStats = await browser.stats();
        assert.ok(bStats.some((s) => s.type === "transport" && s.dtlsState === "connected"));
        // Closing our connection (SCTP ABORT, DTLS close_notify) closes the browser's DTLS transport.
        const lastOpened = once(pc, "datachannel");
        await browser.createChannel("last");
        await lastOpened;
        pc.close();
        await browser.page.waitForFunction(
          () => {
            const w = window as unknown as {
              pc: { sctp: { transport: { state: string } } | null };
              channels: { label: string; readyState: string }[];
            };
            return (
              w.pc.sctp?.transport.state === "closed" &&
              w.channels.find((c) => c.label === "last")?.readyState === "closed"
            );
          },
          undefined,
          { timeout: 20_000 },
        );
      } finally {
        pc.close();
        await browser.page.close();
      }
    });

    await t.test("Chromium offers with raw IPs (after getUserMedia); unordered, partial, negotiated", async () => {
      const browser = await BrowserPeer.open(session, { media: true });
      const pc = new RTCPeerConnection();
      try {
        const remote = once<RTCDataChannelEvent<RTCDataChannel>>(pc, "datachannel");
        await browser.browserOffers(pc, "chrome-first");
        const rc = (await remote).channel;
        await until(() => pc.connectionState === "connected", "connected");
        assert.ok(
          browser.candidates.some((c) => / typ host/.test(c) && !c.includes(".local")),
          `raw host IPs: ${browser.candidates.join(" | ")}`,
        );
        assert.deepEqual(browser.addErrors, [], "every Chromium candidate (TCP and IPv6 too) is accepted");
        await echo(rc, payloads());
        const un = pc.createDataChannel("unordered", { ordered: false });
        const pr = pc.createDataChannel("partial", { maxPacketLifeTime: 1000 });
        const neg = pc.createDataChannel("neg", { negotiated: true, id: 100 });
        await browser.createChannel("neg", { negotiated: true, id: 100 });
        await Promise.all([opened(un), opened(pr), opened(neg)]);
        await echo(
          un,
          Array.from({ length: 50 }, (_, i) => `u${i}`),
        );
        await echo(pr, [randomBytes(5000), "p"]);
        await echo(neg, ["negotiated", randomBytes(70000)]);
        // The browser closes the whole connection: our channels close.
        const closed = once(rc, "close", 40_000);
        await browser.closePc();
        await closed;
      } finally {
        pc.close();
        await browser.page.close();
      }
    });

    await t.test("Chromium offers audio, video and data: media answered recvonly, data works", async () => {
      const browser = await BrowserPeer.open(session);
      const pc = new RTCPeerConnection();
      try {
        const remote = once<RTCDataChannelEvent<RTCDataChannel>>(pc, "datachannel");
        const ours: { sdpMid: string | null; sdpMLineIndex: number | null }[] = [];
        pc.addEventListener("icecandidate", (e) => {
          const c = (e as unknown as { candidate: { sdpMid: string | null; sdpMLineIndex: number | null } | null })
            .candidate;
          if (c) ours.push({ sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex });
        });
        await browser.browserOffers(pc, "after-media", true);
        const answer = pc.localDescription!.sdp;
        // Media is accepted (src/sdp/media.ts); with no tracks of ours both are recvonly.
        assert.match(answer, /m=audio [1-9][0-9]* UDP\/TLS\/RTP\/SAVPF 111 /, "audio accepted, Opus first");
        assert.match(answer, /m=video [1-9][0-9]* UDP\/TLS\/RTP\/SAVPF 96 /, "video accepted, VP8 first");
        assert.equal(answer.match(/a=recvonly/g)?.length, 2, "both recvonly");
        const rc = (await remote).channel;
        await until(() => pc.connectionState === "connected", "connected");
        assert.deepEqual(browser.addErrors, []);
        await echo(rc, ["with media sections bundled", randomBytes(20000)]);
        // Our trickled candidates name the data section by its mid and its m-line index (2).
        assert.ok(ours.length > 0);
        for (const c of ours) assert.deepEqual(c, { sdpMid: "2", sdpMLineIndex: 2 });
      } finally {
        pc.close();
        await browser.page.close();
      }
    });

    await t.test("bulk: 8 MiB each way with bufferedAmount flow control, SHA-256 equal", async () => {
      const browser = await BrowserPeer.open(session);
      const pc = new RTCPeerConnection();
      try {
        const remote = once<RTCDataChannelEvent<RTCDataChannel>>(pc, "datachannel");
        await browser.browserOffers(pc, "bulk-setup");
        await remote;
        const total = 8 * 1024 * 1024;
        const chunk = 64 * 1024;
        // Chromium -> Petrel: the page sends; we hash what arrives.
        const inbound = once<RTCDataChannelEvent<RTCDataChannel>>(pc, "datachannel");
        const sentDigest = browser.page.evaluate(
          async ([n, size]) => {
            const w = window as unknown as { pc: { createDataChannel(l: string): RTCDataChannel } };
            const ch = w.pc.createDataChannel("to-node");
            await new Promise((r) => {
              ch.onopen = r;
            });
            ch.bufferedAmountLowThreshold = 1 << 20;
            const all = new Uint8Array(n);
            for (let o = 0; o < n; o += 65536) crypto.getRandomValues(all.subarray(o, Math.min(n, o + 65536)));
            for (let o = 0; o < n; o += size) {
              if (ch.bufferedAmount > 4 << 20) {
                await new Promise((r) => {
                  ch.onbufferedamountlow = r;
                });
              }
              ch.send(all.subarray(o, o + size));
            }
            const d = await crypto.subtle.digest("SHA-256", all);
            return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
          },
          [total, chunk] as const,
        );
        const ch = (await inbound).channel;
        const h = createHash("sha256");
        let got = 0;
        await new Promise<void>((resolve) => {
          ch.onmessage = (e) => {
            const b = new Uint8Array(e.data as ArrayBuffer);
            h.update(b);
            got += b.length;
            if (got >= total) resolve();
          };
        });
        assert.equal(got, total);
        assert.equal(h.digest("hex"), await sentDigest, "Chromium -> Petrel bytes");
        // Petrel -> Chromium: the page's collector is installed first, then we send with flow control.
        await browser.page.evaluate((n) => {
          type PageChannel = { binaryType: string; onmessage: ((m: { data: ArrayBuffer }) => void) | null };
          const w = window as unknown as {
            pc: { ondatachannel: ((e: { channel: PageChannel }) => void) | null };
            bulkDigest: Promise<string>;
          };
          w.bulkDigest = new Promise<string>((resolve) => {
            w.pc.ondatachannel = (e) => {
              const c = e.channel;
              c.binaryType = "arraybuffer";
              const parts: Uint8Array[] = [];
              let len = 0;
              c.onmessage = async (m) => {
                const b = new Uint8Array(m.data);
                parts.push(b);
                len += b.length;
                if (len < n) return;
                const all = new Uint8Array(len);
                let o = 0;
                for (const p of parts) {
                  all.set(p, o);
                  o += p.length;
                }
                const d = await crypto.subtle.digest("SHA-256", all);
                resolve(Array.from(new Uint8Array(d), (x) => x.toString(16).padStart(2, "0")).join(""));
              };
            };
          });
        }, total);
        const out = pc.createDataChannel("to-chrome");
        await opened(out);
        const data = randomBytes(total);
        out.bufferedAmountLowThreshold = 1 << 20;
        for (let o = 0; o < total; o += chunk) {
          if (out.bufferedAmount > 4 << 20) await once(out, "bufferedamountlow", 30_000);
          out.send(data.subarray(o, o + chunk));
        }
        const received = await browser.page.evaluate(
          () => (window as unknown as { bulkDigest: Promise<string> }).bulkDigest,
        );
        assert.equal(received, sha(data), "Petrel -> Chromium bytes");
      } finally {
        pc.close();
        await browser.page.close();
      }
    });

    await t.test("50 channels at once", async () => {
      const browser = await BrowserPeer.open(session);
      const pc = new RTCPeerConnection();
      try {
        const chans = Array.from({ length: 50 }, (_, i) => pc.createDataChannel(`c${i}`));
        await browser.nodeOffers(pc);
        await Promise.all(chans.map((c) => opened(c, 20_000)));
        assert.equal(new Set(chans.map((c) => c.id)).size, 50);
        await Promise.all(chans.map((c, i) => echo(c, [`message ${i}`, randomBytes(i * 100)])));
      } finally {
        pc.close();
        await browser.page.close();
      }
    });
  } finally {
    await session.close();
  }
});
