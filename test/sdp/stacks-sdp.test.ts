// Our JSEP output against two other stacks' SDP handling, in process (signaling only, no media):
// werift (TypeScript) and libdatachannel (node-datachannel, C++). Each accepts our offer and our
// answer to its own offer, and its descriptions read back through parseRemoteDescription.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import ndc from "node-datachannel";
import { RTCPeerConnection as WeriftPeerConnection } from "werift";
import { SeededRandom } from "../../src/random.js";
import {
  createAnswer,
  createOffer,
  generateIceCredentials,
  type LocalAnswerState,
  newSessionId,
  parseRemoteDescription,
} from "../../src/sdp/index.js";

const FP = {
  algorithm: "sha-256",
  value: "0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9",
};

function local(seed: number): LocalAnswerState {
  const rnd = new SeededRandom(seed);
  const { ufrag, pwd } = generateIceCredentials(rnd);
  return { sessionId: newSessionId(rnd), iceUfrag: ufrag, icePwd: pwd, fingerprints: [FP] };
}
function ourOffer(seed: number): string {
  return createOffer({ ...local(seed), sections: [{ kind: "application", mid: "0" }] });
}

describe("werift and Petrel SDP", () => {
  it("werift answers our offer and accepts our answer", { timeout: 20_000 }, async () => {
    const offer = ourOffer(1);
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
      await b.setRemoteDescription({ type: "answer", sdp: createAnswer(theirs, local(2)) });
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
    const offer = ourOffer(3);
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
      b.setRemoteDescription(createAnswer(theirs.sdp, local(4)), "answer");
      assert.equal(b.signalingState(), "stable");
    } finally {
      a.close();
      b.close();
    }
  });
});
