// Data channels under churn on a lossy, reordering link: both sides open and close channels at
// random while sending on them. Invariants: the two sides always agree on which channel a
// stream id belongs to, every message sent on a reliable channel before its close arrives
// exactly once and in order, and every channel ends closed on both sides.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DataChannelEndpoint, type DataChannelEvent } from "../../src/datachannel/index.js";
import { SeededRandom } from "../../src/random.js";
import { connectPair, Network } from "../sim/network.js";

function run(seed: number): void {
  const why = `seed ${seed}`;
  const rnd = new SeededRandom(seed);
  const link = { latency: 10, jitter: 2, mtu: 1200, loss: 0.05, duplicate: 0.02, reorder: 0.05, reorderDelay: 15 };
  const net = new Network({ seed, defaultLink: link });
  const ends = {
    a: new DataChannelEndpoint({ dtlsRole: "client", sctp: { random: new SeededRandom(seed * 3 + 1) } }),
    b: new DataChannelEndpoint({ dtlsRole: "server", sctp: { random: new SeededRandom(seed * 3 + 2) } }),
  };
  // Per side: label of each channel handle, messages sent per label, messages received per label.
  const labels = { a: new Map<number, string>(), b: new Map<number, string>() };
  const sent = new Map<string, number>();
  const got = new Map<string, number>();
  const closed = { a: 0, b: 0 };
  const opened = { a: 0, b: 0 };
  const onEvent = (side: "a" | "b") => (e: DataChannelEvent) => {
    if (e.type === "channel-open-request") labels[side].set(e.channel, e.label);
    else if (e.type === "open") opened[side]++;
    else if (e.type === "message") {
      const label = labels[side].get(e.channel)!;
      const text = Buffer.from(e.data).toString();
      const [l, n] = text.split("#");
      assert.equal(l, label, `${why}: message for ${l} arrived on ${label}`);
      const want = got.get(label) ?? 0;
      assert.equal(Number(n), want, `${why}: ${label} order`);
      got.set(label, want + 1);
    } else if (e.type === "closed") closed[side]++;
    else if (e.type === "disconnected") assert.fail(`${why}: ${side} disconnected ${e.reason}`);
  };
  const { kick } = connectPair(net, ends.a, ends.b, { link, onEventA: onEvent("a"), onEventB: onEvent("b") });
  ends.a.connect(net.now);
  ends.b.connect(net.now);
  kick();
  let created = 0;
  for (let step = 0; step < 300; step++) {
    for (const side of ["a", "b"] as const) {
      const e = ends[side];
      const r = rnd.float();
      if (r < 0.3) {
        const label = `${side}${created++}`;
        const k = e.createChannel(label);
        labels[side].set(k, label);
      }
      const open = e.openChannels().filter((k) => e.state(k) === "open");
      for (let i = 0; i < 3 && open.length; i++) {
        const k = open[rnd.int(open.length)]!;
        const label = labels[side].get(k)!;
        // Messages only flow from the channel's creator, so "in order" has one writer.
        if (!label.startsWith(side)) continue;
        const n = sent.get(label) ?? 0;
        sent.set(label, n + 1);
        e.send(k, `${label}#${n}#${"x".repeat(rnd.int(3000))}`, net.now);
      }
      if (rnd.float() < 0.2 && open.length) e.close(open[rnd.int(open.length)]!, net.now);
    }
    kick();
    net.advance(5 + rnd.int(20));
    // Both sides agree on the owner of every stream id that is open on both.
    const idsA = new Map(ends.a.openChannels().map((k) => [ends.a.info(k)!.id, labels.a.get(k)]));
    for (const k of ends.b.openChannels()) {
      const id = ends.b.info(k)!.id;
      const la = idsA.get(id);
      if (la !== undefined && ends.a.state([...labels.a.entries()].find(([, l]) => l === la)![0]) === "open")
        assert.equal(la, labels.b.get(k), `${why}: id ${id} names different channels`);
    }
  }
  for (const side of ["a", "b"] as const) for (const k of ends[side].openChannels()) ends[side].close(k, net.now);
  kick();
  net.run({
    until: () => ends.a.openChannels().length === 0 && ends.b.openChannels().length === 0,
    untilTime: net.now + 600000,
    maxSteps: 2_000_000,
  });
  assert.deepEqual(ends.a.openChannels(), [], `${why}: a all closed`);
  assert.deepEqual(ends.b.openChannels(), [], `${why}: b all closed`);
  assert.ok(created > 100 && sent.size > 50, `${why}: the workload ran (${created} channels, ${sent.size} with data)`);
  for (const [label, n] of sent) assert.equal(got.get(label) ?? 0, n, `${why}: ${label} got everything before close`);
  assert.equal(closed.a, created, `${why}: a saw every channel close`);
  assert.equal(closed.b, created, `${why}: b saw every channel close`);
  assert.equal(ends.a.association.heldBytes + ends.b.association.heldBytes, 0);
}

test("channel churn from both sides on a lossy link", () => {
  for (let seed = 1; seed <= 6; seed++) run(seed);
});
