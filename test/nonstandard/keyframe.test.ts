// petrel/nonstandard requestKeyframe: on a local source it calls onKeyframeRequest (video only,
// live tracks only); over two RTCPeerConnections on loopback UDP, requestKeyframe on the remote
// track sends PLI upstream (the receiver's inbound-rtp pliCount grows) and the sending source's
// onKeyframeRequest fires; recordTrack started mid-stream asks for a keyframe itself and the file
// begins with the one the source sends in answer.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { after, describe, it } from "node:test";
import { MediaStream, RTCPeerConnection, type RTCTrackEvent } from "../../src/index.js";
import { IvfReader, readEventsSync } from "../../src/media/containers/index.js";
import type { EncodedFrame } from "../../src/media/frame.js";
import {
  createEncodedAudioTrack,
  createEncodedVideoTrack,
  createFrameSink,
  recordTrack,
  requestKeyframe,
} from "../../src/nonstandard/index.js";
import { connect, once, until } from "../webrtc/helpers.js";

const dir = mkdtempSync(join(tmpdir(), "petrel-keyframe-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function ivf(path: string): EncodedFrame[] {
  const out: EncodedFrame[] = [];
  for (const ev of readEventsSync(new IvfReader(), readFileSync(path))) if (ev.type === "frame") out.push(ev.frame);
  return out;
}
const vp8 = ivf("test/fixtures/media/vp8.ivf");
const key = vp8.find((f) => f.keyframe)!;
const delta = vp8.find((f) => !f.keyframe)!;

async function inboundPli(pc: RTCPeerConnection): Promise<number> {
  for (const s of (await pc.getStats()).values()) if (s.type === "inbound-rtp") return s.pliCount as number;
  return -1;
}

describe("requestKeyframe", () => {
  it("on a local source calls onKeyframeRequest (video, live tracks only)", () => {
    const v = createEncodedVideoTrack({ codec: "VP8" });
    const a = createEncodedAudioTrack();
    let video = 0;
    let audio = 0;
    v.onKeyframeRequest = () => video++;
    a.onKeyframeRequest = () => audio++;
    requestKeyframe(v.track);
    requestKeyframe(v.track.clone());
    requestKeyframe(a.track);
    assert.equal(video, 2);
    assert.equal(audio, 0, "audio frames all stand alone");
    v.close();
    requestKeyframe(v.track);
    assert.equal(video, 2, "an ended track asks nothing");
    assert.throws(() => requestKeyframe({} as never), TypeError);
  });

  it("recordTrack on a local video track asks its source for a keyframe when it starts", async () => {
    const v = createEncodedVideoTrack({ codec: "VP8" });
    let asked = 0;
    v.onKeyframeRequest = () => {
      asked++;
      v.writeFrame({ data: key.data, timestamp: 9000, keyframe: true });
    };
    v.writeFrame({ data: delta.data, timestamp: 0, keyframe: false });
    const rec = recordTrack(v.track, join(dir, "local.ivf"));
    assert.equal(asked, 1);
    v.writeFrame({ data: delta.data, timestamp: 12000, keyframe: false });
    const r = await rec.stop();
    assert.deepEqual([r.frames, r.keyframes], [2, 1], "the file starts with the keyframe asked for");
  });

  it("on a remote track sends PLI to the remote sender, whose source is asked; recordTrack does it too", async () => {
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    try {
      const src = createEncodedVideoTrack({ codec: "VP8" });
      let asked = 0;
      let answer = false;
      let ts = 0;
      src.onKeyframeRequest = () => {
        asked++;
        answer = true;
      };
      a.addTrack(src.track, new MediaStream([src.track]));
      const trackEv = once<RTCTrackEvent>(b, "track");
      await connect(a, b);
      const remote = (await trackEv).track;
      await until(() => a.connectionState === "connected" && b.connectionState === "connected", "connected");
      let got = 0;
      createFrameSink(remote, () => got++);
      // A stream under way: one keyframe, then delta frames (an encoder answers a request with a keyframe).
      const write = () => {
        const k = answer || ts === 0;
        answer = false;
        src.writeFrame({ data: k ? key.data : delta.data, timestamp: ts, keyframe: k });
        ts += 3000;
      };
      const timer = setInterval(write, 10);
      try {
        await until(() => got >= 3, `frames (${got})`);
        const before = asked;
        const pliBefore = await inboundPli(b);
        assert.ok(pliBefore >= 0, "inbound-rtp stats exist");
        requestKeyframe(remote);
        await until(() => asked > before, `onKeyframeRequest after requestKeyframe (${asked})`, 5000);
        assert.ok((await inboundPli(b)) > pliBefore, "the receiver counted the PLI it sent");
        // The PLI left before this point on the driver's clock (src/clock.ts: performance.now).
        const pliSentBy = performance.now();

        // The feedback chain spaces keyframe requests (300 ms on loopback, where the RTT is
        // shorter): wait until the next one is allowed, then a recording starts mid-stream.
        await until(() => performance.now() >= pliSentBy + 300, "the keyframe request spacing", 5000);
        const beforeRec = asked;
        const rec = recordTrack(remote, join(dir, "remote.ivf"));
        await until(() => asked > beforeRec, `onKeyframeRequest after recordTrack (${asked})`, 5000);
        await until(() => rec.frames >= 3, `recorded frames (${rec.frames})`, 5000);
        const r = await rec.stop();
        assert.ok(r.keyframes >= 1);
        const file = ivf(join(dir, "remote.ivf"));
        assert.equal(file[0]?.keyframe, true, "the file begins with a keyframe");
      } finally {
        clearInterval(timer);
      }
    } finally {
      a.close();
      b.close();
    }
  });
});
