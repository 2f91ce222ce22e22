// Two sans-IO MediaSessions on the simulator for the RTP feature tests (DTMF, CSRCs, pacing,
// stats): A offers audio+video sendrecv with the default codecs (telephone-event included) and
// extensions, B answers with `bDirection`, both keyed from one exporter output (RFC 5764 4.2).
import assert from "node:assert/strict";
import { type MediaEvent, MediaSession } from "../../src/peer/media.js";
import { SeededRandom } from "../../src/random.js";
import {
  createAnswer,
  createOffer,
  type MediaAnswerPolicy,
  negotiateMedia,
  parseSdp,
  type SessionDescription,
} from "../../src/sdp/index.js";
import { type SrtpProfile, srtpKeyingMaterialLength } from "../../src/srtp/index.js";
import { answerState, offerState } from "../sdp/helpers.js";
import { connectPair, type LinkConfig, Network } from "../sim/network.js";

export interface MediaPair {
  net: Network;
  a: MediaSession;
  b: MediaSession;
  eventsA: MediaEvent[];
  eventsB: MediaEvent[];
  kick: () => void;
  ids: { aAudio: number; aVideo: number; bAudio: number; bVideo: number };
  offer: string;
  answer: string;
}

function sdp(text: string): SessionDescription {
  const r = parseSdp(text);
  assert.ok(r.ok);
  return r.sdp;
}

export function makeMediaPair(
  seed: number,
  opts: {
    link?: LinkConfig;
    bDirection?: "sendrecv" | "recvonly";
    /** Edits the answer's text before it is applied (e.g. to add b=AS). */
    editAnswer?: (sdp: string) => string;
    extensions?: { uri: string; id: number }[];
    /** RTCP NTP time = now + ntpOffsetMs on both sides. */
    ntpOffsetMs?: number;
    /** Default AEAD_AES_128_GCM. */
    profile?: SrtpProfile;
    /** B's video negotiated "ccm fir" and not "nack pli" (RFC 5104 4.3.1). */
    bFirOnly?: boolean;
  } = {},
): MediaPair {
  const net = new Network({ seed, defaultLink: { latency: 10 } });
  const ntpOffsetMs = opts.ntpOffsetMs;
  const a = new MediaSession({ random: new SeededRandom(seed * 7 + 1), cname: "a-cname", ntpOffsetMs });
  const b = new MediaSession({ random: new SeededRandom(seed * 7 + 2), cname: "b-cname", ntpOffsetMs });
  const aAudio = a.addTransceiver("audio");
  const aVideo = a.addTransceiver("video");
  aAudio.mid = "0";
  aVideo.mid = "1";
  const sender = (t: typeof aAudio, cname: string) => ({
    streamIds: ["s"],
    trackId: `t${t.id}`,
    ssrc: t.ssrc,
    rtxSsrc: t.rtxSsrc,
    cname,
  });
  const ext = opts.extensions;
  const offerText = createOffer(
    offerState(seed, {
      sections: [
        { kind: "audio", mid: "0", direction: "sendrecv", sender: sender(aAudio, "a-cname"), extensions: ext },
        { kind: "video", mid: "1", direction: "sendrecv", sender: sender(aVideo, "a-cname"), extensions: ext },
      ],
    }),
  );
  const bAudio = b.addTransceiver("audio");
  const bVideo = b.addTransceiver("video");
  const policy: MediaAnswerPolicy = (info) => {
    const t = info.kind === "audio" ? bAudio : bVideo;
    return { direction: opts.bDirection ?? "sendrecv", sender: sender(t, "b-cname") };
  };
  let answerText = createAnswer(offerText, answerState(seed + 100, { media: policy }));
  if (opts.editAnswer) answerText = opts.editAnswer(answerText);
  const offer = sdp(offerText);
  const answer = sdp(answerText);
  a.applyNegotiation(aAudio.id, negotiateMedia(offer.media[0]!, answer.media[0]!, false), 0);
  a.applyNegotiation(aVideo.id, negotiateMedia(offer.media[1]!, answer.media[1]!, false), 0);
  b.applyNegotiation(bAudio.id, negotiateMedia(answer.media[0]!, offer.media[0]!, true), 0);
  const bVideoNegotiated = negotiateMedia(answer.media[1]!, offer.media[1]!, true);
  if (opts.bFirOnly && bVideoNegotiated) {
    for (const c of bVideoNegotiated.codecs) c.feedback = [...c.feedback.filter((f) => f !== "nack pli"), "ccm fir"];
  }
  b.applyNegotiation(bVideo.id, bVideoNegotiated, 0);
  const profile = opts.profile ?? "AEAD_AES_128_GCM";
  const material = new SeededRandom(seed + 5).bytes(srtpKeyingMaterialLength(profile));
  a.start(profile, material, true, 0);
  b.start(profile, material, false, 0);
  const eventsA: MediaEvent[] = [];
  const eventsB: MediaEvent[] = [];
  const { kick } = connectPair(net, a, b, {
    link: opts.link,
    onEventA: (e) => eventsA.push(e),
    onEventB: (e) => eventsB.push(e),
  });
  return {
    net,
    a,
    b,
    eventsA,
    eventsB,
    kick,
    ids: { aAudio: aAudio.id, aVideo: aVideo.id, bAudio: bAudio.id, bVideo: bVideo.id },
    offer: offerText,
    answer: answerText,
  };
}
