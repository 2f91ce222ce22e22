// Interop with werift (another TypeScript WebRTC stack, its own ICE/DTLS/SCTP) in one process over
// loopback UDP: both offer/answer roles, channels from each side, echo of strings and binary
// 0 B..256 KiB byte-exact, unordered, partially reliable and negotiated channels, 50 channels,
// closing channels from either side and closing the connection.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { test } from "node:test";
import * as werift from "werift";
import { type RTCDataChannel, RTCPeerConnection } from "../../src/index.js";
import { collect, opened, until } from "../webrtc/helpers.js";

type WPc = werift.RTCPeerConnection;
type WDc = werift.RTCDataChannel;

const sha = (b: ArrayBuffer | Uint8Array) => createHash("sha256").update(new Uint8Array(b)).digest("hex");

function echoOn(dc: WDc): void {
  dc.onMessage.subscribe((data) => {
    if (dc.readyState === "open") dc.send(data);
  });
}

function newWerift(): { pc: WPc; channels: WDc[] } {
  const pc = new werift.RTCPeerConnection({});
  const channels: WDc[] = [];
  pc.onDataChannel.subscribe((dc) => {
    channels.push(dc);
    echoOn(dc);
  });
  return { pc, channels };
}

function trickle(ours: RTCPeerConnection, theirs: WPc): void {
  ours.addEventListener("icecandidate", (e) => {
    const c = (e as unknown as { candidate: { toJSON(): Record<string, unknown> } | null }).candidate;
    if (c) void theirs.addIceCandidate(c.toJSON() as never).catch(() => {});
  });
  theirs.onIceCandidate.subscribe((c) => {
    if (c?.candidate) void ours.addIceCandidate(c.toJSON() as never).catch(() => {});
  });
}

async function echo(dc: RTCDataChannel, messages: (string | Uint8Array)[]): Promise<void> {
  const got = collect(dc, messages.length, 30_000);
  for (const m of messages) dc.send(m);
  const back = await got;
  messages.forEach((m, i) => {
    if (typeof m === "string") assert.equal(back[i], m, `string ${i}`);
    else {
      const b = back[i] as ArrayBuffer;
      assert.ok(b instanceof ArrayBuffer, `binary ${i} is an ArrayBuffer`);
      assert.equal(b.byteLength, m.length, `binary ${i} length`);
      assert.equal(sha(b), sha(m), `binary ${i} bytes`);
    }
  });
}

// werift advertises no a=max-message-size (so 64 KiB applies, RFC 8841 6) and sends an empty
// message its own way: sizes from 1 byte to 64 KiB.
const SIZES = [1, 1000, 1200, 16384, 65536];
const payloads = (): (string | Uint8Array)[] => SIZES.flatMap((n) => [randomBytes(n) as Uint8Array, "y".repeat(n)]);

test("werift interop: Petrel offers", { timeout: 60_000 }, async () => {
  const pc = new RTCPeerConnection();
  const w = newWerift();
  try {
    trickle(pc, w.pc);
    const dc = pc.createDataChannel("echo");
    await pc.setLocalDescription(await pc.createOffer());
    await w.pc.setRemoteDescription(pc.localDescription!.toJSON() as never);
    await w.pc.setLocalDescription(await w.pc.createAnswer());
    await pc.setRemoteDescription({ type: w.pc.localDescription!.type, sdp: w.pc.localDescription!.sdp } as never);
    await opened(dc, 20_000);
    await echo(dc, payloads());
    // werift numbers in-band channels only once its SCTP transport started, which its connect()
    // skips when DTLS completed before its ICE start() resolved (a race inside werift 0.24 that a
    // fast peer triggers): werift's own channels here are negotiated ones, which need no number.
    const wneg = w.pc.createDataChannel("w-neg", { negotiated: true, id: 300, ordered: false, maxRetransmits: 1 });
    echoOn(wneg);
    const rc = pc.createDataChannel("w-neg", { negotiated: true, id: 300, ordered: false, maxRetransmits: 1 });
    await opened(rc);
    await echo(rc, ["a", randomBytes(3000)]);
    // Close ours: werift's end closes.
    dc.close();
    await until(() => dc.readyState === "closed", "closed");
    await until(() => w.channels.find((c) => c.label === "echo")?.readyState === "closed", "werift channel closed");
  } finally {
    pc.close();
    await w.pc.close();
  }
});

test("werift interop: werift offers; negotiated, unordered, partial, 50 channels", { timeout: 60_000 }, async () => {
  const pc = new RTCPeerConnection();
  const w = newWerift();
  try {
    trickle(pc, w.pc);
    // werift's first channel is a negotiated one (see above: its in-band numbering may be unset).
    const wneg = w.pc.createDataChannel("neg", { negotiated: true, id: 200 });
    echoOn(wneg);
    await w.pc.setLocalDescription(await w.pc.createOffer());
    await pc.setRemoteDescription({ type: w.pc.localDescription!.type, sdp: w.pc.localDescription!.sdp } as never);
    const neg = pc.createDataChannel("neg", { negotiated: true, id: 200 });
    await pc.setLocalDescription(await pc.createAnswer());
    await w.pc.setRemoteDescription(pc.localDescription!.toJSON() as never);
    await until(() => pc.connectionState === "connected", "connected", 20_000);
    await opened(neg);
    await echo(neg, payloads());
    const un = pc.createDataChannel("unordered", { ordered: false });
    const pr = pc.createDataChannel("partial", { maxPacketLifeTime: 2000 });
    const many = Array.from({ length: 50 }, (_, i) => pc.createDataChannel(`c${i}`));
    await Promise.all([opened(un), opened(pr), ...many.map((c) => opened(c))]);
    await echo(
      un,
      Array.from({ length: 30 }, (_, i) => `u${i}`),
    );
    await echo(pr, [randomBytes(4000)]);
    await Promise.all(many.map((c, i) => echo(c, [`m${i}`])));
  } finally {
    pc.close();
    await w.pc.close();
  }
});
