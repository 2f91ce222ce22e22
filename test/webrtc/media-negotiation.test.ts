// The media half of RTCPeerConnection (src/webrtc/media-negotiation.ts) driven through real JSEP
// (src/sdp createOffer/createAnswer) between two MediaControllers whose cores are joined in
// memory: addTrack -> offer -> remote offer associates transceivers and fires `track` with its
// streams -> answer -> frames flow; renegotiation adds a track without moving mids; removeTrack
// turns sendrecv into recvonly; a stopped transceiver's m-line is rejected; negotiation-needed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEncodedAudioTrack, createEncodedVideoTrack, createFrameSink } from "../../src/nonstandard/index.js";
import { MediaSession } from "../../src/peer/media.js";
import { SeededRandom } from "../../src/random.js";
import { createAnswer, createOffer, parseSdp, readRtpSection } from "../../src/sdp/index.js";
import { srtpKeyingMaterialLength } from "../../src/srtp/index.js";
import { MediaController, type RTCTrackEvent } from "../../src/webrtc/media-negotiation.js";
import { MediaStream } from "../../src/webrtc/media-stream.js";
import { answerState, offerState } from "../sdp/helpers.js";

class Side {
  readonly media: MediaSession;
  readonly controller: MediaController;
  readonly tracks: RTCTrackEvent[] = [];
  peer: Side | undefined;
  isClosed = false;
  negotiationNeeded = 0;
  localSdp = "";
  remoteSdp = "";
  private readonly t0 = performance.now();
  private timer: NodeJS.Timeout | undefined;
  constructor(
    seed: number,
    readonly cname: string,
  ) {
    this.media = new MediaSession({ random: new SeededRandom(seed), cname });
    this.controller = new MediaController({
      media: this.media,
      now: () => this.now(),
      kick: () => queueMicrotask(() => this.drain()),
      updateNegotiationNeeded: () => this.negotiationNeeded++,
      get isClosed() {
        return false;
      },
      cname,
      fireTrack: (ev) => this.tracks.push(ev),
    });
  }
  now(): number {
    return performance.now() - this.t0;
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
    for (let e = this.media.pollEvent(); e; e = this.media.pollEvent()) this.controller.handleEvent(e);
    if (this.timer) clearTimeout(this.timer);
    const next = this.media.nextTimeout();
    this.timer =
      next === undefined || this.isClosed
        ? undefined
        : setTimeout(
            () => {
              this.media.handleTimeout(this.now());
              this.drain();
            },
            Math.max(0, next - this.now()),
          );
  }
  close(): void {
    this.isClosed = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

/** One offer/answer round from `a` to `b`, as the negotiator does it. */
function negotiate(a: Side, b: Side, seed: number): { offer: string; answer: string } {
  const offer = createOffer(
    offerState(seed, { sections: a.controller.offerSections(a.localSdp || undefined, undefined) }),
    a.localSdp || undefined,
  );
  a.controller.applyLocalOffer(offer);
  b.controller.applyRemoteOffer(offer);
  const answer = createAnswer(
    offer,
    answerState(seed + 1, { media: b.controller.answerPolicy() }),
    b.localSdp || undefined,
  );
  b.controller.applyAnswer(answer, offer, true);
  a.controller.applyAnswer(offer, answer, false);
  a.localSdp = offer;
  a.remoteSdp = answer;
  b.localSdp = answer;
  b.remoteSdp = offer;
  return { offer, answer };
}

function pair(): { a: Side; b: Side } {
  const a = new Side(1, "a");
  const b = new Side(2, "b");
  a.peer = b;
  b.peer = a;
  const material = new SeededRandom(3).bytes(srtpKeyingMaterialLength("AES_CM_128_HMAC_SHA1_80"));
  a.media.start("AES_CM_128_HMAC_SHA1_80", material, true, 0);
  b.media.start("AES_CM_128_HMAC_SHA1_80", material, false, 0);
  return { a, b };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const keyframe = new Uint8Array([0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00, 1, 2, 3, 4]);

describe("MediaController offer/answer", () => {
  it("addTrack, offer, track event with streams, answer, frames flow", async () => {
    const { a, b } = pair();
    const src = createEncodedVideoTrack({ codec: "VP8" });
    const stream = new MediaStream([src.track]);
    const sender = a.controller.addTrack(src.track, [stream]);
    assert.equal(a.negotiationNeeded, 1);
    assert.equal(sender.track, src.track);
    assert.ok(a.controller.needsNegotiation(undefined));
    const { offer, answer } = negotiate(a, b, 10);
    const o = parseSdp(offer);
    assert.ok(o.ok);
    assert.deepEqual(readRtpSection(o.sdp.media[0]!).msids, [{ streamId: stream.id, trackId: src.track.id }]);
    assert.equal(b.tracks.length, 1, "track fired at setRemoteDescription(offer)");
    const ev = b.tracks[0]!;
    assert.equal(ev.track.kind, "video");
    assert.equal(ev.streams.length, 1);
    assert.equal(ev.streams[0]!.id, stream.id, "the remote stream has the sender's stream id");
    assert.equal(ev.transceiver.mid, "0");
    assert.equal(ev.transceiver.currentDirection, "recvonly");
    assert.equal(a.controller.getTransceivers()[0]!.currentDirection, "sendonly");
    const ans = parseSdp(answer);
    assert.ok(ans.ok && readRtpSection(ans.sdp.media[0]!).direction === "recvonly");
    assert.ok(!a.controller.needsNegotiation(a.localSdp));
    const got: number[] = [];
    createFrameSink(ev.track, (f) => got.push(f.data.length));
    for (let i = 0; i < 5; i++) {
      src.writeFrame({ data: keyframe, timestamp: i * 3000, keyframe: true });
      await sleep(5);
    }
    await sleep(80);
    assert.equal(got.length, 5);
    a.close();
    b.close();
  });

  it("renegotiation adds audio without moving the video mid; removeTrack makes it recvonly; stop rejects", async () => {
    const { a, b } = pair();
    const v = createEncodedVideoTrack({ codec: "VP8" });
    a.controller.addTrack(v.track, []);
    // B adds its own track before the offer arrives: the offered m-line reuses B's addTrack transceiver.
    const bv = createEncodedVideoTrack({ codec: "VP8" });
    b.controller.addTrack(bv.track, []);
    negotiate(a, b, 20);
    assert.equal(b.controller.getTransceivers().length, 1, "B's addTrack transceiver was associated");
    assert.equal(b.controller.getTransceivers()[0]!.currentDirection, "sendrecv");
    assert.equal(a.tracks.length, 1, "A learns of B's track from the answer");
    const au = createEncodedAudioTrack();
    a.controller.addTrack(au.track, []);
    assert.ok(a.controller.needsNegotiation(a.localSdp));
    const { offer } = negotiate(a, b, 30);
    const o = parseSdp(offer);
    assert.ok(o.ok);
    assert.deepEqual(
      o.sdp.media.map((m) => `${m.kind}:${readRtpSection(m).mid}`),
      ["video:0", "audio:1"],
    );
    assert.equal(b.tracks.length, 2);
    const [videoT] = a.controller.getTransceivers();
    a.controller.removeTrack(videoT!.sender);
    assert.equal(videoT!.direction, "recvonly");
    assert.ok(a.controller.needsNegotiation(a.localSdp));
    negotiate(a, b, 40);
    assert.equal(videoT!.currentDirection, "recvonly");
    assert.equal(b.controller.getTransceivers()[0]!.currentDirection, "sendonly");
    videoT!.stop();
    const { answer } = negotiate(a, b, 50);
    const ans = parseSdp(answer);
    assert.ok(ans.ok);
    assert.equal(ans.sdp.media[0]!.port, 0, "stopped transceiver's m-line rejected");
    assert.equal(b.controller.getTransceivers()[0]!.currentDirection, "stopped");
    a.close();
    b.close();
  });

  it("rollback: a local offer's mids are taken back; a remote offer's new transceivers go away", () => {
    const { a, b } = pair();
    const av = createEncodedVideoTrack({ codec: "VP8" });
    a.controller.addTrack(av.track, []);
    const bv = createEncodedVideoTrack({ codec: "VP8" });
    b.controller.addTrack(bv.track, []);
    // Glare: B offered first, then rolls back to take A's offer.
    const offerB = createOffer(offerState(60, { sections: b.controller.offerSections(undefined, undefined) }));
    b.controller.applyLocalOffer(offerB);
    assert.equal(b.controller.getTransceivers()[0]!.mid, "0");
    b.controller.rollback();
    assert.equal(b.controller.getTransceivers()[0]!.mid, null, "the rolled-back offer's mid is taken back");
    // A remote offer creating a transceiver, rolled back: it is removed.
    const c = new Side(5, "c");
    const offerA = createOffer(offerState(61, { sections: a.controller.offerSections(undefined, undefined) }));
    c.controller.applyRemoteOffer(offerA);
    assert.equal(c.controller.getTransceivers().length, 1);
    c.controller.rollback();
    assert.equal(c.controller.getTransceivers().length, 0);
    // After B's rollback, A's offer associates with B's addTrack transceiver.
    negotiate(a, b, 62);
    assert.equal(b.controller.getTransceivers().length, 1);
    assert.equal(b.controller.getTransceivers()[0]!.currentDirection, "sendrecv");
    a.close();
    b.close();
    c.close();
  });
});
