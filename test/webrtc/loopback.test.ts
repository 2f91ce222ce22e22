// Two RTCPeerConnections in one process over real loopback UDP: ICE, DTLS and SCTP end to end.
// Offer/answer with trickle, channels from both sides, string and binary messages 0 B..256 KiB
// byte-exact, unordered and partially reliable channels, negotiated channels, 50 channels, close
// from either side, close of the whole connection, events order and getStats().
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import {
  type RTCDataChannel,
  type RTCDataChannelEvent,
  type RTCIceCandidateInit,
  RTCPeerConnection,
  type RTCSessionDescriptionInit,
} from "../../src/index.js";
import { collect, connect, once, opened, until } from "./helpers.js";

async function pair(): Promise<{
  a: RTCPeerConnection;
  b: RTCPeerConnection;
  dc: RTCDataChannel;
  rdc: RTCDataChannel;
}> {
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  const dc = a.createDataChannel("main");
  const remote = once<RTCDataChannelEvent<RTCDataChannel>>(b, "datachannel");
  await connect(a, b);
  await opened(dc);
  const rdc = (await remote).channel;
  return { a, b, dc, rdc };
}

const sha = (b: ArrayBuffer | Uint8Array) => createHash("sha256").update(new Uint8Array(b)).digest("hex");

describe("two peers over loopback UDP", () => {
  test("events in a browser's order, states, descriptions with candidates", async () => {
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    const log: string[] = [];
    for (const [name, pc] of [
      ["a", a],
      ["b", b],
    ] as const) {
      pc.addEventListener("icegatheringstatechange", () => log.push(`${name}:gathering:${pc.iceGatheringState}`));
      pc.addEventListener("iceconnectionstatechange", () => log.push(`${name}:ice:${pc.iceConnectionState}`));
      pc.addEventListener("connectionstatechange", () => log.push(`${name}:conn:${pc.connectionState}`));
    }
    const nulls: string[] = [];
    a.addEventListener("icecandidate", (e) => {
      if (!(e as unknown as { candidate: unknown }).candidate) nulls.push("a");
    });
    try {
      const dc = a.createDataChannel("x");
      await connect(a, b);
      await opened(dc);
      await until(() => b.connectionState === "connected", "b connected");
      await until(() => a.iceGatheringState === "complete" && nulls.length === 1, "gathering complete");
      const idx = (s: string) => log.indexOf(s);
      assert.ok(idx("a:ice:checking") < idx("a:ice:connected"), log.join(" "));
      assert.ok(idx("a:conn:connecting") < idx("a:conn:connected"), log.join(" "));
      assert.ok(idx("a:ice:connected") < idx("a:conn:connected"), log.join(" "));
      assert.ok(idx("a:gathering:gathering") < idx("a:gathering:complete"), log.join(" "));
      assert.match(a.localDescription!.sdp, /a=candidate:.* typ host/);
      assert.match(a.localDescription!.sdp, /a=end-of-candidates/);
      assert.equal(a.sctp?.state, "connected");
      assert.equal(a.sctp?.maxMessageSize, 262144);
      assert.equal(a.sctp?.transport.state, "connected");
      assert.equal(a.sctp?.transport.iceTransport.state, a.iceConnectionState);
      assert.equal(a.sctp?.transport.iceTransport.role, "controlling");
      assert.equal(b.sctp?.transport.iceTransport.role, "controlled");
      const pairA = a.sctp?.transport.iceTransport.getSelectedCandidatePair();
      assert.ok(pairA?.local.address && pairA.remote.port, "selected pair");
      const certs = a.sctp!.transport.getRemoteCertificates();
      assert.equal(certs.length, 1);
      const bFp = b.getConfiguration().certificates![0]!.getFingerprints()[0]!.value;
      assert.equal(sha(certs[0]!).toUpperCase().match(/../g)!.join(":"), bFp);
      assert.equal(dc.id! % 2, 1, "the offerer is the DTLS server here: odd stream ids");
    } finally {
      a.close();
      b.close();
    }
  });

  test("strings and binary 0 B..256 KiB both ways, byte-exact", async () => {
    const { a, b, dc, rdc } = await pair();
    try {
      const sizes = [0, 1, 100, 1150, 1200, 5000, 16384, 65536, 100_000, 262144];
      const blobs = sizes.map((n) => randomBytes(n));
      const strings = sizes.map((n) => "é".repeat(Math.floor(n / 2)));
      for (const [from, to] of [
        [dc, rdc],
        [rdc, dc],
      ] as const) {
        const got = collect(to, sizes.length * 2);
        for (let i = 0; i < sizes.length; i++) {
          from.send(blobs[i]!);
          from.send(strings[i]!);
        }
        const msgs = await got;
        for (let i = 0; i < sizes.length; i++) {
          const bin = msgs[2 * i] as ArrayBuffer;
          assert.ok(bin instanceof ArrayBuffer, `binary message ${i} is an ArrayBuffer`);
          assert.equal(bin.byteLength, sizes[i]);
          assert.equal(sha(bin), sha(blobs[i]!), `binary ${sizes[i]} B`);
          assert.equal(msgs[2 * i + 1], strings[i], `string ${sizes[i]} B`);
        }
      }
      assert.throws(() => dc.send(new Uint8Array(262145)), TypeError);
      // Views and Blobs are sent as their bytes.
      rdc.binaryType = "blob";
      const got = collect(rdc, 2);
      const big = randomBytes(3000);
      dc.send(new Uint8Array(big.buffer, big.byteOffset + 10, 100));
      dc.send(new Blob([big]));
      const [view, blob] = (await got) as Blob[];
      assert.ok(view instanceof Blob && blob instanceof Blob);
      assert.equal(sha(await view.arrayBuffer()), sha(big.subarray(10, 110)));
      assert.equal(sha(await blob.arrayBuffer()), sha(big));
      const stats = await a.getStats();
      const types = new Set([...stats.values()].map((s) => s.type));
      for (const t of [
        "peer-connection",
        "data-channel",
        "transport",
        "candidate-pair",
        "local-candidate",
        "certificate",
      ]) {
        assert.ok(types.has(t), `stats has ${t}`);
      }
      const dcStats = [...stats.values()].find((s) => s.type === "data-channel")!;
      assert.equal(dcStats.messagesSent, sizes.length * 2 + 2);
      assert.equal(dcStats.label, "main");
      assert.equal(dcStats.state, "open");
      // The references between stats objects resolve (webrtc-stats 3).
      const transport = [...stats.values()].find((s) => s.type === "transport")!;
      assert.equal(transport.dtlsState, "connected");
      assert.equal(transport.iceRole, "controlling");
      assert.ok((transport.bytesSent as number) > 500_000, `transport bytesSent ${transport.bytesSent}`);
      const pairStats = stats.get(transport.selectedCandidatePairId as string)!;
      assert.equal(pairStats.type, "candidate-pair");
      assert.equal(stats.get(pairStats.localCandidateId as string)?.type, "local-candidate");
      assert.equal(stats.get(pairStats.remoteCandidateId as string)?.type, "remote-candidate");
      assert.equal(stats.get(transport.localCertificateId as string)?.type, "certificate");
      assert.equal(stats.get(transport.remoteCertificateId as string)?.type, "certificate");
      assert.ok((pairStats.responsesReceived as number) >= 1);
      assert.ok(typeof pairStats.currentRoundTripTime === "number");
    } finally {
      a.close();
      b.close();
    }
  });

  test("channels opened from the answerer, unordered and partially reliable, negotiated", async () => {
    const { a, b } = await pair();
    try {
      const fromB = b.createDataChannel("from-b", { ordered: false, maxRetransmits: 0, protocol: "proto" });
      const ev = await once<RTCDataChannelEvent<RTCDataChannel>>(a, "datachannel");
      const onA = ev.channel;
      assert.equal(onA.label, "from-b");
      assert.equal(onA.ordered, false);
      assert.equal(onA.maxRetransmits, 0);
      assert.equal(onA.protocol, "proto");
      assert.equal(onA.id, fromB.id);
      assert.equal(onA.readyState, "open");
      await opened(fromB);
      const got = collect(onA, 100);
      for (let i = 0; i < 100; i++) fromB.send(`m${i}`);
      assert.equal((await got).length, 100);
      const timed = a.createDataChannel("timed", { maxPacketLifeTime: 500 });
      const ev2 = await once<RTCDataChannelEvent<RTCDataChannel>>(b, "datachannel");
      assert.equal(ev2.channel.maxPacketLifeTime, 500);
      await opened(timed);
      const na = a.createDataChannel("neg", { negotiated: true, id: 42 });
      const nb = b.createDataChannel("neg", { negotiated: true, id: 42 });
      await Promise.all([opened(na), opened(nb)]);
      const gotN = collect(nb, 1);
      na.send("over negotiated");
      assert.deepEqual(await gotN, ["over negotiated"]);
    } finally {
      a.close();
      b.close();
    }
  });

  test("50 channels at once, then closed from either side", async () => {
    const { a, b } = await pair();
    try {
      const remote: RTCDataChannel[] = [];
      b.ondatachannel = (e) => remote.push(e.channel);
      const local = Array.from({ length: 50 }, (_, i) => a.createDataChannel(`c${i}`));
      await Promise.all(local.map((c) => opened(c)));
      await until(() => remote.length === 50, "50 remote channels");
      const ids = new Set(local.map((c) => c.id));
      assert.equal(ids.size, 50);
      const got = remote.map((c) => collect(c, 1));
      for (const [i, c] of local.entries()) c.send(`to ${i}`);
      const msgs = await Promise.all(got);
      for (const [i, c] of remote.entries()) assert.deepEqual(msgs[i], [`to ${c.label.slice(1)}`]);
      // Close half from the creator, half from the receiver: both ends see closing/close.
      const closes: Promise<unknown>[] = [];
      for (let i = 0; i < 50; i++) {
        const l = local[i]!;
        const r = remote.find((x) => x.id === l.id)!;
        closes.push(once(l, "close"), once(r, "close"));
        if (i % 2 === 0) l.close();
        else r.close();
      }
      await Promise.all(closes);
      assert.ok(local.every((c) => c.readyState === "closed"));
      assert.ok(remote.every((c) => c.readyState === "closed"));
    } finally {
      a.close();
      b.close();
    }
  });

  test("data queued before close is delivered first; bufferedamountlow fires", async () => {
    const { a, b, dc, rdc } = await pair();
    try {
      dc.bufferedAmountLowThreshold = 64 * 1024;
      const low = once(dc, "bufferedamountlow");
      const chunk = randomBytes(60_000);
      const n = 40;
      const got = collect(rdc, n);
      for (let i = 0; i < n; i++) dc.send(chunk);
      assert.ok(dc.bufferedAmount > 64 * 1024, `bufferedAmount ${dc.bufferedAmount}`);
      const closed = once(rdc, "close");
      dc.close();
      assert.equal(dc.readyState, "closing");
      await low;
      assert.equal((await got).length, n);
      await closed;
    } finally {
      a.close();
      b.close();
    }
  });

  test("closing the whole connection closes the other side's channels", async () => {
    const { a, b, dc, rdc } = await pair();
    const seen: string[] = [];
    rdc.addEventListener("closing", () => seen.push("closing"));
    rdc.addEventListener("error", (e) => {
      const err = (e as unknown as { error: { errorDetail: string; sctpCauseCode: number | null } }).error;
      seen.push(`error:${err.errorDetail}:${err.sctpCauseCode}`);
    });
    rdc.addEventListener("close", () => seen.push("close"));
    const closed = once(rdc, "close");
    a.close();
    assert.equal(dc.readyState, "closed");
    assert.equal(a.connectionState, "closed");
    await closed;
    // As Chromium reports its peer's close(): closing, an SCTP User-Initiated Abort (cause 12), close.
    assert.deepEqual(seen, ["closing", "error:sctp-failure:12", "close"]);
    b.close();
  });
});

describe("ICE restart over loopback UDP", () => {
  test("restartIce renegotiates new credentials and the channel keeps working", async () => {
    const { a, b, dc, rdc } = await pair();
    try {
      const oldUfrag = /a=ice-ufrag:(\S+)/.exec(a.currentLocalDescription!.sdp)![1];
      const reselected = once(a.sctp!.transport.iceTransport, "selectedcandidatepairchange");
      const needed = once(a, "negotiationneeded");
      a.restartIce();
      await needed;
      await a.setLocalDescription();
      const newUfrag = /a=ice-ufrag:(\S+)/.exec(a.localDescription!.sdp)![1];
      assert.notEqual(newUfrag, oldUfrag);
      await b.setRemoteDescription(a.localDescription!);
      await b.setLocalDescription();
      await a.setRemoteDescription(b.localDescription!);
      assert.equal(a.signalingState, "stable");
      assert.notEqual(
        /a=ice-ufrag:(\S+)/.exec(b.currentLocalDescription!.sdp)![1],
        /a=ice-ufrag:(\S+)/.exec(b.currentRemoteDescription!.sdp)![1],
      );
      const got = collect(rdc, 20);
      for (let i = 0; i < 20; i++) dc.send(`after restart ${i}`);
      assert.equal((await got).length, 20);
      await until(
        () => a.iceConnectionState === "connected" || a.iceConnectionState === "completed",
        "ICE connected after restart",
      );
      // The new generation's checks succeed and select a pair again.
      await reselected;
      assert.equal(
        a.sctp!.transport.iceTransport.getRemoteParameters()?.usernameFragment,
        /a=ice-ufrag:(\S+)/.exec(b.currentLocalDescription!.sdp)![1],
      );
      assert.equal(a.connectionState, "connected");
    } finally {
      a.close();
      b.close();
    }
  });
});

describe("DTLS authentication over loopback UDP", () => {
  test("a fingerprint that does not match the peer's certificate fails the connection", async () => {
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    try {
      const dc = a.createDataChannel("x");
      const seen: string[] = [];
      for (const type of ["open", "error", "close"]) dc.addEventListener(type, () => seen.push(type));
      a.onicecandidate = (e) => {
        if (e.candidate) void b.addIceCandidate(e.candidate).catch(() => {});
      };
      b.onicecandidate = (e) => {
        if (e.candidate) void a.addIceCandidate(e.candidate).catch(() => {});
      };
      await a.setLocalDescription();
      await b.setRemoteDescription(a.localDescription!);
      await b.setLocalDescription();
      // a is told a different certificate fingerprint for b (one hex digit changed).
      const forged = b.localDescription!.sdp.replace(
        /(a=fingerprint:sha-256 )([0-9A-F])/,
        (_m, p: string, d: string) => `${p}${d === "0" ? "1" : "0"}`,
      );
      assert.notEqual(forged, b.localDescription!.sdp);
      await a.setRemoteDescription({ type: "answer", sdp: forged });
      await until(() => a.connectionState === "failed", "a failed");
      assert.equal(a.sctp?.transport.state, "failed");
      await until(() => dc.readyState === "closed", "the channel closed");
      assert.deepEqual(seen, ["error", "close"], "it never opened; it failed and closed");
    } finally {
      a.close();
      b.close();
    }
  });
});

describe("perfect negotiation (webrtc-pc 10.7 example) over loopback UDP", () => {
  test("both sides create channels at once; glare resolves through the polite peer's rollback", async () => {
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    const peers = [
      { pc: a, other: b, polite: false, makingOffer: false, ignoreOffer: false },
      { pc: b, other: a, polite: true, makingOffer: false, ignoreOffer: false },
    ];
    type Msg = { description?: RTCSessionDescriptionInit; candidate?: RTCIceCandidateInit };
    const collisions: string[] = [];
    const deliver = (to: (typeof peers)[number], msg: Msg) => setImmediate(() => void onMessage(to, msg));
    const onMessage = async (self: (typeof peers)[number], { description, candidate }: Msg) => {
      const pc = self.pc;
      if (description) {
        const collision = description.type === "offer" && (self.makingOffer || pc.signalingState !== "stable");
        self.ignoreOffer = !self.polite && collision;
        if (collision) collisions.push(self.polite ? "polite-rolled-back" : "impolite-ignored");
        if (self.ignoreOffer) return;
        await pc.setRemoteDescription(description);
        if (description.type === "offer") {
          await pc.setLocalDescription();
          deliver(peerOf(self), { description: pc.localDescription!.toJSON() });
        }
      } else if (candidate) {
        try {
          await pc.addIceCandidate(candidate);
        } catch (err) {
          if (!self.ignoreOffer) throw err;
        }
      }
    };
    const peerOf = (self: (typeof peers)[number]) => peers.find((p) => p.pc === self.other)!;
    for (const self of peers) {
      self.pc.onicecandidate = (e) => {
        if (e.candidate) deliver(peerOf(self), { candidate: e.candidate.toJSON() });
      };
      self.pc.onnegotiationneeded = async () => {
        self.makingOffer = true;
        try {
          await self.pc.setLocalDescription();
          deliver(peerOf(self), { description: self.pc.localDescription!.toJSON() });
        } finally {
          self.makingOffer = false;
        }
      };
    }
    try {
      const fromA = a.createDataChannel("from-a");
      const fromB = b.createDataChannel("from-b");
      const atB = once<RTCDataChannelEvent<RTCDataChannel>>(b, "datachannel");
      await Promise.all([opened(fromA, 15_000), opened(fromB, 15_000)]);
      const rb = (await atB).channel;
      assert.equal(rb.label, "from-a");
      const got = collect(rb, 1);
      fromA.send("negotiated perfectly");
      assert.deepEqual(await got, ["negotiated perfectly"]);
      assert.deepEqual(collisions.sort(), ["impolite-ignored", "polite-rolled-back"], "both offers crossed");
      assert.equal(a.signalingState, "stable");
      assert.equal(b.signalingState, "stable");
    } finally {
      a.close();
      b.close();
    }
  });
});
