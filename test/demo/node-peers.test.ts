// Two Petrel RTCPeerConnections in Node that find each other through the signaling server over
// real WebSockets (SignalingClient), negotiate with trickle ICE and exchange data-channel messages.
import assert from "node:assert/strict";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { RTCPeerConnection } from "../../src/index.js";
import { SignalingClient, type SignalingMessage, SignalingServer } from "../../src/signaling/index.js";

/** Wires a peer connection to a signaling client talking to one remote peer. */
function wire(pc: RTCPeerConnection, sig: SignalingClient, remote: () => string | undefined): void {
  pc.onicecandidate = (e) =>
    sig.send({ type: "candidate", to: remote(), candidate: e.candidate ? e.candidate.toJSON() : null });
  let chain = Promise.resolve();
  sig.on("message", (msg: SignalingMessage) => {
    chain = chain.then(async () => {
      if (msg.type === "offer") {
        await pc.setRemoteDescription({ type: "offer", sdp: String(msg.sdp) });
        await pc.setLocalDescription(await pc.createAnswer());
        sig.send({ type: "answer", to: String(msg.from), sdp: pc.localDescription!.sdp });
      } else if (msg.type === "answer") {
        await pc.setRemoteDescription({ type: "answer", sdp: String(msg.sdp) });
      } else if (msg.type === "candidate") {
        const c = msg.candidate as RTCIceCandidateInit | null;
        await pc.addIceCandidate(c?.candidate ? c : undefined);
      }
    });
  });
}

describe("Node peers over the signaling server", () => {
  it("connect and exchange messages", { timeout: 30_000 }, async () => {
    const server = new SignalingServer({ port: 0 });
    await once(server.wss, "listening");
    const url = `ws://127.0.0.1:${(server.wss.address() as AddressInfo).port}`;
    const a = await SignalingClient.connect(url, "pair");
    const bJoined = once(a, "peer-joined");
    const b = await SignalingClient.connect(url, "pair");
    assert.deepEqual(b.peers, [a.id]);
    const [bId] = (await bJoined) as [string];
    assert.equal(bId, b.id);

    const pa = new RTCPeerConnection();
    const pb = new RTCPeerConnection();
    try {
      wire(pa, a, () => b.id);
      wire(pb, b, () => a.id);
      const incoming = once(pb, "datachannel");
      const ch = pa.createDataChannel("chat");
      await pa.setLocalDescription(await pa.createOffer());
      a.send({ type: "offer", to: b.id, sdp: pa.localDescription!.sdp });
      const [ev] = (await incoming) as [{ channel: ReturnType<RTCPeerConnection["createDataChannel"]> }];
      const remote = ev.channel;
      remote.onmessage = (m) => remote.send(`echo: ${String(m.data)}`);
      if (ch.readyState !== "open") await once(ch, "open");
      const reply = once(ch, "message");
      ch.send("hello over signaling");
      const [msg] = (await reply) as [MessageEvent];
      assert.equal(msg.data, "echo: hello over signaling");
      assert.equal(remote.label, "chat");
    } finally {
      pa.close();
      pb.close();
      a.close();
      b.close();
      await server.close();
    }
  });

  it("rejects a join with a bad room name", async () => {
    const server = new SignalingServer({ port: 0 });
    await once(server.wss, "listening");
    const url = `ws://127.0.0.1:${(server.wss.address() as AddressInfo).port}`;
    await assert.rejects(SignalingClient.connect(url, "no spaces allowed"), /signaling: room names/);
    await server.close();
  });
});
