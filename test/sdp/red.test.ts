// RED (RFC 2198) in JSEP (src/sdp/media.ts): offered for audio after Opus with fmtp "<opus>/<opus>",
// answered with the offerer's payload types only when the codecs it names are answered, first
// when codec preferences put it first; video red/ulpfec are never answered (we do no FEC).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createAnswer,
  createOffer,
  getAttributes,
  type MediaAnswerPolicy,
  negotiateMedia,
  readRtpSection,
} from "../../src/sdp/index.js";
import { DEFAULT_AUDIO_CODECS } from "../../src/sdp/media.js";
import { answerState, load, offerState, parsed } from "./helpers.js";

const recvOnly: MediaAnswerPolicy = () => ({ direction: "recvonly" });
const opus = DEFAULT_AUDIO_CODECS.find((c) => c.mimeType === "audio/opus")!;
const red = DEFAULT_AUDIO_CODECS.find((c) => c.mimeType === "audio/red")!;
const fmtps = (text: string, mline: number) => getAttributes(parsed(text).media[mline]!.attributes, "fmtp");

describe("RED in offers", () => {
  it("audio offers red/48000/2 right after Opus with fmtp 111/111", () => {
    const text = createOffer(offerState(1, { sections: [{ kind: "audio", mid: "0", direction: "sendrecv" }] }));
    const audio = readRtpSection(parsed(text).media[0]!);
    const names = audio.codecs.map((c) => `${c.payloadType} ${c.name}/${c.clockRate}/${c.channels ?? ""}`);
    assert.deepEqual(names.slice(0, 2), ["111 opus/48000/2", "63 red/48000/2"]);
    assert.ok(fmtps(text, 0).includes("63 111/111"), fmtps(text, 0).join("|"));
    assert.deepEqual(audio.codecs[1]!.feedback, [], "no rtcp-fb on RED");
  });

  it("preferences [red, opus] offer RED first; its fmtp follows Opus's payload type; no Opus, no RED", () => {
    const text = createOffer(
      offerState(1, {
        sections: [
          { kind: "audio", mid: "0", direction: "sendrecv", codecs: [red, { ...opus, payloadType: 100 }] },
          {
            kind: "audio",
            mid: "1",
            direction: "sendrecv",
            codecs: [red, { mimeType: "audio/PCMU", clockRate: 8000, payloadType: 0 }],
          },
        ],
      }),
    );
    assert.deepEqual(parsed(text).media[0]!.formats, ["63", "100"]);
    assert.ok(fmtps(text, 0).includes("63 100/100"));
    assert.deepEqual(parsed(text).media[1]!.formats, ["0"]);
  });
});

describe("RED in answers", () => {
  it("Chrome's audio red 63 (111/111) is answered after Opus; video red/ulpfec are not", () => {
    const text = createAnswer(load("chrome-offer-av-datachannel.sdp"), answerState(2, { media: recvOnly }));
    const audio = readRtpSection(parsed(text).media[0]!);
    assert.deepEqual(
      audio.codecs.slice(0, 2).map((c) => `${c.payloadType} ${c.name}`),
      ["111 opus", "63 red"],
    );
    assert.ok(fmtps(text, 0).includes("63 111/111"));
    const video = readRtpSection(parsed(text).media[1]!);
    const videoNames = video.codecs.map((c) => c.name?.toLowerCase());
    assert.ok(!videoNames.includes("red") && !videoNames.includes("ulpfec"), videoNames.join(","));
    // The RTX of red (119, apt=118) goes with it.
    assert.ok(!video.codecs.some((c) => c.payloadType === 118 || c.payloadType === 119));
  });

  it("preferences [red, opus] answer RED first with the offerer's payload types", () => {
    const policy: MediaAnswerPolicy = (info) =>
      info.kind === "audio" ? { direction: "recvonly", codecs: [red, opus] } : undefined;
    const text = createAnswer(load("chrome-offer-av-datachannel.sdp"), answerState(2, { media: policy }));
    assert.deepEqual(parsed(text).media[0]!.formats, ["63", "111"]);
    const offer = parsed(load("chrome-offer-av-datachannel.sdp"));
    const n = negotiateMedia(parsed(text).media[0]!, offer.media[0]!, true);
    assert.equal(n.codecs[0]!.mimeType, "audio/red");
    assert.equal(n.codecs[0]!.sdpFmtpLine, "111/111");
    assert.equal(n.codecs[1]!.mimeType, "audio/opus");
  });

  it("RED naming a codec we do not answer (or a malformed fmtp) is left out", () => {
    const base = load("chrome-offer-av-datachannel.sdp");
    for (const fmtp of ["a=fmtp:63 9/9", "a=fmtp:63 111/foo", "a=fmtp:63 111/200"]) {
      const offer = base.replace("a=fmtp:63 111/111", fmtp);
      const text = createAnswer(offer, answerState(2, { media: recvOnly }));
      const names = readRtpSection(parsed(text).media[0]!).codecs.map((c) => c.name);
      assert.ok(names.includes("opus") && !names.includes("red"), `${fmtp}: ${names.join(",")}`);
    }
    // Only Opus preferred: RED is not answered either.
    const only: MediaAnswerPolicy = (info) =>
      info.kind === "audio"
        ? { direction: "recvonly", codecs: [{ mimeType: "audio/PCMU", clockRate: 8000 }, red] }
        : undefined;
    const text = createAnswer(base, answerState(2, { media: only }));
    assert.deepEqual(parsed(text).media[0]!.formats, ["0"]);
  });
});
