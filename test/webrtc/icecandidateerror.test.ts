// icecandidateerror (webrtc-pc 4.8.2 RTCPeerConnectionIceErrorEvent) over real loopback UDP: a
// STUN "server" answering Binding requests with 401, a stun: URL on a port where nothing answers
// (701 once, after each gathering transaction's 3 sends; a short retransmission timeout keeps the
// test short), a turn: URL (no TURN client: 701 at once), an unresolvable stun: name (701, with
// an injected resolver), the onicecandidateerror attribute, every error before iceGatheringState
// "complete", and the relay-only policy reporting its TURN servers with a null address.
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { test } from "node:test";
import { createPeerConnectionWith, RTCPeerConnection, RTCPeerConnectionIceErrorEvent } from "../../src/index.js";
import { buildErrorResponse, parseStun, StunClass, StunMethod } from "../../src/stun/index.js";
import { createPeer } from "../../src/webrtc/stack.js";
import { once } from "./helpers.js";

/** A UDP socket on 127.0.0.1 answering every Binding request with 401 Unauthorized. */
async function errorServer(): Promise<{ port: number; requests: () => number; close: () => void }> {
  const s = createSocket("udp4");
  let requests = 0;
  s.on("message", (msg, rinfo) => {
    const r = parseStun(msg);
    if (!r.ok || r.msg.cls !== StunClass.Request || r.msg.method !== StunMethod.Binding) return;
    requests++;
    s.send(buildErrorResponse(r.msg, 401, "Unauthorized", { fingerprint: true }), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  return { port: s.address().port, requests: () => requests, close: () => s.close() };
}

/** A UDP socket on 127.0.0.1 that never answers: counts the Binding requests from each source. */
async function silentServer(): Promise<{ port: number; bySource: Map<string, number>; close: () => void }> {
  const s = createSocket("udp4");
  const bySource = new Map<string, number>();
  s.on("message", (msg, rinfo) => {
    const r = parseStun(msg);
    if (!r.ok || r.msg.cls !== StunClass.Request || r.msg.method !== StunMethod.Binding) return;
    const key = `${rinfo.address}:${rinfo.port}`;
    bySource.set(key, (bySource.get(key) ?? 0) + 1);
  });
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  return { port: s.address().port, bySource, close: () => s.close() };
}

test("icecandidateerror: 401 from a server, 701 for a server that never answers and a turn: URL", async () => {
  const server = await errorServer();
  const silent = await silentServer();
  const urls = {
    error: `stun:127.0.0.1:${server.port}`,
    closed: `stun:127.0.0.1:${silent.port}`,
    turn: "turn:127.0.0.1:3478?transport=udp",
  };
  const pc = createPeerConnectionWith(
    {
      iceServers: [{ urls: [urls.error, urls.closed] }, { urls: urls.turn, username: "u", credential: "p" }],
    },
    { createPeer: (o) => createPeer({ ...o, ice: { gatherRto: 50 } }) },
  );
  try {
    const errors: RTCPeerConnectionIceErrorEvent[] = [];
    const viaAttribute: Event[] = [];
    const hosts: { address: string; port: number }[] = [];
    let completeAfter = -1;
    pc.addEventListener("icecandidateerror", (e) => errors.push(e as RTCPeerConnectionIceErrorEvent));
    pc.onicecandidateerror = (e) => viaAttribute.push(e);
    pc.onicecandidate = (e) => {
      const c = e.candidate;
      if (c && c.type === "host" && c.address && c.port !== null) hosts.push({ address: c.address, port: c.port });
    };
    pc.onicegatheringstatechange = () => {
      if (pc.iceGatheringState === "complete") completeAfter = errors.length;
    };
    pc.createDataChannel("x");
    await pc.setLocalDescription(await pc.createOffer());
    if (pc.iceGatheringState !== "complete") await once(pc, "icegatheringstatechange", 5000);
    while (pc.iceGatheringState !== "complete") await once(pc, "icegatheringstatechange", 5000);

    const summary = JSON.stringify(errors.map((e) => [e.url, e.errorCode, e.address, e.port, e.errorText]));
    assert.ok(
      errors.every((e) => e instanceof RTCPeerConnectionIceErrorEvent),
      summary,
    );
    assert.equal(viaAttribute.length, errors.length, "onicecandidateerror saw every event");
    assert.equal(completeAfter, errors.length, `every error came before "complete": ${summary}`);

    // 401 with its reason, from the loopback host candidate at least (each host the server answered).
    const e401 = errors.filter((e) => e.url === urls.error);
    assert.ok(e401.length >= 1, summary);
    for (const e of e401) {
      assert.equal(e.errorCode, 401, summary);
      assert.equal(e.errorText, "Unauthorized", summary);
      assert.ok(
        hosts.some((h) => h.address === e.address && h.port === e.port),
        `${summary}: address is a host candidate's`,
      );
    }
    assert.ok(
      e401.some((e) => e.address === "127.0.0.1"),
      summary,
    );
    assert.ok(server.requests() >= 1);

    // The closed port and the turn: URL: 701, once per URL.
    for (const url of [urls.closed, urls.turn]) {
      const mine = errors.filter((e) => e.url === url);
      assert.equal(mine.length, 1, `${url}: ${summary}`);
      assert.equal(mine[0]!.errorCode, 701, `${url}: ${summary}`);
      assert.ok(mine[0]!.errorText.length > 0);
      assert.ok(
        hosts.some((h) => h.address === mine[0]!.address && h.port === mine[0]!.port),
        `${url}: ${summary}`,
      );
    }
    // The silent server: each host that reached it sent one transaction's 3 requests, then gave
    // up (the 701 above, before "complete"); the one the 701 names is among them.
    const sources = [...silent.bySource.entries()];
    assert.ok(sources.length >= 1, "the silent server saw requests");
    for (const [source, n] of sources) assert.equal(n, 3, `${source} sent ${n} requests`);
    const e701 = errors.find((e) => e.url === urls.closed)!;
    assert.ok(silent.bySource.has(`${e701.address}:${e701.port}`), `${summary}: 701 names a host that sent`);
  } finally {
    pc.close();
    server.close();
    silent.close();
  }
});

test("icecandidateerror: a stun: name that does not resolve is reported as 701", async () => {
  const url = "stun:no-such-host.invalid:3478";
  // The resolver is injected (the system's may be absent or slow here): it fails as DNS would.
  const asked: string[] = [];
  const lookupHost = async (host: string): Promise<string> => {
    asked.push(host);
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
  };
  const pc = createPeerConnectionWith({ iceServers: [{ urls: url }] }, { lookupHost });
  try {
    const errors: RTCPeerConnectionIceErrorEvent[] = [];
    pc.onicecandidateerror = (e) => errors.push(e);
    pc.createDataChannel("x");
    await pc.setLocalDescription(await pc.createOffer());
    while (pc.iceGatheringState !== "complete") await once(pc, "icegatheringstatechange", 5000);
    assert.deepEqual(
      errors.map((e) => [e.url, e.errorCode, e.errorText]),
      [[url, 701, "STUN host lookup failed"]],
    );
    assert.deepEqual(asked, ["no-such-host.invalid"]);
    assert.ok(errors[0]!.address !== null && errors[0]!.port !== null);
  } finally {
    pc.close();
  }
});

test("icecandidateerror: relay-only policy reports its TURN servers with a null address", async () => {
  const pc = new RTCPeerConnection({
    iceTransportPolicy: "relay",
    iceServers: [{ urls: "turns:turn.example:5349", username: "u", credential: "p" }],
  });
  try {
    const errors: RTCPeerConnectionIceErrorEvent[] = [];
    pc.onicecandidateerror = (e) => errors.push(e);
    pc.createDataChannel("x");
    await pc.setLocalDescription(await pc.createOffer());
    while (pc.iceGatheringState !== "complete") await once(pc, "icegatheringstatechange", 5000);
    assert.deepEqual(
      errors.map((e) => [e.url, e.errorCode, e.address, e.port]),
      [["turns:turn.example:5349", 701, null, null]],
    );
  } finally {
    pc.close();
  }
});
