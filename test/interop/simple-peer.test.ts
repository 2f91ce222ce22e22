// simple-peer (written for browsers and the `wrtc` package) running unchanged on Petrel:
// `new SimplePeer({ wrtc: petrel })` on both sides connects and exchanges data both ways.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import SimplePeer from "simple-peer";
import petrel from "../../src/index.js";

test("simple-peer with wrtc: petrel on both sides", { timeout: 30_000 }, async () => {
  const a = new SimplePeer({ initiator: true, wrtc: petrel as never, trickle: true });
  const b = new SimplePeer({ wrtc: petrel as never, trickle: true });
  try {
    // The far end of a closed connection sees an RTCErrorEvent (SCTP abort), as in browsers.
    const errors: Error[] = [];
    a.on("error", (e: Error) => errors.push(e));
    b.on("error", (e: Error) => errors.push(e));
    a.on("signal", (d) => b.signal(d));
    b.on("signal", (d) => a.signal(d));
    await Promise.all([new Promise((r) => a.once("connect", r)), new Promise((r) => b.once("connect", r))]);
    const payload = randomBytes(50_000);
    const gotB = new Promise<Buffer[]>((resolve) => {
      const out: Buffer[] = [];
      b.on("data", (d: Buffer) => {
        out.push(Buffer.from(d));
        if (out.length === 2) resolve(out);
      });
    });
    a.send("hello from a");
    a.send(payload);
    const [text, bin] = await gotB;
    assert.equal(text!.toString(), "hello from a");
    assert.ok(bin!.equals(payload));
    const gotA = new Promise<Buffer>((resolve) => a.once("data", (d: Buffer) => resolve(Buffer.from(d))));
    b.send("and back");
    assert.equal((await gotA).toString(), "and back");
    // simple-peer's stream interface over a data channel.
    const closed = new Promise((r) => b.once("close", r));
    a.destroy();
    await closed;
  } finally {
    a.destroy();
    b.destroy();
  }
});
