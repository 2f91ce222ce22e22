// RED (RFC 2198) through two RTCPeerConnections over loopback UDP: getCapabilities lists
// audio/red; without preferences Opus is sent plainly; setCodecPreferences([red, ...]) puts RED
// first in the offer (fmtp 63 111/111), the sender sends RED (outbound-rtp codec audio/red), the
// receiver unwraps each frame once (inbound-rtp codec audio/red, fecPacketsReceived for the
// redundant copies, all discarded without loss).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MediaStream, RTCPeerConnection, RTCRtpSender, type RTCTrackEvent } from "../../src/index.js";
import { createEncodedAudioTrack, createFrameSink } from "../../src/nonstandard/index.js";
import { connect, once, until } from "./helpers.js";

async function run(preferRed: boolean) {
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  try {
    const audio = createEncodedAudioTrack();
    a.addTrack(audio.track, new MediaStream([audio.track]));
    if (preferRed) {
      const caps = RTCRtpSender.getCapabilities("audio")!.codecs;
      const red = caps.filter((c) => c.mimeType === "audio/red");
      assert.deepEqual(
        red.map((c) => [c.clockRate, c.channels, c.sdpFmtpLine]),
        [[48000, 2, "111/111"]],
      );
      a.getTransceivers()[0]!.setCodecPreferences([...red, ...caps.filter((c) => c.mimeType !== "audio/red")]);
    }
    const trackEv = once<RTCTrackEvent>(b, "track");
    await connect(a, b);
    const ev = await trackEv;
    const offer = a.localDescription!.sdp;
    assert.match(offer, preferRed ? /m=audio 9 [A-Z/]+ 63 111 / : /m=audio 9 [A-Z/]+ 111 63 /);
    assert.match(offer, /a=fmtp:63 111\/111/);
    await until(() => a.connectionState === "connected" && b.connectionState === "connected", "connected");
    const got: number[] = [];
    createFrameSink(ev.track, (f) => got.push(f.data[1]!));
    const N = 20;
    for (let i = 0; i < N; i++) {
      audio.writeFrame({ data: new Uint8Array([0xfc, i, 1, 2, 3]), timestamp: i * 960 });
      await new Promise((r) => setTimeout(r, 5));
    }
    await until(() => got.length >= N, `audio frames (${got.length})`, 5000);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      got,
      Array.from({ length: N }, (_, i) => i),
      "every frame once, in order",
    );
    const sent = [...(await a.getStats()).values()];
    const out = sent.find((s) => s.type === "outbound-rtp")!;
    const recv = [...(await b.getStats()).values()];
    const inb = recv.find((s) => s.type === "inbound-rtp")!;
    return {
      sendCodec: sent.find((s) => s.id === out.codecId)?.mimeType,
      recvCodec: recv.find((s) => s.id === inb.codecId)?.mimeType,
      fecReceived: inb.fecPacketsReceived,
      fecDiscarded: inb.fecPacketsDiscarded,
    };
  } finally {
    a.close();
    b.close();
  }
}

describe("RED between two RTCPeerConnections", () => {
  it("by default Opus goes plainly (RED offered after it)", async () => {
    assert.deepEqual(await run(false), {
      sendCodec: "audio/opus",
      recvCodec: "audio/opus",
      fecReceived: undefined,
      fecDiscarded: undefined,
    });
  });

  it("setCodecPreferences([red, ...]): RED is sent and unwrapped, each redundant copy counted and discarded", async () => {
    // The first packet has no earlier frame to carry: 19 redundant copies for 20 frames. Loopback
    // UDP may (rarely) drop a datagram: then one copy fewer arrives and one is used, not discarded.
    const r = await run(true);
    assert.equal(r.sendCodec, "audio/red");
    assert.equal(r.recvCodec, "audio/red");
    const fec = `fecPacketsReceived ${r.fecReceived}, fecPacketsDiscarded ${r.fecDiscarded}`;
    assert.ok(r.fecReceived === 19 || r.fecReceived === 18, `19 expected, 18 if a datagram was lost: ${fec}`);
    assert.ok(
      r.fecDiscarded === r.fecReceived || r.fecDiscarded === r.fecReceived - 1,
      `all discarded, or one used after a loss: ${fec}`,
    );
  });

  it("setCodecPreferences: only RTX/RED/FEC/CN codecs is InvalidModificationError; RED without Opus is dropped", async () => {
    const caps = RTCRtpSender.getCapabilities("audio")!.codecs;
    const red = caps.filter((c) => c.mimeType === "audio/red");
    const pcmu = caps.filter((c) => c.mimeType === "audio/PCMU");
    const a = new RTCPeerConnection();
    try {
      const t = a.addTransceiver("audio");
      assert.throws(() => t.setCodecPreferences(red), { name: "InvalidModificationError" });
      const video = a.addTransceiver("video");
      const vcaps = RTCRtpSender.getCapabilities("video")!.codecs;
      const rtx = vcaps.filter((c) => c.mimeType === "video/rtx");
      if (rtx.length > 0) assert.throws(() => video.setCodecPreferences(rtx), { name: "InvalidModificationError" });
      // RED before PCMU without Opus: RED is not offered (its fmtp would name a format not offered).
      t.setCodecPreferences([...red, ...pcmu]);
      const offer = (await a.createOffer()).sdp!;
      const m = offer.split("m=").find((x) => x.startsWith("audio"))!;
      assert.match(m, /^audio 9 [A-Z/]+ 0\r\n/, m.split("\r\n")[0]);
      assert.doesNotMatch(m, /red\//i);
      // With Opus, RED first stays first.
      t.setCodecPreferences([...red, ...caps.filter((c) => c.mimeType === "audio/opus")]);
      const offer2 = (await a.createOffer()).sdp!;
      assert.match(offer2, /m=audio 9 [A-Z/]+ 63 111\r\n/);
      assert.match(offer2, /a=fmtp:63 111\/111/);
    } finally {
      a.close();
    }
  });
});
