// Interop with werift (another TypeScript WebRTC stack, its own ICE/DTLS/SCTP) in one process over
// loopback UDP: both offer/answer roles, in-band (DCEP) channels opened from each side (werift's
// before the connection exists and after it is up), echo of strings and binary 1 B..64 KiB
// byte-exact, stream ids of the right parity for each DTLS role (RFC 8832 6), unordered,
// partially reliable and negotiated channels, 50 channels, closing channels and the connection.
//
// How werift 0.24 numbers its in-band channels, read from its lib/webrtc/src: a channel's stream
// id is taken from RTCSctpTransport.dataChannelId (0 when its ICE role is controlled, 1 when
// controlling), which only RTCSctpTransport.start() sets. start() is the last step of
// RTCPeerConnection.connect(): `await iceTransport.start()` (resolves when werift's whole ICE
// checklist is done, ~0.1-0.5 s after the pair works), then `await dtlsTransport.start()` (creates
// its DtlsServer/DtlsClient only then; a client waits a further 100 ms before its ClientHello),
// then connectSctp(). connect() returns early, skipping both, if its ICE transport is already
// "connected" when it is called or DTLS is "connected" when ICE start() resolves. Meanwhile its
// SCTP association answers a peer's INIT on its own; channels queued before start() are flushed
// when the association is established. So a werift channel gets an undefined id if werift's
// association is established before start() ran. Against Petrel that does not happen in either
// role: Petrel sends its INIT only after its DTLS handshake is complete; werift fires onConnect on
// the Finished record itself (client.js/server.js) and reaches start() in promise continuations,
// before the next datagram (the INIT) is read. Instrumented runs (about 30, in both roles, some
// under parallel load) always found werift's association still CLOSED when start() ran. When
// werift offers it is the DTLS server and has no DtlsServer until its checklist completes, so
// Petrel's early ClientHellos are retransmitted until then. Petrel starts DTLS on the first valid
// pair (RFC 8445 12.1), as Chrome does once its transport is writable, and sends INIT when DTLS is
// up, as browsers do: nothing here differs from a browser, so nothing changed on Petrel's side.
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

/** The channels a Petrel connection receives in-band, by label (recorded from the start). */
function remoteChannels(pc: RTCPeerConnection): (label: string) => Promise<RTCDataChannel> {
  const got = new Map<string, RTCDataChannel>();
  const waiting = new Map<string, (dc: RTCDataChannel) => void>();
  pc.addEventListener("datachannel", (e) => {
    const dc = (e as unknown as { channel: RTCDataChannel }).channel;
    got.set(dc.label, dc);
    waiting.get(dc.label)?.(dc);
  });
  return (label) => {
    const dc = got.get(label);
    if (dc) return Promise.resolve(dc);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no datachannel event for ${label}`)), 20_000);
      waiting.set(label, (d) => {
        clearTimeout(timer);
        resolve(d);
      });
    });
  };
}

/** werift's channel `label` (created in-band by werift) seen by Petrel: open, its id, echoing. */
async function checkWeriftChannel(
  take: (label: string) => Promise<RTCDataChannel>,
  wdc: WDc,
  parity: 0 | 1,
  messages: (string | Uint8Array)[],
): Promise<void> {
  const dc = await take(wdc.label);
  await opened(dc);
  assert.equal(wdc.readyState, "open", `werift's ${wdc.label} is open`);
  assert.equal(typeof wdc.id, "number", `werift numbered ${wdc.label}`);
  assert.equal(dc.id, wdc.id, `${wdc.label}: both sides agree on the stream id`);
  assert.equal(dc.id! % 2, parity, `${wdc.label}: id ${dc.id} has the DTLS role's parity`);
  assert.equal(dc.negotiated, false);
  assert.equal(dc.ordered, wdc.ordered, `${wdc.label}: ordered`);
  assert.equal(dc.maxRetransmits, wdc.maxRetransmits ?? null, `${wdc.label}: maxRetransmits`);
  await echo(dc, messages);
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

test("werift interop: Petrel offers; in-band channels from each side", { timeout: 60_000 }, async () => {
  const pc = new RTCPeerConnection();
  const take = remoteChannels(pc);
  const w = newWerift();
  try {
    trickle(pc, w.pc);
    const dc = pc.createDataChannel("echo");
    await pc.setLocalDescription(await pc.createOffer());
    await w.pc.setRemoteDescription(pc.localDescription!.toJSON() as never);
    // werift's own in-band channel, created before the connection exists.
    const wEarly = w.pc.createDataChannel("w-early");
    echoOn(wEarly);
    await w.pc.setLocalDescription(await w.pc.createAnswer());
    assert.match(w.pc.localDescription!.sdp, /a=setup:active/, "werift answers as DTLS client");
    await pc.setRemoteDescription({ type: w.pc.localDescription!.type, sdp: w.pc.localDescription!.sdp } as never);
    await opened(dc, 20_000);
    // Petrel is the DTLS server here: odd ids for its channels, even for werift's (RFC 8832 6).
    assert.equal(dc.id! % 2, 1, `Petrel's id ${dc.id}`);
    await echo(dc, payloads());
    await checkWeriftChannel(take, wEarly, 0, ["early", randomBytes(5000)]);
    // And one werift opens once it reports the connection up.
    await until(() => w.pc.connectionState === "connected", "werift connected");
    const wLate = w.pc.createDataChannel("w-late", { ordered: false });
    echoOn(wLate);
    await checkWeriftChannel(take, wLate, 0, payloads());
    // A negotiated one too (no DCEP).
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

test("werift interop: werift offers; in-band from each side, negotiated, unordered, partial, 50 channels", {
  timeout: 60_000,
}, async () => {
  const pc = new RTCPeerConnection();
  const take = remoteChannels(pc);
  const w = newWerift();
  try {
    trickle(pc, w.pc);
    // werift's in-band channel, created before its offer, and a negotiated one.
    const wEarly = w.pc.createDataChannel("w-early");
    echoOn(wEarly);
    const wneg = w.pc.createDataChannel("neg", { negotiated: true, id: 200 });
    echoOn(wneg);
    await w.pc.setLocalDescription(await w.pc.createOffer());
    await pc.setRemoteDescription({ type: w.pc.localDescription!.type, sdp: w.pc.localDescription!.sdp } as never);
    const neg = pc.createDataChannel("neg", { negotiated: true, id: 200 });
    await pc.setLocalDescription(await pc.createAnswer());
    assert.match(pc.localDescription!.sdp, /a=setup:active/, "Petrel answers as DTLS client");
    await w.pc.setRemoteDescription(pc.localDescription!.toJSON() as never);
    await until(() => pc.connectionState === "connected", "connected", 20_000);
    await opened(neg);
    await echo(neg, payloads());
    // werift is the DTLS server here: odd ids for its channels (RFC 8832 6).
    await checkWeriftChannel(take, wEarly, 1, payloads());
    await until(() => w.pc.connectionState === "connected", "werift connected");
    const wLate = w.pc.createDataChannel("w-late", { maxRetransmits: 3 });
    echoOn(wLate);
    await checkWeriftChannel(take, wLate, 1, ["late", randomBytes(2000)]);
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
    // Petrel's in-band channels, as DTLS client, are even.
    assert.ok(
      [un, pr, ...many].every((c) => c.id! % 2 === 0),
      "Petrel's ids are even",
    );
  } finally {
    pc.close();
    await w.pc.close();
  }
});
