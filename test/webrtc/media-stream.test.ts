// The W3C media objects (src/webrtc/media-stream.ts, rtp-transceiver.ts) and petrel/nonstandard
// sources and sinks over two real MediaSession cores joined in memory (no ICE/DTLS: SRTP keyed
// directly): MediaStream/MediaStreamTrack state and events, capabilities, setCodecPreferences,
// get/setParameters, replaceTrack, a frame-fed track arriving as a remote track's frames, RTP
// sinks, an IVF file played in real time and recorded to IVF and WebM on the other side.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { IvfReader, readEventsSync, WebmReader } from "../../src/media/containers/index.js";
import {
  createEncodedVideoTrack,
  createFrameSink,
  createRtpSink,
  createRtpTrack,
  playFile,
  recordTrack,
} from "../../src/nonstandard/index.js";
import { MediaSession } from "../../src/peer/media.js";
import { SeededRandom } from "../../src/random.js";
import type { Direction } from "../../src/sdp/attributes.js";
import { createAnswer, createOffer, negotiateMedia, parseSdp } from "../../src/sdp/index.js";
import { srtpKeyingMaterialLength } from "../../src/srtp/index.js";
import { addMediaStats } from "../../src/webrtc/media-stats.js";
import { MediaStream, MediaStreamTrack, TrackHub } from "../../src/webrtc/media-stream.js";
import { type MediaHost, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver } from "../../src/webrtc/rtp-transceiver.js";
import type { RTCStatsReport } from "../../src/webrtc/stats.js";
import { answerState, offerState } from "../sdp/helpers.js";

const tick = () => new Promise((r) => setImmediate(r));

/** A MediaSession with a real-time driver that delivers its datagrams to `peer` in memory. */
class Host implements MediaHost {
  readonly media: MediaSession;
  peer: Host | undefined;
  isClosed = false;
  readonly cname: string;
  negotiationNeeded = 0;
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private readonly t0 = performance.now();
  onEvent: (e: ReturnType<MediaSession["pollEvent"]>) => void = () => {};
  constructor(seed: number, cname: string) {
    this.cname = cname;
    this.media = new MediaSession({ random: new SeededRandom(seed), cname });
  }
  now(): number {
    return performance.now() - this.t0;
  }
  kick(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.drain();
    });
  }
  updateNegotiationNeeded(): void {
    this.negotiationNeeded++;
  }
  drain(): void {
    for (let d = this.media.pollTransmit(); d; d = this.media.pollTransmit()) {
      const peer = this.peer!;
      const copy = Uint8Array.from(d);
      setImmediate(() => {
        peer.media.handleDatagram(copy, peer.now());
        peer.drain();
      });
    }
    for (let e = this.media.pollEvent(); e; e = this.media.pollEvent()) this.onEvent(e);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const next = this.media.nextTimeout();
    if (next !== undefined && !this.isClosed) {
      this.timer = setTimeout(
        () => {
          this.media.handleTimeout(this.now());
          this.drain();
        },
        Math.max(0, next - this.now()),
      );
    }
  }
  close(): void {
    this.isClosed = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

/** A sends video to B: transceivers on both sides, negotiated and keyed. */
function videoPair(track: MediaStreamTrack | null, bDirection: Direction = "recvonly") {
  const a = new Host(1, "a-cname");
  const b = new Host(2, "b-cname");
  a.peer = b;
  b.peer = a;
  const ta = new RTCRtpTransceiver(a, a.media.addTransceiver("video", "sendonly"), track, ["stream-a"]);
  const sa = a.media.transceiver(ta.transceiverId);
  sa.mid = "0";
  const offerText = createOffer(
    offerState(1, {
      sections: [
        {
          kind: "video",
          mid: "0",
          direction: "sendonly",
          sender: {
            streamIds: ["stream-a"],
            trackId: track?.id ?? "x",
            ssrc: sa.ssrc,
            rtxSsrc: sa.rtxSsrc,
            cname: "a-cname",
          },
        },
      ],
    }),
  );
  const tb = new RTCRtpTransceiver(b, b.media.addTransceiver("video", bDirection), null, []);
  const answerText = createAnswer(offerText, answerState(2, { media: () => ({ direction: bDirection }) }));
  const offer = parseSdp(offerText);
  const answer = parseSdp(answerText);
  assert.ok(offer.ok && answer.ok);
  a.media.applyNegotiation(ta.transceiverId, negotiateMedia(offer.sdp.media[0]!, answer.sdp.media[0]!, false), 0);
  b.media.applyNegotiation(tb.transceiverId, negotiateMedia(answer.sdp.media[0]!, offer.sdp.media[0]!, true), 0);
  const material = new SeededRandom(9).bytes(srtpKeyingMaterialLength("AEAD_AES_128_GCM"));
  a.media.start("AEAD_AES_128_GCM", material, true, 0);
  b.media.start("AEAD_AES_128_GCM", material, false, 0);
  // Route the cores' events to the W3C objects as RTCPeerConnection does.
  b.onEvent = (e) => {
    if (e?.type === "frame" && e.transceiver === tb.transceiverId) tb.receiver.deliverFrame(e.ssrc, e.frame);
    if (e?.type === "rtp" && e.transceiver === tb.transceiverId) tb.receiver.deliverRtp(e.packet);
  };
  a.onEvent = (e) => {
    if (e?.type === "keyframe-request" && e.transceiver === ta.transceiverId) ta.sender.keyframeRequested();
  };
  const close = (): void => {
    a.close();
    b.close();
  };
  return { a, b, ta, tb, close };
}

const vp8 = (() => {
  const out = [];
  for (const ev of readEventsSync(new IvfReader(), readFileSync("test/fixtures/media/vp8.ivf"))) {
    if (ev.type === "frame") out.push(ev.frame);
  }
  return out;
})();

describe("MediaStream and MediaStreamTrack", () => {
  it("track state, clone, stop, enabled; stream membership", async () => {
    const hub = new TrackHub("video");
    const t = new MediaStreamTrack(hub, { label: "cam" });
    assert.equal(t.kind, "video");
    assert.equal(t.readyState, "live");
    assert.equal(t.muted, false);
    assert.match(t.id, /^[0-9a-f-]{36}$/);
    const c = t.clone();
    assert.notEqual(c.id, t.id);
    assert.equal(c.label, "cam");
    let ended = 0;
    t.onended = () => ended++;
    t.stop();
    assert.equal(t.readyState, "ended");
    assert.equal(c.readyState, "live", "stopping one track leaves its clone live");
    await tick();
    assert.equal(ended, 0, "stop() fires no ended event");
    c.addEventListener("ended", () => ended++);
    hub.end();
    await tick();
    assert.equal(c.readyState, "ended");
    assert.equal(ended, 1, "the source ending fires ended on live tracks");

    const a = new MediaStreamTrack(new TrackHub("audio"));
    const v = new MediaStreamTrack(new TrackHub("video"));
    const s = new MediaStream([a, v]);
    assert.equal(s.getTracks().length, 2);
    assert.deepEqual(s.getAudioTracks(), [a]);
    assert.equal(s.getTrackById(v.id), v);
    assert.ok(s.active);
    s.removeTrack(a);
    assert.deepEqual(s.getTracks(), [v]);
    let added = 0;
    s.onaddtrack = (e) => {
      assert.equal(e.track, a);
      added++;
    };
    s.addRemoteTrack(a);
    await tick();
    assert.equal(added, 1);
    assert.equal(s.clone().getTracks().length, 2);
  });

  it("mute/unmute events fire as tasks", async () => {
    const t = new MediaStreamTrack(new TrackHub("audio"), { muted: true });
    const seen: string[] = [];
    t.onunmute = () => seen.push("unmute");
    t.onmute = () => seen.push("mute");
    t.setMuted(false);
    assert.deepEqual(seen, []);
    await tick();
    t.setMuted(true);
    await tick();
    assert.deepEqual(seen, ["unmute", "mute"]);
  });
});

describe("RTP objects", () => {
  it("getCapabilities lists what we negotiate", () => {
    const v = RTCRtpSender.getCapabilities("video")!;
    assert.deepEqual(
      [...new Set(v.codecs.map((c) => c.mimeType))],
      ["video/VP8", "video/VP9", "video/H264", "video/AV1", "video/rtx"],
    );
    const a = RTCRtpReceiver.getCapabilities("audio")!;
    assert.deepEqual(
      a.codecs.map((c) => c.mimeType),
      ["audio/opus", "audio/red", "audio/PCMU", "audio/PCMA", "audio/telephone-event", "audio/telephone-event"],
    );
    assert.ok(a.headerExtensions.some((e) => e.uri.endsWith("sdes:mid")));
    assert.equal(RTCRtpSender.getCapabilities("data"), null);
  });

  it("direction, stop, setCodecPreferences, get/setParameters, replaceTrack", async () => {
    const src = createEncodedVideoTrack({ codec: "VP8" });
    const p = videoPair(src.track);
    const { ta } = p;
    assert.equal(ta.mid, "0");
    assert.equal(ta.direction, "sendonly");
    assert.equal(ta.currentDirection, "sendonly");
    ta.direction = "sendrecv";
    assert.equal(p.a.negotiationNeeded, 1);
    assert.throws(
      () => {
        ta.direction = "bogus" as never;
      },
      { name: "TypeError" },
    );
    assert.throws(() => ta.setCodecPreferences([{ mimeType: "video/H265", clockRate: 90000 }]), {
      name: "InvalidModificationError",
    });
    ta.setCodecPreferences(RTCRtpSender.getCapabilities("video")!.codecs.filter((c) => c.mimeType === "video/AV1"));
    assert.deepEqual(
      ta.codecPreferences.map((c) => c.mimeType),
      ["video/AV1"],
    );
    const params = ta.sender.getParameters();
    assert.equal(params.codecs[0]!.mimeType, "video/VP8");
    assert.ok(
      params.codecs.some((c) => c.mimeType === "video/rtx" && c.sdpFmtpLine === `apt=${params.codecs[0]!.payloadType}`),
    );
    assert.equal(params.rtcp.cname, "a-cname");
    assert.deepEqual(params.encodings, [{ active: true }]);
    params.encodings[0]!.maxBitrate = 500_000;
    await ta.sender.setParameters(params);
    assert.equal(ta.sender.getParameters().encodings[0]!.maxBitrate, 500_000);
    // The getParameters() result is cleared when its task ends (webrtc-pc 5.2).
    await new Promise((r) => setImmediate(r));
    await assert.rejects(ta.sender.setParameters(params), { name: "InvalidStateError" }, "stale parameters");
    const audio = new MediaStreamTrack(new TrackHub("audio"));
    await assert.rejects(ta.sender.replaceTrack(audio), { name: "TypeError" });
    await ta.sender.replaceTrack(null);
    assert.equal(ta.sender.track, null);
    ta.stop();
    assert.equal(ta.direction, "stopped");
    assert.equal(ta.currentDirection, "stopped");
    assert.throws(
      () => {
        ta.direction = "sendrecv";
      },
      { name: "InvalidStateError" },
    );
    p.close();
  });
});

describe("petrel/nonstandard over a media pair", () => {
  it("frames written into a track arrive as the remote track's frames; RTP sink sees the packets", async () => {
    const src = createEncodedVideoTrack({ codec: "VP8" });
    const p = videoPair(src.track);
    const got: Uint8Array[] = [];
    const remote = p.tb.receiver.track;
    assert.equal(remote.muted, true, "remote tracks start muted");
    let unmuted = 0;
    remote.onunmute = () => unmuted++;
    createFrameSink(remote, (f) => got.push(f.data));
    let rtp = 0;
    const rtpSink = createRtpSink(remote, () => rtp++);
    for (let i = 0; i < vp8.length; i++) {
      src.writeFrame({ data: vp8[i]!.data, timestamp: i * 3000, keyframe: vp8[i]!.keyframe });
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(got.length, vp8.length);
    for (let i = 0; i < vp8.length; i++) assert.deepEqual(Buffer.from(got[i]!), Buffer.from(vp8[i]!.data));
    assert.ok(rtp >= vp8.length, `rtp packets seen: ${rtp}`);
    assert.equal(unmuted, 1);
    assert.equal(remote.muted, false);
    assert.equal(p.tb.receiver.getSynchronizationSources().length, 1);
    // getStats objects from both cores.
    const rb: RTCStatsReport = new Map();
    addMediaStats(rb, { media: p.b.media, transceivers: [p.tb], timestamp: 1000, transportId: "T01", now: p.b.now() });
    const inbound = [...rb.values()].find((x) => x.type === "inbound-rtp")!;
    assert.equal(inbound.framesDecoded, vp8.length);
    assert.equal(inbound.kind, "video");
    assert.equal(rb.get(inbound.codecId as string)?.mimeType, "video/VP8");
    const ra: RTCStatsReport = new Map();
    addMediaStats(ra, { media: p.a.media, transceivers: [p.ta], timestamp: 1000, transportId: "T01", now: p.a.now() });
    const outbound = [...ra.values()].find((x) => x.type === "outbound-rtp")!;
    assert.equal(outbound.framesSent, vp8.length);
    assert.ok((outbound.packetsSent as number) >= vp8.length);
    assert.equal(ra.get(outbound.mediaSourceId as string)?.trackIdentifier, src.track.id);
    rtpSink.stop();
    assert.equal(p.b.media.transceiver(p.tb.transceiverId).rawRtp, false, "raw RTP off once the last RTP sink left");
    // A disabled track sends nothing.
    src.track.enabled = false;
    src.writeFrame({ data: vp8[0]!.data, timestamp: 40 * 3000, keyframe: true });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(got.length, vp8.length);
    p.close();
  });

  it("keyframe requests from the receiver reach the source's onKeyframeRequest", async () => {
    const src = createEncodedVideoTrack({ codec: "VP8" });
    const p = videoPair(src.track);
    let requests = 0;
    src.onKeyframeRequest = () => requests++;
    src.writeFrame({ data: vp8[0]!.data, timestamp: 0, keyframe: true });
    await new Promise((r) => setTimeout(r, 60));
    p.b.media.requestKeyframe(p.tb.transceiverId, p.b.now());
    p.b.drain();
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(requests, 1);
    p.close();
  });

  it("an RTP-fed track forwards packets with our SSRC", async () => {
    const src = createRtpTrack({ kind: "video" });
    const p = videoPair(src.track);
    const seen: number[] = [];
    createRtpSink(p.tb.receiver.track, (pkt) => seen.push(pkt.sequenceNumber));
    for (let i = 0; i < 5; i++)
      src.writeRtp({
        sequenceNumber: 100 + i,
        timestamp: 9000 * i,
        marker: true,
        payload: new Uint8Array([0x10, 1, 2, 3]),
      });
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(seen, [100, 101, 102, 103, 104]);
    p.close();
  });

  it("an IVF file played in real time is recorded to IVF and WebM on the other side", async () => {
    const play = await playFile("test/fixtures/media/vp8.ivf");
    assert.ok(play.video);
    const p = videoPair(play.video);
    const dir = mkdtempSync(join(tmpdir(), "petrel-media-"));
    const ivf = recordTrack(p.tb.receiver.track, join(dir, "out.ivf"));
    const webm = recordTrack(p.tb.receiver.track, join(dir, "out.webm"));
    play.start();
    await play.done;
    await new Promise((r) => setTimeout(r, 150));
    const a = await ivf.stop();
    const w = await webm.stop();
    assert.equal(a.frames, vp8.length);
    assert.equal(w.frames, vp8.length);
    const back = [...readEventsSync(new IvfReader(), readFileSync(join(dir, "out.ivf")))];
    const header = back.find((e) => e.type === "header");
    assert.ok(header?.type === "header" && header.header.codec === "VP8" && header.header.width > 0);
    const frames = back.filter((e) => e.type === "frame");
    assert.equal(frames.length, vp8.length);
    assert.ok(frames[0]!.type === "frame" && frames[0].frame.keyframe, "recording starts with a keyframe");
    const wb = [...readEventsSync(new WebmReader(), readFileSync(join(dir, "out.webm")))];
    assert.equal(wb.filter((e) => e.type === "frame").length, vp8.length);
    p.close();
  });
});
