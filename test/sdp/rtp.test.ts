// The typed view of RTP media sections: codecs joined from rtpmap/fmtp/rtcp-fb by payload type,
// header extensions, SSRCs and groups, from Chrome's and Firefox's real offers and answers.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parseSdp, readRtpSection, type SessionDescription } from "../../src/sdp/index.js";

function parsed(name: string): SessionDescription {
  const r = parseSdp(readFileSync(`test/fixtures/sdp/${name}`, "utf8"));
  if (!r.ok) assert.fail(r.reason);
  return r.sdp;
}

describe("readRtpSection", () => {
  it("Chrome's audio section", () => {
    const a = readRtpSection(parsed("chrome-offer-av-datachannel.sdp").media[0]!);
    assert.equal(a.mid, "0");
    assert.equal(a.direction, "sendrecv");
    assert.equal(a.rtcpMux, true);
    assert.equal(a.rtcpRsize, true);
    assert.deepEqual(
      a.codecs.map((c) => `${c.payloadType} ${c.name}/${c.clockRate}${c.channels ? `/${c.channels}` : ""}`),
      [
        "111 opus/48000/2",
        "63 red/48000/2",
        "9 G722/8000",
        "0 PCMU/8000",
        "8 PCMA/8000",
        "13 CN/8000",
        "110 telephone-event/48000",
        "126 telephone-event/8000",
      ],
    );
    const opus = a.codecs[0]!;
    assert.equal(opus.parameters.get("useinbandfec"), "1");
    assert.deepEqual(opus.feedback, [{ format: "111", type: "transport-cc", subtype: undefined }]);
    assert.deepEqual(
      a.extensions.map((e) => e.id),
      [1, 2, 3, 4],
    );
    assert.deepEqual(a.msids, [
      { streamId: "8b5b3b36-ac7b-49ee-9485-163f7add2604", trackId: "7930977c-db3b-493f-9536-8a6204185741" },
    ]);
    assert.deepEqual(a.ssrcs.get(472109324)?.[0], { attribute: "cname", value: "vrijrtLwzmeoaPt6" });
    assert.equal(a.malformed, 0);
  });
  it("Chrome's video section: rtx via apt, FID group", () => {
    const v = readRtpSection(parsed("chrome-offer-av-datachannel.sdp").media[1]!);
    assert.equal(v.codecs.length, 23);
    const vp8 = v.codecs.find((c) => c.name === "VP8")!;
    assert.deepEqual(
      vp8.feedback.map((f) => (f.subtype ? `${f.type} ${f.subtype}` : f.type)),
      ["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"],
    );
    const rtx = v.codecs.find((c) => c.payloadType === 97)!;
    assert.equal(rtx.name, "rtx");
    assert.equal(rtx.parameters.get("apt"), "96");
    const h264 = v.codecs.find((c) => c.payloadType === 102)!;
    assert.equal(h264.parameters.get("profile-level-id"), "42001f");
    assert.deepEqual(v.ssrcGroups, [{ semantics: "FID", ssrcs: [1620979845, 2739163164] }]);
    assert.equal(v.ssrcs.size, 2);
    assert.equal(v.malformed, 0);
  });
  it("Firefox's audio section and Chrome's recvonly answer", () => {
    const a = readRtpSection(parsed("firefox-offer-av.sdp").media[0]!);
    assert.equal(a.extmapAllowMixed, true);
    assert.equal(a.extensions[1]?.direction, "recvonly");
    assert.equal(a.codecs.find((c) => c.payloadType === 109)?.parameters.get("stereo"), "1");
    assert.equal(a.malformed, 0);
    const ans = parsed("chrome-answer-sendonly-video.sdp");
    assert.equal(readRtpSection(ans.media[0]!).direction, "recvonly");
  });
  it("counts lines for payload types that are not on the m-line", () => {
    const s = parsed("chrome-offer-av-datachannel.sdp");
    const m = s.media[0]!;
    m.attributes.push({ key: "rtpmap", value: "99 bogus/8000" }, { key: "fmtp", value: "nope" });
    assert.equal(readRtpSection(m).malformed, 2);
  });
});
