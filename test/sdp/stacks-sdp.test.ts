// Our JSEP output against two other stacks' SDP handling, in process (signaling only, no media):
// werift (TypeScript) and libdatachannel (node-datachannel, C++). Each accepts our offer and our
// answer to its own offer, and its descriptions read back through parseRemoteDescription.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import ndc from "node-datachannel";
import { RTCPeerConnection as WeriftPeerConnection } from "werift";
import { createAnswer, createOffer, parseRemoteDescription } from "../../src/sdp/index.js";
import { answerState, offerState } from "./helpers.js";

describe("werift and Petrel SDP", () => {
  it("werift answers our offer and accepts our answer", { timeout: 20_000 }, async () => {
    const offer = createOffer(offerState(1));
    const a = new WeriftPeerConnection();
    try {
      await a.setRemoteDescription({ type: "offer", sdp: offer });
      await a.setLocalDescription(await a.createAnswer());
      const r = parseRemoteDescription(a.localDescription!.sdp, "answer", { offer });
      assert.ok(r.ok, r.ok ? "" : r.reason);
      assert.equal(r.description.dtlsRole, "server");
      assert.equal(r.description.sctp?.port, 5000);
    } finally {
      await a.close();
    }
    const b = new WeriftPeerConnection();
    try {
      b.createDataChannel("x");
      await b.setLocalDescription(await b.createOffer());
      const theirs = b.localDescription!.sdp;
      const r = parseRemoteDescription(theirs, "offer");
      assert.ok(r.ok, r.ok ? "" : r.reason);
      assert.equal(r.description.dtlsRole, "client");
      await b.setRemoteDescription({ type: "answer", sdp: createAnswer(theirs, answerState(2)) });
      assert.equal(b.signalingState, "stable");
    } finally {
      await b.close();
    }
  });
});

describe("libdatachannel and Petrel SDP", () => {
  after(() => ndc.cleanup());
  function localDescription(pc: ndc.PeerConnection): Promise<{ sdp: string; type: string }> {
    return new Promise((resolve) => pc.onLocalDescription((sdp, type) => resolve({ sdp, type })));
  }
  it("libdatachannel answers our offer and accepts our answer", { timeout: 20_000 }, async () => {
    const offer = createOffer(offerState(3));
    const a = new ndc.PeerConnection("a", { iceServers: [] });
    const b = new ndc.PeerConnection("b", { iceServers: [] });
    try {
      const answered = localDescription(a);
      a.setRemoteDescription(offer, "offer");
      const answer = await answered;
      assert.equal(answer.type, "answer");
      const r = parseRemoteDescription(answer.sdp, "answer", { offer });
      assert.ok(r.ok, r.ok ? "" : r.reason);
      assert.equal(r.description.dtlsRole, "server");
      // libdatachannel puts ice-options and the fingerprint at session level, and separates
      // the options with a comma ("ice2,trickle") where RFC 8839 uses spaces.
      assert.deepEqual(r.description.iceOptions, ["ice2", "trickle"]);

      const offered = localDescription(b);
      b.createDataChannel("x");
      const theirs = await offered;
      assert.equal(theirs.type, "offer");
      const r2 = parseRemoteDescription(theirs.sdp, "offer");
      assert.ok(r2.ok, r2.ok ? "" : r2.reason);
      b.setRemoteDescription(createAnswer(theirs.sdp, answerState(4)), "answer");
      assert.equal(b.signalingState(), "stable");
    } finally {
      a.close();
      b.close();
    }
  });
});
