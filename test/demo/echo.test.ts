// The demo's media without a browser: a Petrel RTCPeerConnection plays the browser's part through
// the demo server's signaling (VP8 frames from a fixture and Opus packets, on two tracks of one
// stream). The Node peer echoes both back with the frames intact; "record" on the control channel
// asks our encoder for a keyframe (PLI up through the Node peer's receiver) and yields a WebM with
// both tracks; pausing and resuming the echo (sendonly, then sendrecv) keeps the echo's RTP
// sequence numbers contiguous, as SRTP receivers need (RFC 3711 3.3.1).
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { startDemoServer } from "../../demo/server.js";
import { MediaStream, type MediaStreamTrack, RTCPeerConnection, type RTCTrackEvent } from "../../src/index.js";
import { IvfReader, readEventsSync } from "../../src/media/containers/index.js";
import {
  createEncodedAudioTrack,
  createEncodedVideoTrack,
  createFrameSink,
  createRtpSink,
} from "../../src/nonstandard/index.js";
import { SignalingClient, type SignalingMessage } from "../../src/signaling/index.js";
import { until } from "../webrtc/helpers.js";

const vp8: { data: Uint8Array; keyframe: boolean }[] = [];
for (const e of readEventsSync(new IvfReader(), readFileSync("test/fixtures/media/vp8.ivf"))) {
  if (e.type === "frame") vp8.push(e.frame);
}
/** An Opus packet: TOC for a 20 ms SILK frame, then a couple of bytes (never decoded here). */
const OPUS = Uint8Array.of(0x08, 0x0b, 0xe4);

describe("demo echo with a Node peer as the browser", () => {
  it("echoes video and audio, records both to one WebM, keeps sequence numbers across a pause", {
    timeout: 30_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "petrel-demo-echo-"));
    const server = await startDemoServer({ port: 0, host: "127.0.0.1", recordingsDir: dir });
    const sig = await SignalingClient.connect(`ws://127.0.0.1:${server.port}/signal`, "echo-test");
    const pc = new RTCPeerConnection();
    let timer: NodeJS.Timeout | undefined;
    try {
      // The Node peer joins right after our welcome (its peer-joined can arrive before connect()
      // resolves, so ask the server who is in the room).
      await until(() => server.signaling.peersIn("echo-test").length === 2, "the Node peer in the room", 5_000);
      const botId = server.signaling.peersIn("echo-test").find((id) => id !== sig.id)!;
      const control = pc.createDataChannel("control");
      const fromBot: { type: string; state?: string; [k: string]: unknown }[] = [];
      control.onmessage = (e) => fromBot.push(JSON.parse(String(e.data)));

      // Signaling: we always offer (as the page does), one negotiation at a time.
      let answered: (() => void) | undefined;
      pc.onicecandidate = (e) =>
        sig.send({ type: "candidate", to: botId, candidate: e.candidate ? e.candidate.toJSON() : null });
      sig.on("message", (msg: SignalingMessage) => {
        if (msg.from !== botId) return;
        if (msg.type === "answer") {
          pc.setRemoteDescription({ type: "answer", sdp: String(msg.sdp) }).then(() => answered?.());
        } else if (msg.type === "candidate") {
          const c = msg.candidate as RTCIceCandidateInit | null;
          if (c?.candidate) pc.addIceCandidate(c).catch(() => {});
        }
      });
      const negotiate = async () => {
        const done = new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error("no answer from the Node peer within 10 s")), 10_000);
          answered = () => {
            clearTimeout(t);
            resolve();
          };
        });
        await pc.setLocalDescription(await pc.createOffer());
        sig.send({ type: "offer", to: botId, sdp: pc.localDescription!.sdp });
        await done;
      };

      const video = createEncodedVideoTrack({ codec: "VP8" });
      const audio = createEncodedAudioTrack();
      let keyframeRequests = 0;
      let sendKeyframe = true;
      video.onKeyframeRequest = () => {
        keyframeRequests++;
        sendKeyframe = true;
      };
      const stream = new MediaStream([video.track, audio.track]);
      pc.addTrack(video.track, stream);
      pc.addTrack(audio.track, stream);
      const echoes: MediaStreamTrack[] = [];
      pc.ontrack = (e) => {
        echoes.push((e as RTCTrackEvent).track);
      };
      await negotiate();
      await until(() => control.readyState === "open", "control channel open", 10_000);
      assert.deepEqual(echoes.map((t) => t.kind).sort(), ["audio", "video"]);

      // Our "camera": the fixture's frames in a loop (its keyframe when one is due), ~17 fps;
      // our "microphone": one packet per 20 ms.
      let tick = 0;
      let frame = 0;
      const sent: Uint8Array[] = [];
      timer = setInterval(() => {
        audio.writeFrame({ data: OPUS, timestamp: tick * 960 });
        if (tick % 3 === 0) {
          const i = sendKeyframe ? 0 : 1 + (frame % (vp8.length - 1));
          sendKeyframe = false;
          video.writeFrame({ data: vp8[i]!.data, timestamp: tick * 1800, keyframe: i === 0 });
          sent.push(vp8[i]!.data);
          frame++;
        }
        tick++;
      }, 20);
      timer.unref();

      const echoVideo = echoes.find((t) => t.kind === "video")!;
      const echoAudio = echoes.find((t) => t.kind === "audio")!;
      const gotVideo: Uint8Array[] = [];
      let gotAudio = 0;
      createFrameSink(echoVideo, (f) => gotVideo.push(f.data));
      createFrameSink(echoAudio, () => gotAudio++);
      await until(() => gotVideo.length >= 20 && gotAudio >= 20, `echo (${gotVideo.length} video frames)`, 10_000);
      // Frames come back byte for byte, in the order sent (loopback: no loss).
      const first = sent.findIndex((d) => Buffer.from(d).equals(Buffer.from(gotVideo[0]!)));
      assert.ok(first >= 0, "the first echoed frame is one we sent");
      for (let i = 0; i < 10; i++) assert.deepEqual(gotVideo[i], sent[first + i], `echoed frame ${i}`);

      // Recording: the Node peer asks our encoder for a keyframe (the file starts with one).
      const requestsBefore = keyframeRequests;
      control.send(JSON.stringify({ type: "record", action: "start" }));
      await until(() => fromBot.some((m) => m.state === "started"), "recording started", 5_000);
      await until(() => keyframeRequests > requestsBefore, "a keyframe request at recording start", 5_000);
      // The recording starts at the keyframe we send for that request. The Node peer records each
      // frame before echoing it: once the keyframe's echo and 12 video frames and 25 audio packets
      // after it are back, the recording holds at least that much (counts, not elapsed time).
      const keyframe = Buffer.from(vp8[0]!.data);
      const scanFrom = gotVideo.length;
      let keyframeAt = -1;
      let audioAtKeyframe = 0;
      await until(
        () => {
          for (let i = scanFrom; keyframeAt < 0 && i < gotVideo.length; i++) {
            if (keyframe.equals(gotVideo[i]!)) {
              keyframeAt = i;
              audioAtKeyframe = gotAudio;
            }
          }
          return keyframeAt >= 0 && gotVideo.length >= keyframeAt + 12 && gotAudio >= audioAtKeyframe + 25;
        },
        `12 video frames and 25 audio packets echoed after the keyframe (${gotVideo.length - scanFrom} video since the request)`,
        10_000,
      );
      control.send(JSON.stringify({ type: "record", action: "stop" }));
      await until(() => fromBot.some((m) => m.state === "stopped" || m.state === "error"), "recording stopped", 5_000);
      const rec = fromBot.find((m) => m.state === "stopped");
      assert.ok(rec, JSON.stringify(fromBot));
      assert.deepEqual(rec.codecs, ["VP8", "opus"]);
      // 12 frames 60 ms apart (RTP time) span 660 ms; audio: 25 packets of 20 ms.
      assert.ok(Number(rec.videoFrames) >= 12, `video frames ${rec.videoFrames}`);
      assert.ok(Number(rec.audioFrames) >= 20, `audio frames ${rec.audioFrames}`);
      assert.ok(Number(rec.durationMs) >= 600, `duration ${rec.durationMs}`);
      assert.equal(rec.url, `recordings/${rec.name}`);
      assert.ok(existsSync(join(dir, String(rec.name))));

      // Pause and resume the echo: the Node peer's sequence numbers go on where they stopped.
      const seqs: number[] = [];
      createRtpSink(echoVideo, (p) => seqs.push(p.sequenceNumber));
      await until(() => seqs.length >= 5, "echo RTP", 5_000);
      const vt = pc.getTransceivers().find((t) => t.receiver.track === echoVideo)!;
      vt.direction = "sendonly";
      await negotiate();
      const paused = seqs.length;
      await new Promise((r) => setTimeout(r, 300));
      vt.direction = "sendrecv";
      await negotiate();
      await until(() => seqs.length >= paused + 10, "echo RTP after resuming", 5_000);
      for (let i = 1; i < seqs.length; i++) {
        assert.equal(seqs[i], (seqs[i - 1]! + 1) & 0xffff, `sequence numbers contiguous at ${i}: ${seqs.join(",")}`);
      }
    } finally {
      clearInterval(timer);
      pc.close();
      sig.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
