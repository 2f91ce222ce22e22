// JSEP pure functions: reading real Chrome/Firefox/Safari offers and answers, our offers compared
// with Chrome's, answers to browser offers, DTLS roles, candidates editing, ICE restart, and the
// rejection (with a reason, never a throw) of unusable or mutated descriptions.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SeededRandom } from "../../src/random.js";
import {
  addCandidateToSdp,
  addEndOfCandidates,
  createAnswer,
  createOffer,
  generateIceCredentials,
  getAttribute,
  getAttributes,
  isIceRestart,
  type LocalOfferState,
  newSessionId,
  parseRemoteDescription,
  removeCandidates,
  type SdpType,
  type SessionDescription,
  serializeSdp,
} from "../../src/sdp/index.js";
import { answerState, FP, load, local, offerState, parsed, remote } from "./helpers.js";

describe("reading browser descriptions", () => {
  it("Chrome data-channel offer", () => {
    const d = remote(load("chrome-offer-datachannel.sdp"));
    assert.equal(d.iceUfrag, "Xq0A");
    assert.equal(d.icePwd, "Lt9E8jhl/+oQt1bJGKcpjYGi");
    assert.deepEqual(d.fingerprints, [
      {
        algorithm: "sha-256",
        value: "DA:5C:62:ED:C0:F6:23:F9:41:D5:A3:D0:A7:5B:BE:68:E9:C1:1E:80:7E:12:F1:EE:85:41:EE:A2:D0:AF:9A:76",
      },
    ]);
    assert.equal(d.setup, "actpass");
    assert.equal(d.dtlsRole, "client");
    assert.deepEqual(d.mids, ["0"]);
    assert.deepEqual(d.bundle, ["0"]);
    assert.deepEqual(d.sctp, { mid: "0", index: 0, port: 5000, maxMessageSize: 262144 });
    assert.equal(d.candidates.length, 8);
    assert.equal(d.candidates[0]!.candidate.startsWith("candidate:2887061001 1 udp 2122194687 127.0.0.1"), true);
    assert.equal(d.candidates[0]!.sdpMid, "0");
    assert.equal(d.candidates[0]!.sdpMLineIndex, 0);
    assert.equal(d.candidates[0]!.usernameFragment, "Xq0A");
    assert.equal(d.endOfCandidates, false);
    assert.equal(d.iceLite, false);
    assert.deepEqual(d.iceOptions, ["trickle"]);
    assert.equal(d.sessionId, "7748484304824303500");
  });
  it("Chrome audio+video+data offer: transport from the first bundled section", () => {
    const d = remote(load("chrome-offer-av-datachannel.sdp"));
    assert.deepEqual(d.mids, ["0", "1", "2"]);
    assert.deepEqual(d.bundle, ["0", "1", "2"]);
    assert.equal(d.transportMid, "0");
    assert.equal(d.iceUfrag, "DHFM");
    assert.equal(d.candidates.length, 24);
    assert.deepEqual(
      d.candidates.map((c) => c.sdpMLineIndex).filter((v, i, a) => a.indexOf(v) === i),
      [0, 1, 2],
    );
    assert.deepEqual(d.sctp, { mid: "2", index: 2, port: 5000, maxMessageSize: 262144 });
    assert.deepEqual(
      d.sections.map((s) => [s.kind, s.direction, s.rejected]),
      [
        ["audio", "sendrecv", false],
        ["video", "sendrecv", false],
        ["application", "sendrecv", false],
      ],
    );
  });
  it("Chrome mDNS offer keeps the .local candidates raw", () => {
    const d = remote(load("chrome-offer-datachannel-mdns.sdp"));
    assert.equal(d.candidates.length, 2);
    assert.ok(d.candidates.every((c) => c.candidate.includes(".local ")));
  });
  it("Firefox data-channel offer: session-level fingerprint, end-of-candidates, max-message-size", () => {
    const d = remote(load("firefox-offer-datachannel.sdp"));
    assert.equal(d.iceUfrag, "bcf86c48");
    assert.equal(d.icePwd, "c13bbb6af5e6fddc76bb15cc789c6864");
    assert.equal(d.fingerprints.length, 1);
    assert.ok(d.fingerprints[0]!.value.startsWith("CC:1C:19:89"));
    assert.equal(d.setup, "actpass");
    assert.deepEqual(d.sctp, { mid: "0", index: 0, port: 5000, maxMessageSize: 1073741823 });
    assert.equal(d.candidates.length, 4);
    assert.equal(d.endOfCandidates, true);
  });
  it("Firefox audio+video+data offer", () => {
    const d = remote(load("firefox-offer-av-datachannel.sdp"));
    assert.equal(d.iceUfrag, "5a118485");
    assert.equal(d.candidates.length, 20);
    assert.equal(d.sctp?.index, 2);
    assert.equal(d.sctp?.maxMessageSize, 1073741823);
    assert.equal(d.endOfCandidates, true);
    for (const f of ["firefox-offer-av.sdp", "firefox-offer-av-mdns.sdp", "firefox-offer-av-datachannel-mdns.sdp"]) {
      const x = remote(load(f));
      assert.equal(x.sctp === undefined, !f.includes("datachannel"), f);
    }
  });
  it("hand-written Safari offer", () => {
    const d = remote(load("safari-offer-datachannel-mdns.sdp"));
    assert.equal(d.iceUfrag, "pQ7x");
    assert.equal(d.candidates.length, 2);
    assert.equal(d.sctp?.port, 5000);
  });
  it("Chrome answers: setup active makes us the DTLS server", () => {
    const d = remote(load("chrome-answer-datachannel.sdp"), "answer");
    assert.equal(d.setup, "active");
    assert.equal(d.dtlsRole, "server");
    assert.equal(d.sctp?.maxMessageSize, 262144);
    const av = remote(load("chrome-answer-recvonly-av.sdp"), "answer");
    assert.equal(av.sctp, undefined);
    assert.deepEqual(
      av.sections.map((s) => s.direction),
      ["sendonly", "sendonly"],
    );
  });
});

describe("createOffer", () => {
  it("produces a data section with the same attributes, in the same order, as Chrome's", () => {
    const ours = parsed(createOffer(offerState()));
    const chrome = parsed(load("chrome-offer-datachannel-mdns.sdp"));
    const keys = (s: SessionDescription, i?: number) =>
      (i === undefined ? s.attributes : s.media[i]!.attributes).map((a) => a.key).filter((k) => k !== "candidate");
    assert.deepEqual(keys(ours), keys(chrome));
    assert.deepEqual(keys(ours, 0), keys(chrome, 0));
    const m = ours.media[0]!;
    assert.deepEqual(
      [m.kind, m.port, m.protocol, m.formats],
      ["application", 9, "UDP/DTLS/SCTP", ["webrtc-datachannel"]],
    );
    assert.deepEqual(m.connection, { netType: "IN", addrType: "IP4", address: "0.0.0.0" });
    assert.equal(getAttribute(ours.attributes, "msid-semantic"), " WMS");
    assert.equal(getAttribute(ours.attributes, "group"), "BUNDLE 0");
    assert.equal(getAttribute(m.attributes, "setup"), "actpass");
    assert.equal(getAttribute(m.attributes, "sctp-port"), "5000");
    assert.equal(getAttribute(m.attributes, "max-message-size"), "262144");
    assert.equal(getAttribute(m.attributes, "ice-options"), "trickle");
    assert.equal(ours.sessionName, "-");
    assert.deepEqual(ours.timings, [{ start: "0", stop: "0", repeats: [] }]);
  });
  it("reads back as a valid local offer with no DTLS role yet", () => {
    const state = offerState();
    const d = local(createOffer(state), "offer");
    assert.equal(d.iceUfrag, state.iceUfrag);
    assert.equal(d.icePwd, state.icePwd);
    assert.deepEqual(d.fingerprints, [FP]);
    assert.equal(d.dtlsRole, undefined);
    assert.equal(d.sessionVersion, "0");
    assert.equal(d.sessionId, state.sessionId);
  });
  it("keeps the session id and increments the version from the previous description", () => {
    const state = offerState();
    const first = createOffer(state);
    const second = createOffer({ ...state, sessionId: "1" }, first);
    const third = createOffer(state, second);
    assert.equal(parsed(second).origin.sessionId, state.sessionId);
    assert.equal(parsed(second).origin.sessionVersion, "1");
    assert.equal(parsed(third).origin.sessionVersion, "2");
    const big = createOffer(state, first.replace(/^o=- (\d+) 0/m, "o=- $1 9223372036854775806"));
    assert.equal(parsed(big).origin.sessionVersion, "9223372036854775807");
  });
  it("writes gathered candidates, end-of-candidates and the default candidate", () => {
    const cands = [
      "candidate:1 1 udp 2122194687 192.0.2.1 50000 typ host generation 0",
      "candidate:2 1 udp 1686052607 198.51.100.7 61000 typ srflx raddr 192.0.2.1 rport 50000 generation 0",
    ];
    const text = createOffer(
      offerState(3, {
        candidates: cands,
        endOfCandidates: true,
        defaultCandidate: { address: "192.0.2.1", port: 50000 },
      }),
    );
    const s = parsed(text);
    assert.equal(s.media[0]!.port, 50000);
    assert.equal(s.media[0]!.connection?.address, "192.0.2.1");
    const d = remote(text);
    assert.deepEqual(
      d.candidates.map((c) => c.candidate),
      cands,
    );
    assert.equal(d.endOfCandidates, true);
  });
  it("adds ice-lite at session level and several sections to the BUNDLE group", () => {
    const s = parsed(
      createOffer(
        offerState(4, {
          iceLite: true,
          sections: [
            { kind: "application", mid: "data", sctpPort: 5001, maxMessageSize: 0 },
            { kind: "application", mid: "x" },
          ],
        }),
      ),
    );
    assert.equal(getAttribute(s.attributes, "ice-lite"), "");
    assert.equal(getAttribute(s.attributes, "group"), "BUNDLE data x");
    const d = remote(serializeSdp(s));
    assert.equal(d.iceLite, true);
    assert.deepEqual(d.sctp, { mid: "data", index: 0, port: 5001, maxMessageSize: Number.POSITIVE_INFINITY });
  });
  it("a re-offer may keep the negotiated DTLS role", () => {
    const d = local(createOffer(offerState(9, { setup: "passive" })), "offer");
    assert.equal(d.setup, "passive");
    assert.equal(d.dtlsRole, "server");
    assert.equal(remote(createOffer(offerState(9, { setup: "passive" }))).dtlsRole, "client");
  });
  it("throws a coded error on misuse", () => {
    const bad: [string, Partial<LocalOfferState>][] = [
      ["short ufrag", { iceUfrag: "ab" }],
      ["short pwd", { icePwd: "abc" }],
      ["bad ufrag chars", { iceUfrag: "ab cd" }],
      ["no fingerprint", { fingerprints: [] }],
      ["bad fingerprint", { fingerprints: [{ algorithm: "sha-256", value: "00" }] }],
      [
        "duplicate mid",
        {
          sections: [
            { kind: "application", mid: "0" },
            { kind: "application", mid: "0" },
          ],
        },
      ],
      ["bad mid", { sections: [{ kind: "application", mid: "a b" }] }],
      ["bad session id", { sessionId: "12x" }],
      ["newline in candidate", { candidates: ["candidate:1 1 udp 1 1.2.3.4 5 typ host\r\na=x"] }],
    ];
    for (const [name, extra] of bad) {
      assert.throws(() => createOffer(offerState(5, extra)), { code: "ERR_SDP_INVALID_ARGUMENT" }, name);
    }
  });
});

describe("createAnswer", () => {
  it("answers Chrome's data-channel offer with a valid answer", () => {
    const offer = load("chrome-offer-datachannel.sdp");
    const text = createAnswer(offer, answerState());
    const ours = local(text, "answer", offer);
    assert.equal(ours.setup, "active");
    assert.equal(ours.dtlsRole, "client");
    assert.deepEqual(ours.mids, ["0"]);
    assert.deepEqual(ours.bundle, ["0"]);
    assert.deepEqual(ours.sctp, { mid: "0", index: 0, port: 5000, maxMessageSize: 262144 });
    // Chrome, reading our answer, is the DTLS server.
    assert.equal(remote(text, "answer", offer).dtlsRole, "server");
    // Same shape as Chrome's own answer.
    const chrome = parsed(load("chrome-answer-datachannel.sdp"));
    const s = parsed(text);
    assert.deepEqual(
      s.media[0]!.attributes.map((a) => a.key),
      chrome.media[0]!.attributes.map((a) => a.key),
    );
    assert.deepEqual(
      s.attributes.map((a) => a.key),
      chrome.attributes.map((a) => a.key),
    );
  });
  it("rejects audio and video with port 0, keeps their mids, and bundles the data section", () => {
    const offer = load("chrome-offer-av-datachannel.sdp");
    const text = createAnswer(offer, answerState());
    const s = parsed(text);
    assert.deepEqual(
      s.media.map((m) => [m.kind, m.port, getAttribute(m.attributes, "mid")]),
      [
        ["audio", 0, "0"],
        ["video", 0, "1"],
        ["application", 9, "2"],
      ],
    );
    assert.equal(s.media[0]!.protocol, "UDP/TLS/RTP/SAVPF");
    assert.deepEqual(s.media[0]!.formats, parsed(offer).media[0]!.formats);
    assert.equal(getAttribute(s.attributes, "group"), "BUNDLE 2");
    const d = local(text, "answer", offer);
    assert.equal(d.transportMid, "2");
    assert.deepEqual(
      d.sections.map((x) => x.rejected),
      [true, true, false],
    );
    // The offerer reading our answer gets its transport from mid 2.
    const r = remote(text, "answer", offer);
    assert.equal(r.iceUfrag, d.iceUfrag);
    assert.equal(r.sctp?.index, 2);
  });
  it("answers every Firefox offer", () => {
    for (const f of [
      "firefox-offer-datachannel.sdp",
      "firefox-offer-av-datachannel-mdns.sdp",
      "firefox-offer-av.sdp",
    ]) {
      const offer = load(f);
      const text = createAnswer(offer, answerState());
      const d = local(text, "answer", offer);
      const hasData = f.includes("datachannel");
      assert.equal(d.setup, hasData ? "active" : undefined, f);
      assert.equal(d.sctp === undefined, !hasData, f);
      assert.equal(
        d.sections.every((x) => x.rejected),
        !hasData,
        f,
      );
      assert.equal(getAttribute(parsed(text).attributes, "group") === undefined, !hasData, f);
      assert.equal(getAttribute(parsed(text).attributes, "extmap-allow-mixed"), undefined, f);
    }
  });
  it("answers passive to an active offer and active to a passive one", () => {
    const base = load("chrome-offer-datachannel.sdp");
    for (const [offered, answered, ourRole] of [
      ["active", "passive", "server"],
      ["passive", "active", "client"],
      ["actpass", "active", "client"],
    ] as const) {
      const offer = base.replace("a=setup:actpass", `a=setup:${offered}`);
      assert.equal(remote(offer).dtlsRole, ourRole);
      const d = local(createAnswer(offer, answerState()), "answer", offer);
      assert.equal(d.setup, answered, offered);
      assert.equal(d.dtlsRole, ourRole, offered);
    }
    const passive = local(createAnswer(base, answerState(2, { setup: "passive" })), "answer", base);
    assert.equal(passive.setup, "passive");
    assert.equal(passive.dtlsRole, "server");
  });
  it("rejects a second data section and a data section the offerer rejected", () => {
    const state = offerState(6, {
      sections: [
        { kind: "application", mid: "a" },
        { kind: "application", mid: "b" },
      ],
    });
    const offer = createOffer(state);
    const s = parsed(createAnswer(offer, answerState()));
    assert.deepEqual(
      s.media.map((m) => m.port),
      [9, 0],
    );
    assert.equal(getAttribute(s.attributes, "group"), "BUNDLE a");
    const rejected = offer.replace("m=application 9", "m=application 0");
    const s2 = parsed(createAnswer(rejected, answerState()));
    assert.deepEqual(
      s2.media.map((m) => m.port),
      [0, 9],
    );
  });
  it("round trip: our offer, our answer, each side gets complementary roles", () => {
    for (const seed of [1, 2, 3]) {
      const offerer = offerState(seed);
      const answerer = answerState(seed + 100);
      const offer = createOffer(offerer);
      const answer = createAnswer(offer, answerer);
      const atAnswerer = remote(offer);
      const atOfferer = remote(answer, "answer", offer);
      assert.equal(atAnswerer.dtlsRole, "client", `seed ${seed}`);
      assert.equal(atOfferer.dtlsRole, "server", `seed ${seed}`);
      assert.equal(atOfferer.iceUfrag, answerer.iceUfrag, `seed ${seed}`);
      assert.equal(atAnswerer.iceUfrag, offerer.iceUfrag, `seed ${seed}`);
      assert.equal(atOfferer.sctp?.port, 5000);
    }
  });
  it("reads and answers the pre-RFC 8841 form (DTLS/SCTP 5000 with a=sctpmap)", () => {
    const legacy = load("chrome-offer-datachannel.sdp")
      .replace("m=application 35769 UDP/DTLS/SCTP webrtc-datachannel", "m=application 35769 DTLS/SCTP 5001")
      .replace("a=sctp-port:5000\r\n", "a=sctpmap:5001 webrtc-datachannel 1024\r\n")
      .replace("a=max-message-size:262144\r\n", "");
    const d = remote(legacy);
    assert.deepEqual(d.sctp, { mid: "0", index: 0, port: 5001, maxMessageSize: 65536 });
    const text = createAnswer(legacy, answerState());
    const m = parsed(text).media[0]!;
    assert.deepEqual([m.port, m.protocol, m.formats], [9, "DTLS/SCTP", ["5000"]]);
    assert.equal(getAttribute(m.attributes, "sctpmap"), "5000 webrtc-datachannel 1024");
    assert.equal(local(text, "answer", legacy).sctp?.port, 5000);
    // Without the sctpmap line the section is not a data channel section and is rejected.
    const bare = legacy.replace("a=sctpmap:5001 webrtc-datachannel 1024\r\n", "");
    assert.equal(remote(bare).sctp, undefined);
    assert.equal(parsed(createAnswer(bare, answerState())).media[0]!.port, 0);
  });
  it("answers an offer without mids or BUNDLE without mids", () => {
    const offer = load("chrome-offer-datachannel.sdp").replace("a=group:BUNDLE 0\r\n", "").replace("a=mid:0\r\n", "");
    const d = remote(offer);
    assert.deepEqual(d.mids, ["0"], "the m-line index stands in for the mid");
    assert.equal(d.sctp?.port, 5000);
    const text = createAnswer(offer, answerState());
    const s = parsed(text);
    assert.equal(s.media[0]!.port, 9);
    assert.equal(getAttribute(s.media[0]!.attributes, "mid"), undefined);
    assert.equal(getAttribute(s.attributes, "group"), undefined);
    assert.equal(local(text, "answer", offer).sctp?.port, 5000);
  });
  it("throws a coded error when the offer does not parse", () => {
    assert.throws(() => createAnswer("garbage", answerState()), { code: "ERR_SDP_INVALID_ARGUMENT" });
  });
});

describe("candidates in descriptions", () => {
  const offer = createOffer(offerState(7));
  const c1 = "candidate:1 1 udp 2122194687 192.0.2.1 50000 typ host generation 0";
  const c2 = "a=candidate:2 1 udp 2122194686 192.0.2.2 50001 typ host generation 0\r\n";
  it("adds candidates before ice-ufrag, then after the last one, without duplicates", () => {
    let text = addCandidateToSdp(offer, "0", c1);
    text = addCandidateToSdp(text, 0, c2);
    assert.equal(addCandidateToSdp(text, "0", c1), text);
    const keys = parsed(text).media[0]!.attributes.map((a) => a.key);
    assert.deepEqual(keys.slice(0, 3), ["candidate", "candidate", "ice-ufrag"]);
    const d = remote(text);
    assert.deepEqual(
      d.candidates.map((c) => c.candidate),
      [c1, "candidate:2 1 udp 2122194686 192.0.2.2 50001 typ host generation 0"],
    );
    text = addEndOfCandidates(text);
    assert.equal(remote(text).endOfCandidates, true);
    assert.equal(addEndOfCandidates(text, "0"), text);
    const keys2 = parsed(text).media[0]!.attributes.map((a) => a.key);
    assert.equal(keys2[2], "end-of-candidates");
    const c3 = "candidate:3 1 udp 1 192.0.2.3 50002 typ host";
    const withThird = parsed(addCandidateToSdp(text, "0", c3)).media[0]!.attributes.map((a) => a.key);
    assert.deepEqual(withThird.slice(0, 4), ["candidate", "candidate", "candidate", "end-of-candidates"]);
    const cleared = remote(removeCandidates(text));
    assert.equal(cleared.candidates.length, 0);
    assert.equal(cleared.endOfCandidates, false);
  });
  it("adds to a remote description too (Firefox places end-of-candidates after candidates)", () => {
    const ff = load("firefox-offer-datachannel.sdp");
    const text = addCandidateToSdp(ff, "0", "candidate:9 1 UDP 1 192.0.2.9 9999 typ host");
    const cands = getAttributes(parsed(text).media[0]!.attributes, "candidate");
    assert.equal(cands.length, 5);
    assert.equal(cands[4], "9 1 UDP 1 192.0.2.9 9999 typ host");
  });
  it("throws coded errors for unknown sections and empty candidates", () => {
    assert.throws(() => addCandidateToSdp(offer, "7", c1), { code: "ERR_SDP_NO_SUCH_SECTION" });
    assert.throws(() => addCandidateToSdp(offer, 3, c1), { code: "ERR_SDP_NO_SUCH_SECTION" });
    assert.throws(() => addCandidateToSdp(offer, "0", "candidate:"), { code: "ERR_SDP_INVALID_ARGUMENT" });
    assert.throws(() => addEndOfCandidates("nope", "0"), { code: "ERR_SDP_INVALID_ARGUMENT" });
  });
});

describe("ICE restart", () => {
  it("a new offer with new credentials is detected as a restart", () => {
    const state = offerState(8);
    const first = createOffer(state);
    const fresh = generateIceCredentials(new SeededRandom(99));
    const second = createOffer({ ...state, iceUfrag: fresh.ufrag, icePwd: fresh.pwd }, first);
    const a = remote(first);
    const b = remote(second);
    assert.equal(isIceRestart(a, b), true);
    assert.equal(isIceRestart(a, remote(createOffer(state, first))), false);
    assert.equal(isIceRestart(undefined, a), false);
    assert.equal(b.sessionId, a.sessionId);
  });
  it("credentials are valid and differ between draws", () => {
    const rnd = new SeededRandom(5);
    const x = generateIceCredentials(rnd);
    const y = generateIceCredentials(rnd);
    assert.match(x.ufrag, /^[A-Za-z0-9+/]{8}$/);
    assert.match(x.pwd, /^[A-Za-z0-9+/]{24}$/);
    assert.notEqual(x.pwd, y.pwd);
    assert.match(newSessionId(rnd), /^[1-9][0-9]{0,18}$/);
  });
});

describe("unusable descriptions are rejected with a reason", () => {
  const base = load("chrome-offer-datachannel.sdp");
  const ff = load("firefox-offer-datachannel.sdp");
  const cases: [string, string, SdpType, string][] = [
    ["missing ice-ufrag", base.replace("a=ice-ufrag:Xq0A\r\n", ""), "offer", "InvalidAccessError"],
    ["missing ice-pwd", base.replace(/a=ice-pwd:.*\r\n/, ""), "offer", "InvalidAccessError"],
    ["short ice-pwd", base.replace(/a=ice-pwd:.*\r\n/, "a=ice-pwd:short\r\n"), "offer", "InvalidAccessError"],
    ["missing fingerprint", base.replace(/a=fingerprint:.*\r\n/, ""), "offer", "InvalidAccessError"],
    ["missing session fingerprint", ff.replace(/a=fingerprint:.*\r\n/, ""), "offer", "InvalidAccessError"],
    [
      "truncated fingerprint",
      base.replace(/(a=fingerprint:sha-256 [0-9A-F:]{20}).*\r\n/, "$1\r\n"),
      "offer",
      "InvalidAccessError",
    ],
    ["bad setup", base.replace("a=setup:actpass", "a=setup:client"), "offer", "InvalidAccessError"],
    ["holdconn", base.replace("a=setup:actpass", "a=setup:holdconn"), "offer", "InvalidAccessError"],
    ["answer with actpass", base, "answer", "InvalidAccessError"],
    ["BUNDLE names unknown mid", base.replace("a=group:BUNDLE 0", "a=group:BUNDLE 0 7"), "offer", "InvalidAccessError"],
    ["missing mid with BUNDLE", base.replace("a=mid:0\r\n", ""), "offer", "InvalidAccessError"],
    ["bad sctp-port", base.replace("a=sctp-port:5000", "a=sctp-port:70000"), "offer", "InvalidAccessError"],
    [
      "bad max-message-size",
      base.replace("a=max-message-size:262144", "a=max-message-size:-1"),
      "offer",
      "InvalidAccessError",
    ],
    ["syntax error", base.replace("a=mid:0", "mid:0"), "offer", "OperationError"],
    ["unknown type", base, "rollback" as SdpType, "InvalidAccessError"],
  ];
  for (const [name, text, type, errorName] of cases) {
    it(name, () => {
      const r = parseRemoteDescription(text, type);
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.ok(r.reason.length > 0);
        assert.equal(r.errorName, errorName, r.reason);
        if (errorName === "OperationError") {
          assert.equal(r.errorDetail, "sdp-syntax-error");
          assert.equal(r.line, 23);
        }
      }
    });
  }
  it("an answer that does not match the offer's m-lines", () => {
    const offer = load("chrome-offer-av-datachannel.sdp");
    const r = parseRemoteDescription(load("chrome-answer-datachannel.sdp"), "answer", { offer });
    assert.equal(r.ok, false);
  });
  it("max-message-size absent means 65536 and 0 means no limit", () => {
    assert.equal(remote(base.replace("a=max-message-size:262144\r\n", "")).sctp?.maxMessageSize, 65536);
    assert.equal(
      remote(base.replace("a=max-message-size:262144", "a=max-message-size:0")).sctp?.maxMessageSize,
      Number.POSITIVE_INFINITY,
    );
    assert.equal(remote(base.replace("a=sctp-port:5000\r\n", "")).sctp?.port, 5000);
  });
  it("a description without media sections has no transport", () => {
    const d = remote("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n");
    assert.equal(d.iceUfrag, undefined);
    assert.equal(d.sections.length, 0);
  });
  it("absent setup in an answer means the remote is active", () => {
    const ans = load("chrome-answer-datachannel.sdp").replace("a=setup:active\r\n", "");
    assert.equal(remote(ans, "answer").dtlsRole, "server");
  });
});

describe("mutated descriptions never throw", () => {
  const inputs = [
    "chrome-offer-datachannel.sdp",
    "chrome-offer-av-datachannel.sdp",
    "firefox-offer-datachannel.sdp",
    "chrome-answer-datachannel.sdp",
  ].map(load);
  const tokens = ["a=setup:", "a=mid:", "a=group:BUNDLE ", "a=ice-ufrag:", "m=application 0 ", ":", " ", "\r\n", "0"];
  for (const seed of [11, 12, 13]) {
    it(`seed ${seed}`, () => {
      const rnd = new SeededRandom(seed);
      let accepted = 0;
      for (let i = 0; i < 200; i++) {
        const lines = inputs[rnd.int(inputs.length)]!.split("\r\n");
        const edits = 1 + rnd.int(4);
        for (let e = 0; e < edits; e++) {
          const at = rnd.int(lines.length);
          const op = rnd.int(4);
          if (op === 0) lines.splice(at, 1);
          else if (op === 1) lines.splice(at, 0, lines[rnd.int(lines.length)]!);
          else if (op === 2) lines[at] = tokens[rnd.int(tokens.length)]! + (lines[at] ?? "").slice(rnd.int(8));
          else lines[at] = (lines[at] ?? "").slice(0, rnd.int((lines[at] ?? "").length + 1));
        }
        const text = lines.join("\r\n");
        const type: SdpType = rnd.int(2) === 0 ? "offer" : "answer";
        let r: ReturnType<typeof parseRemoteDescription>;
        try {
          r = parseRemoteDescription(text, type);
        } catch (err) {
          assert.fail(`seed ${seed} iteration ${i}: threw ${String(err)}`);
        }
        if (r.ok && type === "offer") {
          accepted++;
          // Anything we accept as an offer we can answer, and the answer reads back.
          const answer = createAnswer(r.description.sdp, answerState(seed));
          const back = parseRemoteDescription(answer, "answer", { offer: text });
          assert.ok(
            back.ok,
            `seed ${seed} iteration ${i}: our answer to an accepted offer is invalid: ${back.ok ? "" : back.reason}`,
          );
        }
      }
      assert.ok(accepted > 0, `seed ${seed}: no mutated offer was accepted; the test exercises nothing`);
    });
  }
});
