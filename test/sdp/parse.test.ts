// SDP parser and serialiser: byte-exact round trips of real browser SDP, typed attribute readers,
// rejection of malformed input with a reason and a line number, and mutation fuzzing (never throws).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { SeededRandom } from "../../src/random.js";
import {
  findDirection,
  getAttribute,
  getAttributes,
  getScopedAttribute,
  parseExtmap,
  parseFingerprint,
  parseFmtp,
  parseGroup,
  parseMsid,
  parseRtcpFb,
  parseRtpmap,
  parseSdp,
  parseSetup,
  parseSsrc,
  parseSsrcGroup,
  type SessionDescription,
  serializeSdp,
} from "../../src/sdp/index.js";

const DIR = "test/fixtures/sdp";
const fixtures = readdirSync(DIR).filter((f) => f.endsWith(".sdp"));

function load(name: string): string {
  return readFileSync(`${DIR}/${name}`, "utf8");
}
function mustParse(text: string): SessionDescription {
  const r = parseSdp(text);
  if (!r.ok) assert.fail(`parse failed at line ${r.line}: ${r.reason}`);
  return r.sdp;
}

describe("sdp parse/serialize round trip", () => {
  it("has the captured and hand-written fixtures", () => {
    assert.ok(fixtures.length >= 13, `only ${fixtures.length} fixtures`);
  });
  for (const f of fixtures) {
    it(`round-trips ${f} byte for byte`, () => {
      const text = load(f);
      assert.ok(text.includes("\r\n"));
      assert.equal(serializeSdp(mustParse(text)), text);
    });
  }
  it("accepts LF line endings and writes CRLF", () => {
    const text = load("chrome-offer-datachannel.sdp");
    const lf = text.replaceAll("\r\n", "\n");
    assert.equal(serializeSdp(mustParse(lf)), text);
  });
  it("accepts a last line without a line ending", () => {
    const text = load("chrome-answer-datachannel.sdp");
    assert.equal(serializeSdp(mustParse(text.slice(0, -2))), text);
  });
});

describe("sdp model", () => {
  it("reads Chrome's offer structure", () => {
    const s = mustParse(load("chrome-offer-av-datachannel.sdp"));
    assert.equal(s.origin.username, "-");
    assert.equal(s.origin.sessionId, "3184438348597165742");
    assert.equal(s.origin.sessionVersion, "2");
    assert.equal(s.timings.length, 1);
    assert.deepEqual(
      s.media.map((m) => [m.kind, m.port, m.protocol, m.formats.length]),
      [
        ["audio", 52069, "UDP/TLS/RTP/SAVPF", 8],
        ["video", 37230, "UDP/TLS/RTP/SAVPF", 23],
        ["application", 49812, "UDP/DTLS/SCTP", 1],
      ],
    );
    assert.deepEqual(parseGroup(getAttribute(s.attributes, "group")!), { semantics: "BUNDLE", mids: ["0", "1", "2"] });
    assert.equal(getAttribute(s.attributes, "msid-semantic"), " WMS 8b5b3b36-ac7b-49ee-9485-163f7add2604");
    assert.equal(getAttribute(s.attributes, "extmap-allow-mixed"), "");
    const audio = s.media[0]!;
    assert.deepEqual(audio.connection, { netType: "IN", addrType: "IP4", address: "127.0.0.1" });
    assert.equal(getAttributes(audio.attributes, "candidate").length, 8);
    assert.equal(findDirection(audio.attributes), "sendrecv");
    assert.ok(getAttribute(audio.attributes, "rtcp-mux") === "");
    const rtpmaps = getAttributes(audio.attributes, "rtpmap").map((v) => parseRtpmap(v)!);
    assert.deepEqual(rtpmaps[0], { payloadType: 111, encodingName: "opus", clockRate: 48000, channels: 2 });
    assert.equal(rtpmaps.length, 8);
    const fmtp = parseFmtp(getAttribute(audio.attributes, "fmtp")!)!;
    assert.equal(fmtp.format, "111");
    assert.equal(fmtp.params.get("useinbandfec"), "1");
    assert.equal(fmtp.params.get("minptime"), "10");
    const video = s.media[1]!;
    const fbs = getAttributes(video.attributes, "rtcp-fb").map((v) => parseRtcpFb(v)!);
    assert.deepEqual(fbs[4], { format: "96", type: "nack", subtype: "pli" });
    const ext = getAttributes(video.attributes, "extmap").map((v) => parseExtmap(v)!);
    assert.deepEqual(ext[0], {
      id: 14,
      direction: undefined,
      uri: "urn:ietf:params:rtp-hdrext:toffset",
      attributes: undefined,
    });
    assert.deepEqual(parseSsrcGroup(getAttribute(video.attributes, "ssrc-group")!), {
      semantics: "FID",
      ssrcs: [1620979845, 2739163164],
    });
    assert.deepEqual(parseSsrc(getAttribute(video.attributes, "ssrc")!), {
      ssrc: 1620979845,
      attribute: "cname",
      value: "vrijrtLwzmeoaPt6",
    });
    assert.deepEqual(parseMsid(getAttribute(video.attributes, "msid")!), {
      streamId: "8b5b3b36-ac7b-49ee-9485-163f7add2604",
      trackId: "82b7b21d-8e2a-4911-86fd-106926fffed3",
    });
  });
  it("reads Firefox's session-level fingerprint and extmap direction", () => {
    const s = mustParse(load("firefox-offer-av-datachannel.sdp"));
    assert.equal(s.origin.username, "mozilla...THIS_IS_SDPARTA-99.0");
    const fp = parseFingerprint(getScopedAttribute(s, s.media[2], "fingerprint")!)!;
    assert.equal(fp.algorithm, "sha-256");
    assert.ok(fp.value.startsWith("7A:76:19"));
    assert.equal(getAttribute(s.media[2]!.attributes, "fingerprint"), undefined);
    const ext = parseExtmap(getAttributes(s.media[0]!.attributes, "extmap")[1]!)!;
    assert.equal(ext.id, 2);
    assert.equal(ext.direction, "recvonly");
    assert.equal(getAttributes(s.media[0]!.attributes, "end-of-candidates").length, 1);
    assert.equal(parseSetup(getAttribute(s.media[0]!.attributes, "setup")!), "actpass");
  });
});

describe("attribute readers", () => {
  it("validates fingerprints", () => {
    const good =
      "sha-256 DA:5C:62:ED:C0:F6:23:F9:41:D5:A3:D0:A7:5B:BE:68:E9:C1:1E:80:7E:12:F1:EE:85:41:EE:A2:D0:AF:9A:76";
    assert.equal(parseFingerprint(good)?.value.length, 95);
    assert.equal(parseFingerprint(good.toLowerCase())?.value, good.slice(8));
    assert.equal(parseFingerprint(`SHA-256 ${good.slice(8)}`)?.algorithm, "sha-256");
    assert.equal(parseFingerprint("sha-256 DA:5C"), undefined, "too short for sha-256");
    assert.equal(parseFingerprint("sha-256"), undefined);
    assert.equal(parseFingerprint("sha-256 DA:5G:62"), undefined);
    assert.equal(parseFingerprint("sha-1 DA5C62"), undefined);
  });
  it("validates setup, rtpmap, extmap and ssrc", () => {
    assert.equal(parseSetup("actpass"), "actpass");
    assert.equal(parseSetup("client"), undefined);
    assert.equal(parseRtpmap("111 opus"), undefined);
    assert.equal(parseRtpmap("300 opus/48000"), undefined);
    assert.deepEqual(parseRtpmap("0 PCMU/8000"), {
      payloadType: 0,
      encodingName: "PCMU",
      clockRate: 8000,
      channels: undefined,
    });
    assert.equal(parseExtmap("0 urn:x"), undefined);
    assert.equal(parseExtmap("3/sideways urn:x"), undefined);
    assert.equal(parseSsrc("abc cname:x"), undefined);
    assert.equal(parseSsrc("99999999999 cname:x"), undefined);
  });
});

describe("malformed SDP is rejected with a reason", () => {
  const base = load("chrome-offer-datachannel.sdp");
  const cases: [string, string, number][] = [
    ["empty", "", 0],
    ["missing v", base.replace("v=0\r\n", ""), 1],
    ["wrong version", base.replace("v=0", "v=1"), 1],
    ["bad origin", base.replace("o=- 7748484304824303500 2 IN IP4 127.0.0.1", "o=- abc 2 IN IP4 127.0.0.1"), 2],
    ["origin fields missing", base.replace("o=- 7748484304824303500 2 IN IP4 127.0.0.1", "o=- 1 2"), 2],
    ["missing s", base.replace("s=-\r\n", ""), 3],
    ["missing t", base.replace("t=0 0\r\n", ""), 7],
    ["no equals sign", base.replace("a=mid:0", "a-mid:0"), 23],
    ["unknown line type", base.replace("a=mid:0", "x=mid:0"), 23],
    ["session line in media", base.replace("a=mid:0", "t=0 0"), 23],
    ["bad m-line port", base.replace("m=application 35769", "m=application 99999"), 8],
    [
      "m-line too short",
      base.replace("m=application 35769 UDP/DTLS/SCTP webrtc-datachannel", "m=application 35769"),
      8,
    ],
    ["bad connection", base.replace("c=IN IP4 127.0.0.1", "c=IN IP4"), 9],
    ["bad attribute name", base.replace("a=mid:0", "a=:0"), 23],
    ["duplicate media c=", base.replace("c=IN IP4 127.0.0.1\r\n", "c=IN IP4 127.0.0.1\r\nc=IN IP4 127.0.0.1\r\n"), 10],
    ["stray CR", base.replace("a=mid:0", "a=mid:0\rx"), 23],
    ["bandwidth not a number", base.replace("c=IN IP4 127.0.0.1\r\n", "c=IN IP4 127.0.0.1\r\nb=AS:x\r\n"), 10],
  ];
  for (const [name, text, line] of cases) {
    it(name, () => {
      const r = parseSdp(text);
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.ok(r.reason.length > 0);
        assert.equal(r.line, line, r.reason);
      }
    });
  }
  it("rejects input over the length cap", () => {
    const r = parseSdp(base, { maxLength: 100 });
    assert.equal(r.ok, false);
  });
  it("rejects too many media sections", () => {
    const m = "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n";
    const r = parseSdp(`v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n${m.repeat(5)}`, { maxMediaSections: 4 });
    assert.equal(r.ok, false);
  });
  it("returns a failure for a non-string", () => {
    assert.equal(parseSdp(undefined as unknown as string).ok, false);
  });
});

describe("mutated SDP never throws", () => {
  const inputs = fixtures.map(load);
  const alphabet = "=: \r\n/0123456789abcdefmvostca-";
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`seed ${seed}`, () => {
      const rnd = new SeededRandom(seed);
      for (let i = 0; i < 400; i++) {
        const src = inputs[rnd.int(inputs.length)]!;
        const chars = src.split("");
        const edits = 1 + rnd.int(8);
        for (let e = 0; e < edits; e++) {
          const at = rnd.int(chars.length);
          const op = rnd.int(3);
          if (op === 0) chars.splice(at, 1);
          else if (op === 1) chars.splice(at, 0, alphabet[rnd.int(alphabet.length)]!);
          else chars[at] = alphabet[rnd.int(alphabet.length)]!;
        }
        const text = rnd.int(10) === 0 ? chars.join("").slice(0, rnd.int(chars.length)) : chars.join("");
        let r: ReturnType<typeof parseSdp>;
        try {
          r = parseSdp(text);
        } catch (err) {
          assert.fail(`seed ${seed} iteration ${i}: parseSdp threw ${String(err)}`);
        }
        if (r.ok) {
          // Whatever parses must serialise and parse again to the same model.
          const again = parseSdp(serializeSdp(r.sdp));
          assert.ok(again.ok, `seed ${seed} iteration ${i}: re-parse failed`);
          assert.deepEqual(again.sdp, r.sdp, `seed ${seed} iteration ${i}`);
        }
      }
    });
  }
});
