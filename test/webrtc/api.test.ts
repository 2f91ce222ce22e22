// W3C API behaviour without a network: errors and their DOMException names, on<event>
// attributes, configuration validation, descriptions and candidates, the signaling state machine
// with rollback, the operations chain, negotiationneeded, createDataChannel checks and close().
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  createPeerConnectionWith,
  RTCError,
  RTCIceCandidate,
  RTCPeerConnection,
  RTCPeerConnectionIceEvent,
  RTCSessionDescription,
} from "../../src/index.js";
import { wrapCertificate } from "../../src/webrtc/certificate.js";
import { parseIceServerUrl } from "../../src/webrtc/configuration.js";
import { nextSignalingState } from "../../src/webrtc/description.js";
import { toWebError } from "../../src/webrtc/errors.js";
import { defineEventHandlers } from "../../src/webrtc/events.js";
import { fakeInternals } from "./fake-layers.js";

function pc(config?: ConstructorParameters<typeof RTCPeerConnection>[0]): RTCPeerConnection {
  return createPeerConnectionWith(config, fakeInternals);
}

async function rejectsName(p: Promise<unknown>, name: string): Promise<void> {
  await assert.rejects(p, (e: Error) => {
    assert.equal(e.name, name, `expected ${name}, got ${e.name}: ${e.message}`);
    return true;
  });
}

function throwsName(f: () => unknown, name: string): void {
  assert.throws(f, (e: Error) => {
    assert.equal(e.name, name, `expected ${name}, got ${e.name}: ${e.message}`);
    return true;
  });
}

describe("errors", () => {
  test("codes map to DOMException names; TypeErrors are real TypeErrors", () => {
    const mk = (code: string) => Object.assign(new Error("x"), { code });
    assert.equal(toWebError(mk("ERR_INVALID_STATE")).name, "InvalidStateError");
    assert.ok(toWebError(mk("ERR_MESSAGE_TOO_BIG")) instanceof TypeError);
    assert.equal(toWebError(mk("ERR_SDP_PARSE")).name, "SyntaxError");
    assert.equal(toWebError(mk("ERR_WHATEVER")).name, "OperationError");
    assert.ok(toWebError(mk("ERR_INVALID_STATE")) instanceof DOMException);
    const e = new RTCError({ errorDetail: "sctp-failure", sctpCauseCode: 12 }, "boom");
    assert.ok(e instanceof DOMException);
    assert.equal(e.name, "OperationError");
    assert.equal(e.errorDetail, "sctp-failure");
    assert.equal(e.sctpCauseCode, 12);
    assert.equal(e.receivedAlert, null);
  });
});

describe("on<event> attributes", () => {
  test("set, replace and clear keep one listener", () => {
    class T extends EventTarget {}
    defineEventHandlers(T.prototype, ["ping"]);
    const t = new T() as T & { onping: ((e: Event) => void) | null };
    const seen: string[] = [];
    t.addEventListener("ping", () => seen.push("listener-before"));
    t.onping = () => seen.push("a");
    t.addEventListener("ping", () => seen.push("listener-after"));
    t.dispatchEvent(new Event("ping"));
    t.onping = () => seen.push("b");
    t.dispatchEvent(new Event("ping"));
    t.onping = null;
    t.dispatchEvent(new Event("ping"));
    assert.deepEqual(seen, [
      "listener-before",
      "a",
      "listener-after",
      "listener-before",
      "b",
      "listener-after",
      "listener-before",
      "listener-after",
    ]);
    assert.equal(t.onping, null);
  });
});

describe("configuration", () => {
  test("defaults", () => {
    const c = pc().getConfiguration();
    assert.deepEqual(c.iceServers, []);
    assert.equal(c.iceTransportPolicy, "all");
    assert.equal(c.bundlePolicy, "balanced");
    assert.equal(c.rtcpMuxPolicy, "require");
    assert.equal(c.iceCandidatePoolSize, 0);
    assert.equal(c.certificates?.length, 1);
  });
  test("ICE server URLs", () => {
    assert.deepEqual(
      { ...parseIceServerUrl("stun:stun.example.org") },
      { scheme: "stun", host: "stun.example.org", port: 3478, transport: undefined, url: "stun:stun.example.org" },
    );
    assert.equal(parseIceServerUrl("turns:[2001:db8::1]:443?transport=tcp").port, 443);
    assert.equal(parseIceServerUrl("turns:[2001:db8::1]:443?transport=tcp").host, "2001:db8::1");
    assert.equal(parseIceServerUrl("stuns:x").port, 5349);
    throwsName(() => pc({ iceServers: [{ urls: "http://example.org" }] }), "SyntaxError");
    throwsName(() => pc({ iceServers: [{ urls: "stun:example.org?transport=udp" }] }), "SyntaxError");
    throwsName(() => pc({ iceServers: [{ urls: [] }] }), "SyntaxError");
    throwsName(() => pc({ iceServers: [{ urls: "stun:example.org:99999" }] }), "SyntaxError");
    throwsName(() => pc({ iceServers: [{ urls: "turn:example.org" }] }), "InvalidAccessError");
    throwsName(
      () => pc({ iceServers: [{ urls: "turn:example.org", username: "a".repeat(510), credential: "x" }] }),
      "InvalidAccessError",
    );
    pc({ iceServers: [{ urls: ["stun:a.example", "turn:b.example"], username: "u", credential: "p" }] }).close();
  });
  test("STUN server names are resolved before gathering", async () => {
    const a = pc({ iceServers: [{ urls: ["stun:localhost:3479", "stun:192.0.2.7"] }] });
    a.createDataChannel("x");
    await a.setLocalDescription();
    const ice = a.peer.ice as unknown as { stun: { address: string; port: number }[] };
    assert.deepEqual(ice.stun, [{ address: "127.0.0.1", port: 3479, url: "stun:localhost:3479" }]);
    a.close();
  });
  test("iceTransportPolicy relay without TURN gathers nothing and completes", async () => {
    const a = createPeerConnectionWith(
      { iceTransportPolicy: "relay" },
      { ...fakeInternals, driverFactory: () => assert.fail("no sockets with relay only") },
    );
    a.createDataChannel("x");
    const candidates: unknown[] = [];
    a.onicecandidate = (e) => candidates.push(e.candidate);
    const complete = new Promise((r) =>
      a.addEventListener("icegatheringstatechange", () => a.iceGatheringState === "complete" && r(0)),
    );
    await a.setLocalDescription();
    await complete;
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(candidates, [null]);
    a.close();
  });
  test("enums and ranges throw TypeError; negotiate is not supported", () => {
    assert.throws(() => pc({ bundlePolicy: "nope" as never }), TypeError);
    assert.throws(() => pc({ iceTransportPolicy: "none" as never }), TypeError);
    assert.throws(() => pc({ iceCandidatePoolSize: 256 }), TypeError);
    assert.throws(() => pc({ iceServers: null as never }), TypeError);
    throwsName(() => pc({ rtcpMuxPolicy: "negotiate" }), "NotSupportedError");
  });
  test("setConfiguration keeps bundlePolicy and certificates", async () => {
    const a = pc({ bundlePolicy: "max-bundle" });
    throwsName(() => a.setConfiguration({ bundlePolicy: "balanced" }), "InvalidModificationError");
    a.setConfiguration({ bundlePolicy: "max-bundle", iceServers: [{ urls: "stun:example.org" }] });
    assert.equal(a.getConfiguration().iceServers?.length, 1);
    const cert = await RTCPeerConnection.generateCertificate({ name: "ECDSA", namedCurve: "P-256" });
    throwsName(
      () => a.setConfiguration({ bundlePolicy: "max-bundle", certificates: [cert] }),
      "InvalidModificationError",
    );
    a.close();
    throwsName(() => a.setConfiguration({}), "InvalidStateError");
  });
  test("certificates: generate, fingerprints, expired is refused, RSA not supported", async () => {
    const cert = await RTCPeerConnection.generateCertificate({ name: "ECDSA", namedCurve: "P-256", expires: 3600_000 });
    assert.ok(cert.expires > Date.now() + 3500_000 && cert.expires <= Date.now() + 3600_000);
    const fp = cert.getFingerprints();
    assert.equal(fp[0]?.algorithm, "sha-256");
    assert.match(fp[0]!.value, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const a = pc({ certificates: [cert] });
    assert.equal(a.getConfiguration().certificates?.[0], cert);
    const expired = wrapCertificate({ ...cert.material, expires: Date.now() - 1, fingerprints: () => fp });
    throwsName(() => pc({ certificates: [expired] }), "InvalidAccessError");
    await rejectsName(
      RTCPeerConnection.generateCertificate({ name: "RSASSA-PKCS1-v1_5", modulusLength: 2048 } as never),
      "NotSupportedError",
    );
  });
  test("connections without certificates: each its own, spares made ahead are never shared", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const a = pc();
      const cert = a.getConfiguration().certificates?.[0];
      assert.ok(cert, `connection ${i} has a certificate`);
      assert.ok(cert.expires > Date.now() + 29 * 24 * 3600_000, "30 days");
      const fp = cert.getFingerprints()[0]!.value;
      assert.ok(!seen.has(fp), `connection ${i}: a certificate of its own`);
      seen.add(fp);
      a.close();
      // Let the thread pool make spares between some of the connections (and not others).
      if (i % 2 === 1) await new Promise((r) => setTimeout(r, 30));
    }
  });
});

describe("descriptions and candidates", () => {
  test("RTCSessionDescription", () => {
    const d = new RTCSessionDescription({ type: "offer", sdp: "v=0\r\n" });
    assert.deepEqual(d.toJSON(), { type: "offer", sdp: "v=0\r\n" });
    assert.throws(() => new RTCSessionDescription({ type: "bogus" as never }), TypeError);
  });
  test("RTCIceCandidate fields from a Chrome line", () => {
    const c = new RTCIceCandidate({
      candidate:
        "candidate:2530088836 1 udp 2113937151 3b0f6a3c-8f0e-4a5e-9b7a-1c2d3e4f5a6b.local 54321 typ host generation 0 ufrag abcd network-cost 999",
      sdpMid: "0",
      sdpMLineIndex: 0,
    });
    assert.equal(c.foundation, "2530088836");
    assert.equal(c.component, "rtp");
    assert.equal(c.protocol, "udp");
    assert.equal(c.priority, 2113937151);
    assert.equal(c.port, 54321);
    assert.equal(c.type, "host");
    assert.equal(c.usernameFragment, "abcd");
    assert.equal(c.address?.endsWith(".local"), true);
    const s = new RTCIceCandidate({
      candidate: "candidate:1 1 UDP 1686052607 203.0.113.5 40000 typ srflx raddr 10.0.0.2 rport 50000",
      sdpMLineIndex: 0,
    });
    assert.equal(s.relatedAddress, "10.0.0.2");
    assert.equal(s.relatedPort, 50000);
    assert.equal(s.type, "srflx");
    assert.equal(s.sdpMid, null);
    const t = new RTCIceCandidate({
      candidate: "candidate:3 1 tcp 1518280447 10.0.0.2 9 typ host tcptype active",
      sdpMid: "0",
    });
    assert.equal(t.tcpType, "active");
    assert.equal(t.protocol, "tcp");
    assert.deepEqual(t.toJSON(), {
      candidate: "candidate:3 1 tcp 1518280447 10.0.0.2 9 typ host tcptype active",
      sdpMid: "0",
      sdpMLineIndex: null,
      usernameFragment: null,
    });
    assert.throws(() => new RTCIceCandidate({ candidate: "candidate:1 1 udp 1 1.2.3.4 5 typ host" }), TypeError);
    const bad = new RTCIceCandidate({ candidate: "garbage", sdpMid: "0" });
    assert.equal(bad.foundation, null);
    assert.equal(bad.port, null);
  });
});

describe("signaling state machine", () => {
  test("transition table", () => {
    assert.equal(nextSignalingState("stable", "local", "offer"), "have-local-offer");
    assert.equal(nextSignalingState("stable", "local", "answer"), undefined);
    assert.equal(nextSignalingState("have-remote-offer", "local", "pranswer"), "have-local-pranswer");
    assert.equal(nextSignalingState("have-local-pranswer", "local", "answer"), "stable");
    assert.equal(nextSignalingState("have-local-offer", "remote", "pranswer"), "have-remote-pranswer");
    assert.equal(nextSignalingState("have-remote-pranswer", "remote", "answer"), "stable");
    assert.equal(nextSignalingState("stable", "remote", "rollback"), undefined);
    assert.equal(nextSignalingState("have-local-pranswer", "local", "rollback"), undefined);
    assert.equal(nextSignalingState("have-remote-offer", "remote", "rollback"), "stable");
    assert.equal(nextSignalingState("closed", "remote", "offer"), undefined);
  });

  test("offer/answer between two connections, with events in order", async () => {
    const a = pc();
    const b = pc();
    const events: string[] = [];
    a.onsignalingstatechange = () => events.push(`a:${a.signalingState}`);
    b.addEventListener("signalingstatechange", () => events.push(`b:${b.signalingState}`));
    a.createDataChannel("chat");
    const offer = await a.createOffer();
    assert.equal(offer.type, "offer");
    assert.match(offer.sdp!, /m=application 9 UDP\/DTLS\/SCTP webrtc-datachannel/);
    assert.match(offer.sdp!, /a=setup:actpass/);
    assert.equal(a.localDescription, null);
    await a.setLocalDescription(offer);
    assert.equal(a.signalingState, "have-local-offer");
    assert.equal(a.pendingLocalDescription?.sdp, offer.sdp);
    assert.equal(a.currentLocalDescription, null);
    await b.setRemoteDescription(offer);
    assert.equal(b.signalingState, "have-remote-offer");
    assert.equal(b.canTrickleIceCandidates, true);
    const answer = await b.createAnswer();
    assert.match(answer.sdp!, /a=setup:active/);
    await b.setLocalDescription(answer);
    await a.setRemoteDescription(answer);
    assert.equal(a.signalingState, "stable");
    assert.equal(b.signalingState, "stable");
    assert.equal(a.currentRemoteDescription?.sdp, answer.sdp);
    assert.equal(a.pendingLocalDescription, null);
    assert.ok(a.sctp, "sctp transport exists once data is negotiated");
    assert.deepEqual(events, ["a:have-local-offer", "b:have-remote-offer", "b:stable", "a:stable"]);
    assert.equal(a.peer.dtlsRole, "server");
    assert.equal(b.peer.dtlsRole, "client");
    a.close();
    b.close();
  });

  test("implicit setLocalDescription, rollback, glare by implicit rollback", async () => {
    const a = pc();
    const b = pc();
    a.createDataChannel("x");
    b.createDataChannel("y");
    await a.setLocalDescription();
    assert.equal(a.localDescription?.type, "offer");
    await a.setLocalDescription({ type: "rollback" });
    assert.equal(a.signalingState, "stable");
    assert.equal(a.localDescription, null);
    await a.setLocalDescription();
    await b.setLocalDescription();
    // b receives a's offer while having its own: the spec rolls b back implicitly.
    await b.setRemoteDescription(a.localDescription!);
    assert.equal(b.signalingState, "have-remote-offer");
    await b.setLocalDescription();
    assert.equal(b.signalingState, "stable");
    assert.equal(b.localDescription?.type, "answer");
    await a.setRemoteDescription(b.localDescription!);
    assert.equal(a.signalingState, "stable");
    a.close();
    b.close();
  });

  test("provisional answers: have-local-pranswer / have-remote-pranswer, then the final answer", async () => {
    const a = pc();
    const b = pc();
    a.createDataChannel("x");
    await a.setLocalDescription();
    await b.setRemoteDescription(a.localDescription!);
    const pr = await b.createAnswer();
    await b.setLocalDescription({ type: "pranswer", sdp: pr.sdp! });
    assert.equal(b.signalingState, "have-local-pranswer");
    await a.setRemoteDescription({ type: "pranswer", sdp: pr.sdp! });
    assert.equal(a.signalingState, "have-remote-pranswer");
    assert.equal(a.pendingRemoteDescription?.type, "pranswer");
    assert.equal(a.currentRemoteDescription, null);
    await b.setLocalDescription();
    assert.equal(b.signalingState, "stable");
    assert.equal(b.currentLocalDescription?.type, "answer");
    await a.setRemoteDescription(b.localDescription!);
    assert.equal(a.signalingState, "stable");
    const current = (x: RTCPeerConnection) => x.currentRemoteDescription;
    assert.equal(current(a)?.type, "answer");
    assert.equal(a.pendingRemoteDescription, null);
    a.close();
    b.close();
  });

  test("calls in the wrong state reject with InvalidStateError", async () => {
    const a = pc();
    await rejectsName(a.createAnswer(), "InvalidStateError");
    await rejectsName(a.setRemoteDescription({ type: "answer", sdp: "v=0\r\n" }), "InvalidStateError");
    await rejectsName(a.setLocalDescription({ type: "rollback" }), "InvalidStateError");
    await rejectsName(
      a.addIceCandidate({ candidate: "candidate:1 1 udp 1 1.2.3.4 5 typ host", sdpMid: "0" }),
      "InvalidStateError",
    );
    await assert.rejects(a.setRemoteDescription({ type: "nope" } as never), TypeError);
    await assert.rejects(a.addIceCandidate({ candidate: "candidate:1 1 udp 1 1.2.3.4 5 typ host" }), TypeError);
    a.close();
  });

  test("a bad remote description is refused and the state kept", async () => {
    const a = pc();
    await assert.rejects(a.setRemoteDescription({ type: "offer", sdp: "this is not sdp" }), (e: Error) => {
      assert.ok(e instanceof DOMException, String(e));
      return true;
    });
    assert.equal(a.signalingState, "stable");
    assert.equal(a.remoteDescription, null);
    a.close();
  });

  test("addIceCandidate: mids, ufrag, end-of-candidates, remote description gains them", async () => {
    const a = pc();
    const b = pc();
    a.createDataChannel("x");
    await a.setLocalDescription();
    await b.setRemoteDescription(a.localDescription!);
    const line = "candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host generation 0";
    await b.addIceCandidate({ candidate: line, sdpMid: "0" });
    await b.addIceCandidate({ candidate: line.replace("50000", "50001"), sdpMLineIndex: 0 });
    await rejectsName(b.addIceCandidate({ candidate: line, sdpMid: "7" }), "OperationError");
    await rejectsName(b.addIceCandidate({ candidate: line, sdpMid: "0", usernameFragment: "zzzz" }), "OperationError");
    await rejectsName(b.addIceCandidate({ candidate: "candidate:bogus", sdpMid: "0" }), "OperationError");
    await b.addIceCandidate(null as never);
    const sdp = b.remoteDescription!.sdp;
    assert.match(sdp, /a=candidate:1 1 udp 2122260223 192\.0\.2\.1 50000 typ host/);
    assert.match(sdp, /50001 typ host/);
    assert.match(sdp, /a=end-of-candidates/);
    a.close();
    b.close();
  });

  test("operations run in order; close leaves later ones pending and fails new ones", async () => {
    const a = pc();
    a.createDataChannel("x");
    const order: string[] = [];
    const p1 = a.createOffer().then(() => order.push("offer"));
    const p2 = a.setLocalDescription().then(() => order.push("sld"));
    const p3 = a.createOffer().then(() => order.push("offer2"));
    await Promise.all([p1, p2, p3]);
    assert.deepEqual(order, ["offer", "sld", "offer2"]);
    a.close();
    assert.equal(a.signalingState, "closed");
    assert.equal(a.connectionState, "closed");
    assert.equal(a.iceConnectionState, "closed");
    await rejectsName(a.createOffer(), "InvalidStateError");
    throwsName(() => a.createDataChannel("y"), "InvalidStateError");
  });
});

describe("negotiationneeded and data channels", () => {
  test("fires once after the first createDataChannel, not again once negotiated", async () => {
    const a = pc();
    let fired = 0;
    a.onnegotiationneeded = () => fired++;
    a.createDataChannel("a");
    a.createDataChannel("b");
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    assert.equal(fired, 1);
    const b = pc();
    await a.setLocalDescription();
    await b.setRemoteDescription(a.localDescription!);
    await b.setLocalDescription();
    await a.setRemoteDescription(b.localDescription!);
    a.createDataChannel("c");
    await new Promise((r) => setImmediate(r));
    assert.equal(fired, 1);
    a.restartIce();
    await new Promise((r) => setImmediate(r));
    assert.equal(fired, 2);
    const offer = await a.createOffer();
    const ufrag = /a=ice-ufrag:(\S+)/.exec(offer.sdp!)![1];
    assert.notEqual(ufrag, /a=ice-ufrag:(\S+)/.exec(a.currentLocalDescription!.sdp)![1], "restart changes ufrag");
    a.close();
    b.close();
  });

  test("createDataChannel argument checks and attributes", () => {
    const a = pc();
    assert.throws(() => a.createDataChannel("x", { maxPacketLifeTime: 1, maxRetransmits: 1 }), TypeError);
    assert.throws(() => a.createDataChannel("x", { negotiated: true }), TypeError);
    assert.throws(() => a.createDataChannel("x", { negotiated: true, id: 65535 }), TypeError);
    assert.throws(() => a.createDataChannel("x", { maxRetransmits: 70000 }), TypeError);
    assert.throws(() => a.createDataChannel("x".repeat(65536)), TypeError);
    assert.throws(() => a.createDataChannel("x", { priority: "urgent" as never }), TypeError);
    const d = a.createDataChannel("chat", { ordered: false, maxRetransmits: 3, protocol: "p" });
    assert.equal(d.label, "chat");
    assert.equal(d.ordered, false);
    assert.equal(d.maxRetransmits, 3);
    assert.equal(d.maxPacketLifeTime, null);
    assert.equal(d.protocol, "p");
    assert.equal(d.negotiated, false);
    assert.equal(d.id, null, "no id before the DTLS role is known");
    assert.equal(d.readyState, "connecting");
    assert.equal(d.binaryType, "arraybuffer");
    assert.equal(d.bufferedAmount, 0);
    d.bufferedAmountLowThreshold = 1024;
    assert.equal(d.bufferedAmountLowThreshold, 1024);
    throwsName(() => d.send("too early"), "InvalidStateError");
    throwsName(() => {
      d.binaryType = "text" as never;
    }, "SyntaxError");
    const n = a.createDataChannel("neg", { negotiated: true, id: 4 });
    assert.equal(n.id, 4);
    throwsName(() => a.createDataChannel("neg2", { negotiated: true, id: 4 }), "OperationError");
    d.close();
    assert.equal(d.readyState, "closing");
    a.close();
    assert.equal(n.readyState, "closed");
  });

  test("event classes", () => {
    const c = new RTCIceCandidate({ candidate: "", sdpMid: "0" });
    const e = new RTCPeerConnectionIceEvent("icecandidate", { candidate: c });
    assert.equal(e.candidate, c);
    assert.equal(new RTCPeerConnectionIceEvent("icecandidate").candidate, null);
  });
});
