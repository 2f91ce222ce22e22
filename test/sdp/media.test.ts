// Audio/video m-lines in JSEP (src/sdp/media.ts): answering Chrome's and Firefox's real media
// offers (codec intersection, RTX apt, rtcp-fb, extmap ids kept, direction per RFC 8829 5.3.1,
// BUNDLE), H.264 profile/level matching (RFC 6184 8.2.2), our Chrome-shaped offer, and the
// negotiated parameters read back from a completed offer/answer.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  answerDirection,
  bundleGroup,
  createAnswer,
  createOffer,
  getAttribute,
  getAttributes,
  type MediaAnswerPolicy,
  matchCodec,
  negotiateMedia,
  parseH264ProfileLevelId,
  readRtpSection,
} from "../../src/sdp/index.js";
import { answerState, load, offerState, parsed } from "./helpers.js";

const recvOnly: MediaAnswerPolicy = () => ({ direction: "recvonly" });
const sender = { streamIds: ["s1"], trackId: "t1", ssrc: 1111, rtxSsrc: 2222, cname: "petrel" };

describe("answering browsers' media offers", () => {
  it("Chrome audio+video+data: opus/PCMU/PCMA/telephone-event, VP8/VP9/H264/AV1 with their RTX, offer's extmap ids", () => {
    const offer = load("chrome-offer-av-datachannel.sdp");
    const answer = parsed(createAnswer(offer, answerState(2, { media: recvOnly })));
    assert.deepEqual(
      answer.media.map((m) => [m.kind, m.port !== 0]),
      [
        ["audio", true],
        ["video", true],
        ["application", true],
      ],
    );
    assert.deepEqual(bundleGroup(answer), ["0", "1", "2"]);
    const audio = readRtpSection(answer.media[0]!);
    assert.deepEqual(
      audio.codecs.map((c) => `${c.payloadType} ${c.name}`),
      // telephone-event at 48 kHz (with Opus) and 8 kHz (with G.711), on Chrome's payload types.
      ["111 opus", "63 red", "0 PCMU", "8 PCMA", "110 telephone-event", "126 telephone-event"],
    );
    assert.equal(audio.direction, "recvonly");
    assert.ok(audio.rtcpMux && audio.rtcpRsize);
    assert.deepEqual(
      audio.codecs[0]!.feedback.map((f) => f.type),
      ["transport-cc"],
    );
    assert.deepEqual(
      audio.extensions.map((e) => e.id),
      [1, 2, 3, 4],
    );
    const video = readRtpSection(answer.media[1]!);
    const names = video.codecs.map((c) => `${c.payloadType} ${c.name} ${[...c.parameters].join(";")}`);
    // VP8 and its RTX first (offer order), H.264 only packetization-mode=1 with a matching profile.
    assert.equal(names[0], "96 VP8 ");
    assert.equal(names[1], "97 rtx apt,96");
    assert.ok(
      names.some((n) => n.startsWith("102 H264")),
      names.join("\n"),
    );
    assert.ok(!names.some((n) => n.startsWith("104 H264")), "packetization-mode=0 is not accepted");
    assert.ok(names.some((n) => n.startsWith("45 AV1")));
    assert.ok(names.some((n) => n.startsWith("98 VP9 profile-id,0")));
    assert.ok(!names.some((n) => n.startsWith("100 VP9")), "VP9 profile 2 is not ours");
    // Every RTX payload type in the answer points at a codec that is in the answer.
    const pts = new Set(video.codecs.map((c) => c.payloadType));
    for (const c of video.codecs) if (c.name === "rtx") assert.ok(pts.has(Number(c.parameters.get("apt"))));
    const vp8 = video.codecs[0]!;
    assert.deepEqual(
      vp8.feedback.map((f) => (f.subtype ? `${f.type} ${f.subtype}` : f.type)),
      ["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"],
    );
    // toffset, video-orientation, playout-delay... are not ours; the rest keep Chrome's ids.
    assert.deepEqual(
      video.extensions.map((e) => `${e.id}`),
      ["2", "3", "4", "10", "11"],
    );
    assert.equal(getAttributes(answer.media[1]!.attributes, "ssrc").length, 0, "recvonly sends no ssrc");
  });

  it("Firefox audio+video: opus 109, VP8 120 + RTX 124, sendrecv with our sender's msid and FID group", () => {
    const offer = load("firefox-offer-av.sdp");
    const policy: MediaAnswerPolicy = (info) => ({
      direction: "sendrecv",
      sender: { ...sender, ssrc: info.kind === "audio" ? 3333 : 1111 },
    });
    const answer = parsed(createAnswer(offer, answerState(3, { media: policy })));
    const audio = readRtpSection(answer.media[0]!);
    assert.equal(audio.codecs[0]!.payloadType, 109);
    assert.equal(audio.direction, "sendrecv");
    assert.deepEqual(
      audio.extensions.map((e) => e.uri.split("/").pop()?.split(":").pop()),
      ["ssrc-audio-level", "mid", "draft-holmer-rmcat-transport-wide-cc-extensions-01"],
    );
    assert.deepEqual(audio.msids, [{ streamId: "s1", trackId: "t1" }]);
    assert.deepEqual([...audio.ssrcs.keys()], [3333], "audio: no RTX SSRC");
    const video = readRtpSection(answer.media[1]!);
    assert.deepEqual(
      video.codecs.slice(0, 2).map((c) => `${c.payloadType} ${c.name}`),
      ["120 VP8", "124 rtx"],
    );
    assert.deepEqual(video.ssrcGroups, [{ semantics: "FID", ssrcs: [1111, 2222] }]);
    assert.equal(video.ssrcs.get(2222)?.find((x) => x.attribute === "cname")?.value, "petrel");
  });

  it("a section that cannot be answered is rejected with port 0 and its mid kept", () => {
    const offer = load("chrome-offer-av-datachannel.sdp").replace(/a=rtcp-mux\r\n/g, "");
    const answer = parsed(createAnswer(offer, answerState(2, { media: recvOnly })));
    assert.deepEqual(
      answer.media.map((m) => [m.kind, m.port, getAttribute(m.attributes, "mid")]),
      [
        ["audio", 0, "0"],
        ["video", 0, "1"],
        ["application", 9, "2"],
      ],
    );
    const policyRejects = parsed(
      createAnswer(load("firefox-offer-av.sdp"), answerState(2, { media: () => undefined })),
    );
    assert.deepEqual(
      policyRejects.media.map((m) => m.port),
      [0, 0],
    );
  });

  it("codec preferences order the answer; codecs we lack are left out", () => {
    const offer = load("chrome-offer-av-datachannel.sdp");
    const policy: MediaAnswerPolicy = (info) =>
      info.kind === "video"
        ? {
            direction: "recvonly",
            codecs: [
              { mimeType: "video/AV1", clockRate: 90000 },
              { mimeType: "video/VP8", clockRate: 90000 },
            ],
          }
        : { direction: "recvonly", codecs: [{ mimeType: "audio/PCMA", clockRate: 8000 }] };
    const answer = parsed(createAnswer(offer, answerState(2, { media: policy })));
    assert.deepEqual(
      readRtpSection(answer.media[1]!).codecs.map((c) => `${c.payloadType} ${c.name}`),
      ["45 AV1", "46 rtx", "96 VP8", "97 rtx"],
    );
    assert.deepEqual(answer.media[0]!.formats, ["8"]);
  });
});

describe("direction (RFC 8829 5.3.1)", () => {
  it("answer = what we want within the reverse of the offer", () => {
    const table: [string, string, string][] = [
      ["sendrecv", "sendrecv", "sendrecv"],
      ["sendrecv", "recvonly", "recvonly"],
      ["sendrecv", "sendonly", "sendonly"],
      ["sendonly", "sendrecv", "recvonly"],
      ["sendonly", "sendonly", "inactive"],
      ["recvonly", "sendrecv", "sendonly"],
      ["recvonly", "recvonly", "inactive"],
      ["inactive", "sendrecv", "inactive"],
    ];
    for (const [offered, ours, expected] of table) {
      assert.equal(answerDirection(offered as never, ours as never), expected, `${offered} x ${ours}`);
    }
  });
});

describe("H.264 (RFC 6184 8.2.2)", () => {
  const h264 = (fmtp: string) => ({
    payloadType: 102,
    name: "H264",
    clockRate: 90000,
    channels: undefined,
    parameters: new Map(fmtp.split(";").map((p) => p.split("=") as [string, string])),
    feedback: [],
  });
  const ours = (fmtp: string) => ({ mimeType: "video/H264", clockRate: 90000, sdpFmtpLine: fmtp });

  it("classifies profiles from profile-level-id", () => {
    assert.deepEqual(parseH264ProfileLevelId("42e01f"), { profile: "constrained-baseline", level: 31 });
    assert.deepEqual(parseH264ProfileLevelId("42001f"), { profile: "baseline", level: 31 });
    assert.deepEqual(parseH264ProfileLevelId("4d001f"), { profile: "main", level: 31 });
    assert.deepEqual(parseH264ProfileLevelId("640c1f"), { profile: "constrained-high", level: 31 });
    assert.deepEqual(parseH264ProfileLevelId("42f00b"), { profile: "constrained-baseline", level: 9 });
    assert.equal(parseH264ProfileLevelId("zz0000"), undefined);
    assert.equal(parseH264ProfileLevelId(undefined)?.profile, "baseline");
  });

  it("profile and packetization-mode must match; level is the minimum without asymmetry", () => {
    const mine = ours("packetization-mode=1;profile-level-id=42e01f");
    assert.equal(
      matchCodec(h264("packetization-mode=1;profile-level-id=42e015"), mine),
      "packetization-mode=1;profile-level-id=42e015",
    );
    assert.equal(
      matchCodec(h264("packetization-mode=1;profile-level-id=42e028"), mine),
      "packetization-mode=1;profile-level-id=42e01f",
    );
    // Constrained baseline written as 4d with constraint_set0 is the same profile.
    assert.ok(matchCodec(h264("packetization-mode=1;profile-level-id=4d801f"), mine));
    assert.equal(matchCodec(h264("packetization-mode=0;profile-level-id=42e01f"), mine), undefined);
    assert.equal(matchCodec(h264("packetization-mode=1;profile-level-id=4d001f"), mine), undefined);
  });

  it("with level-asymmetry-allowed on both sides, we answer our own level", () => {
    const mine = ours("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
    assert.equal(
      matchCodec(h264("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e034"), mine),
      "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
    );
  });
});

describe("our media offer", () => {
  it("is shaped like Chrome's and negotiates with itself", () => {
    const offerText = createOffer(
      offerState(1, {
        sections: [
          { kind: "audio", mid: "0", direction: "sendrecv", sender: { ...sender, ssrc: 5555, rtxSsrc: undefined } },
          { kind: "video", mid: "1", direction: "sendrecv", sender },
          { kind: "application", mid: "2" },
        ],
      }),
    );
    const offer = parsed(offerText);
    assert.deepEqual(bundleGroup(offer), ["0", "1", "2"]);
    const video = readRtpSection(offer.media[1]!);
    assert.equal(offer.media[1]!.protocol, "UDP/TLS/RTP/SAVPF");
    assert.deepEqual(
      video.codecs.map((c) => `${c.payloadType} ${c.name}`),
      ["96 VP8", "97 rtx", "98 VP9", "99 rtx", "102 H264", "103 rtx", "108 H264", "109 rtx", "45 AV1", "46 rtx"],
    );
    assert.ok(video.rtcpMux && video.rtcpRsize);
    assert.deepEqual(video.msids, [{ streamId: "s1", trackId: "t1" }]);
    assert.deepEqual(video.ssrcGroups, [{ semantics: "FID", ssrcs: [1111, 2222] }]);
    const audio = readRtpSection(offer.media[0]!);
    assert.deepEqual(
      audio.codecs.map((c) => `${c.payloadType} ${c.name}/${c.clockRate}/${c.channels ?? ""}`),
      [
        "111 opus/48000/2",
        "63 red/48000/2",
        "0 PCMU/8000/",
        "8 PCMA/8000/",
        "110 telephone-event/48000/",
        "126 telephone-event/8000/",
      ],
    );
    assert.equal(audio.codecs[0]!.parameters.get("useinbandfec"), "1");

    // The other side answers recvonly: from our side the negotiated direction is sendonly.
    const answerText = createAnswer(offerText, answerState(2, { media: recvOnly }));
    const answer = parsed(answerText);
    const n = negotiateMedia(offer.media[1]!, answer.media[1]!, false);
    assert.equal(n.direction, "sendonly");
    assert.equal(n.mid, "1");
    assert.equal(n.codecs[0]!.mimeType, "video/VP8");
    assert.equal(n.codecs[0]!.rtxPayloadType, 97);
    assert.ok(n.codecs[0]!.feedback.includes("nack pli"));
    assert.equal(n.extensions.get("urn:ietf:params:rtp-hdrext:sdes:mid"), 4);
    assert.deepEqual(n.remoteSources, [], "a recvonly answer announces no sources");
    // And from the answerer's side: recvonly, with our sources as the remote ones.
    const m = negotiateMedia(answer.media[1]!, offer.media[1]!, true);
    assert.equal(m.direction, "recvonly");
    assert.deepEqual(m.remoteSources, [{ ssrc: 1111, rtxSsrc: 2222, cname: "petrel" }]);
    assert.deepEqual(m.remoteStreamIds, ["s1"]);
    assert.equal(m.remoteTrackId, "t1");
  });

  it("a stopped transceiver is offered with port 0", () => {
    const offer = parsed(
      createOffer(offerState(1, { sections: [{ kind: "video", mid: "0", direction: "inactive", stopped: true }] })),
    );
    assert.equal(offer.media[0]!.port, 0);
  });
});
