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
    // The first packet has no earlier frame to carry: 19 redundant copies for 20 frames.
    assert.deepEqual(await run(true), {
      sendCodec: "audio/red",
      recvCodec: "audio/red",
      fecReceived: 19,
      fecDiscarded: 19,
    });
  });
});
