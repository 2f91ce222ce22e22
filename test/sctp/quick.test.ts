import assert from "node:assert/strict";
import { test } from "node:test";
import { establish, makePair } from "./pair.js";

test("quick lossless", () => {
  const p = makePair(1, { latency: 10 });
  establish(p);
  assert.equal(p.a.state, "established");
  let got = 0;
  let bytes = 0;
  for (let i = 0; i < 1000; i++) p.a.send(i % 10, 53, new Uint8Array(3000).fill(i & 255), undefined, p.net.now);
  p.kick();
  p.net.run({ until: () => p.eventsB.filter((e) => e.type === "message").length === 1000, maxSteps: 1e6 });
  for (const e of p.eventsB)
    if (e.type === "message") {
      got++;
      bytes += e.data.length;
    }
  assert.equal(got, 1000);
  assert.equal(bytes, 3000000);
  console.log(p.net.now, p.a.stats, p.b.stats, p.a.sender.stats, p.a.sender.cc.cwnd);
});
