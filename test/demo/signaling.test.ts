// The WebSocket signaling server: rooms, relaying to one peer or the whole room, in-process peers,
// peer-left on disconnect, and bounded, counted rejection of bad input.
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "ws";
import { type SignalingMessage, SignalingServer } from "../../src/signaling/index.js";

class Client {
  readonly ws: WebSocket;
  private readonly inbox: SignalingMessage[] = [];
  private waiters: ((m: SignalingMessage) => void)[] = [];
  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on("message", (d) => {
      const m = JSON.parse(d.toString()) as SignalingMessage;
      const w = this.waiters.shift();
      if (w) w(m);
      else this.inbox.push(m);
    });
  }
  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once("open", () => resolve());
      this.ws.once("error", reject);
    });
  }
  next(): Promise<SignalingMessage> {
    const m = this.inbox.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  send(m: unknown): void {
    this.ws.send(typeof m === "string" ? m : JSON.stringify(m));
  }
}

describe("signaling server", () => {
  let server: SignalingServer;
  let url: string;
  const clients: Client[] = [];
  before(async () => {
    server = new SignalingServer({ port: 0, maxPeersPerRoom: 3, maxMessageBytes: 4096 });
    await new Promise<void>((resolve) => server.wss.once("listening", () => resolve()));
    url = `ws://127.0.0.1:${(server.wss.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const c of clients) c.ws.terminate();
    await server.close();
  });
  async function client(): Promise<Client> {
    const c = new Client(url);
    clients.push(c);
    await c.opened();
    return c;
  }

  it("joins a room, relays offers to one peer and broadcasts candidates", async () => {
    const a = await client();
    const b = await client();
    a.send({ type: "join", room: "r1" });
    const wa = await a.next();
    assert.equal(wa.type, "welcome");
    assert.deepEqual(wa.peers, []);
    b.send({ type: "join", room: "r1" });
    const wb = await b.next();
    assert.deepEqual(wb.peers, [wa.id]);
    assert.deepEqual(await a.next(), { type: "peer-joined", id: wb.id });
    a.send({ type: "offer", to: wb.id, sdp: "v=0..." });
    assert.deepEqual(await b.next(), { type: "offer", sdp: "v=0...", from: wa.id });
    b.send({ type: "candidate", candidate: { candidate: "candidate:1 1 udp 1 1.2.3.4 5 typ host", sdpMid: "0" } });
    const c = await a.next();
    assert.equal(c.type, "candidate");
    assert.equal(c.from, wb.id);
    assert.deepEqual(server.peersIn("r1").sort(), [wa.id, wb.id].sort());
    b.ws.close();
    assert.deepEqual(await a.next(), { type: "peer-left", id: wb.id });
  });

  it("lets an in-process peer answer a client", async () => {
    const joined = new Promise<{ room: string; id: string }>((resolve) =>
      server.once("join", (e: { room: string; id: string; local: boolean }) => {
        if (!e.local) resolve(e);
      }),
    );
    const a = await client();
    a.send({ type: "join", room: "r2" });
    const wa = await a.next();
    const e = await joined;
    assert.equal(e.id, wa.id);
    const got: SignalingMessage[] = [];
    const bot = server.join("r2", (m) => {
      got.push(m);
      if (m.type === "offer") bot.send({ type: "answer", to: m.from as string, sdp: "answer!" });
    });
    assert.deepEqual(bot.peers, [wa.id]);
    assert.deepEqual(await a.next(), { type: "peer-joined", id: bot.id });
    a.send({ type: "offer", to: bot.id, sdp: "offer!" });
    assert.deepEqual(await a.next(), { type: "answer", sdp: "answer!", from: bot.id });
    assert.equal(got[0]?.type, "offer");
    bot.leave();
    assert.deepEqual(await a.next(), { type: "peer-left", id: bot.id });
  });

  it("rejects bad input with an error and counts it", async () => {
    const before = server.stats.dropped.rejected ?? 0;
    const a = await client();
    a.send("not json");
    assert.equal((await a.next()).type, "error");
    a.send([1, 2]);
    assert.equal((await a.next()).type, "error");
    a.send({ type: "offer", sdp: "x" });
    assert.match(String((await a.next()).reason), /join a room first/);
    a.send({ type: "join", room: "bad room!" });
    assert.equal((await a.next()).type, "error");
    a.send({ type: "join", room: "r3" });
    assert.equal((await a.next()).type, "welcome");
    a.send({ type: "join", room: "r3" });
    assert.match(String((await a.next()).reason), /already/);
    a.send({ type: "offer", to: "nobody", sdp: "x" });
    assert.match(String((await a.next()).reason), /no such peer/);
    a.send({ type: "shutdown" });
    assert.match(String((await a.next()).reason), /unknown message type/);
    assert.equal((server.stats.dropped.rejected ?? 0) - before, 7);
  });

  it("enforces the room size and the message size", async () => {
    const members: Client[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await client();
      c.send({ type: "join", room: "full" });
      assert.equal((await c.next()).type, "welcome");
      members.push(c);
    }
    const late = await client();
    late.send({ type: "join", room: "full" });
    assert.match(String((await late.next()).reason), /full/);
    const closed = new Promise<number>((resolve) => members[0]!.ws.once("close", (code) => resolve(code)));
    members[0]!.send({ type: "message", text: "x".repeat(5000) });
    assert.equal(await closed, 1009, "oversized message closes the socket with 1009");
  });
});
