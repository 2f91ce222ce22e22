// Media through two RTCPeerConnections over loopback UDP (the whole stack: ICE, DTLS-SRTP keys from
// the exporter, BUNDLE with a data channel, RTP/RTCP): addTrack fires negotiationneeded and the
// remote `track` event with its stream; frames written into a petrel/nonstandard track arrive
// whole; renegotiation adds audio next to video without moving mids; removeTrack makes the
// transceiver recvonly on both sides; getStats has inbound-rtp/outbound-rtp/codec; addTransceiver
// and the API's errors.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { MediaStream, RTCPeerConnection, type RTCTrackEvent } from "../../src/index.js";
import { IvfReader, readEventsSync } from "../../src/media/containers/index.js";
import { createEncodedAudioTrack, createEncodedVideoTrack, createFrameSink } from "../../src/nonstandard/index.js";
import { connect, once, until } from "./helpers.js";

const vp8 = (() => {
  const out = [];
  for (const ev of readEventsSync(new IvfReader(), readFileSync("test/fixtures/media/vp8.ivf"))) {
    if (ev.type === "frame") out.push(ev.frame);
  }
  return out;
})();

/** Renegotiates from `a` to `b` (candidates already flow). */
async function renegotiate(a: RTCPeerConnection, b: RTCPeerConnection): Promise<void> {
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription!);
}

describe("media between two RTCPeerConnections", () => {
  it("addTrack -> track event -> frames; renegotiation; removeTrack; stats", async () => {
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    try {
      const src = createEncodedVideoTrack({ codec: "VP8" });
      const stream = new MediaStream([src.track]);
      const needed = once(a, "negotiationneeded");
      const sender = a.addTrack(src.track, stream);
      await needed;
      assert.equal(a.getSenders()[0], sender);
      assert.throws(() => a.addTrack(src.track, stream), { name: "InvalidAccessError" });
      const dc = a.createDataChannel("side");
      const trackEv = once<RTCTrackEvent>(b, "track");
      await connect(a, b);
      const ev = await trackEv;
      assert.equal(ev.track.kind, "video");
      assert.equal(ev.streams[0]?.id, stream.id);
      assert.equal(ev.transceiver.mid, "0");
      assert.match(a.localDescription!.sdp, /a=group:BUNDLE 0 1/);
      await until(() => a.connectionState === "connected" && b.connectionState === "connected", "connected");
      await once(dc, "open").catch(() => {});
      const got: Uint8Array[] = [];
      createFrameSink(ev.track, (f) => got.push(f.data));
      for (let i = 0; i < vp8.length; i++) {
        src.writeFrame({ data: vp8[i]!.data, timestamp: i * 3000, keyframe: vp8[i]!.keyframe });
        await new Promise((r) => setTimeout(r, 10));
      }
      await until(() => got.length === vp8.length, `frames (${got.length})`, 5000);
      for (let i = 0; i < vp8.length; i++) assert.deepEqual(Buffer.from(got[i]!), Buffer.from(vp8[i]!.data));

      const stats = [...(await b.getStats()).values()];
      const inbound = stats.find((s) => s.type === "inbound-rtp");
      assert.equal(inbound?.framesDecoded, vp8.length);
      assert.equal(stats.find((s) => s.id === inbound?.codecId)?.mimeType, "video/VP8");
      const outbound = [...(await a.getStats()).values()].find((s) => s.type === "outbound-rtp");
      assert.ok((outbound?.packetsSent as number) >= vp8.length);

      // Renegotiation: audio joins; video keeps mid 0, data keeps 1, audio takes 2.
      const audio = createEncodedAudioTrack();
      const again = once(a, "negotiationneeded");
      a.addTrack(audio.track, stream);
      await again;
      const audioEv = once<RTCTrackEvent>(b, "track");
      await renegotiate(a, b);
      const aev = await audioEv;
      assert.equal(aev.track.kind, "audio");
      assert.equal(aev.transceiver.mid, "2");
      assert.deepEqual(
        b.getTransceivers().map((t) => [t.mid, t.currentDirection]),
        [
          ["0", "recvonly"],
          ["2", "recvonly"],
        ],
      );
      const audioGot: number[] = [];
      createFrameSink(aev.track, (f) => audioGot.push(f.data.length));
      for (let i = 0; i < 5; i++) {
        audio.writeFrame({ data: new Uint8Array([0xfc, 0xff, 0xfe]), timestamp: i * 960 });
        await new Promise((r) => setTimeout(r, 10));
      }
      await until(() => audioGot.length === 5, `audio frames (${audioGot.length})`, 5000);

      // removeTrack: sendrecv -> recvonly here, the far side's receiver stops getting media.
      a.removeTrack(sender);
      assert.equal(a.getTransceivers()[0]!.direction, "recvonly");
      await renegotiate(a, b);
      assert.equal(a.getTransceivers()[0]!.currentDirection, "inactive");
      assert.equal(b.getTransceivers()[0]!.currentDirection, "inactive");
      await until(() => ev.track.muted, "remote video muted");
    } finally {
      a.close();
      b.close();
    }
  });

  it("a data-only connection gains video by renegotiation: SRTP is keyed then, frames arrive", async () => {
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    try {
      const dc = a.createDataChannel("first");
      await connect(a, b);
      await until(() => a.connectionState === "connected" && b.connectionState === "connected", "connected");
      if (dc.readyState !== "open") await once(dc, "open");
      const src = createEncodedVideoTrack({ codec: "VP8" });
      const again = once(a, "negotiationneeded");
      a.addTrack(src.track, new MediaStream([src.track]));
      await again;
      const trackEv = once<RTCTrackEvent>(b, "track");
      await renegotiate(a, b);
      const ev = await trackEv;
      assert.equal(ev.track.kind, "video");
      const got: Uint8Array[] = [];
      createFrameSink(ev.track, (f) => got.push(f.data));
      for (let i = 0; i < vp8.length; i++) {
        src.writeFrame({ data: vp8[i]!.data, timestamp: i * 3000, keyframe: vp8[i]!.keyframe });
        await new Promise((r) => setTimeout(r, 10));
      }
      await until(() => got.length === vp8.length, `frames (${got.length})`, 5000);
      for (let i = 0; i < vp8.length; i++) assert.deepEqual(Buffer.from(got[i]!), Buffer.from(vp8[i]!.data));
      assert.equal(dc.readyState, "open", "the data channel stays open");
    } finally {
      a.close();
      b.close();
    }
  });

  it("addTransceiver kinds and directions; errors after close", async () => {
    const pc = new RTCPeerConnection();
    const t = pc.addTransceiver("audio", { direction: "recvonly" });
    assert.equal(t.direction, "recvonly");
    assert.equal(t.mid, null);
    assert.equal(t.sender.track, null);
    assert.equal(t.receiver.track.kind, "audio");
    assert.throws(() => pc.addTransceiver("data"), { name: "TypeError" });
    const offer = await pc.createOffer();
    assert.match(offer.sdp!, /m=audio 9 UDP\/TLS\/RTP\/SAVPF 111 63 0 8/);
    assert.match(offer.sdp!, /a=recvonly/);
    await pc.setLocalDescription(offer);
    assert.equal(t.mid, "0");
    pc.close();
    assert.throws(() => pc.addTransceiver("video"), { name: "InvalidStateError" });
  });
});
