// simple-peer (written for browsers and the `wrtc` package) running unchanged on Petrel:
// `new SimplePeer({ wrtc: petrel })` on both sides connects and exchanges data both ways, and
// simple-peer on Petrel talks to simple-peer's own browser bundle in headless Chromium.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { chromium } from "playwright-core";
import SimplePeer from "simple-peer";
import petrel from "../../src/index.js";
import { CHROMIUM_ARGS, CHROMIUM_PATHS, requireTool } from "./tools.js";

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

test("simple-peer in Chromium (its browser bundle) with simple-peer on petrel", { timeout: 60_000 }, async (t) => {
  const path = requireTool(t, "chromium", CHROMIUM_PATHS);
  if (!path) return;
  const browser = await chromium.launch({ executablePath: path, args: CHROMIUM_ARGS });
  let node: SimplePeer.Instance | undefined;
  try {
    const page = await browser.newPage();
    await page.goto("about:blank");
    await page.addScriptTag({ path: "node_modules/simple-peer/simplepeer.min.js" });
    let forward: (d: unknown) => void = () => {};
    await page.exposeFunction("toNode", (d: unknown) => forward(d));
    // The browser's peer exists before ours signals; it echoes every message back.
    await page.evaluate(() => {
      const w = window as unknown as {
        SimplePeer: new () => { on(ev: string, f: (x: unknown) => void): void; send(x: unknown): void };
        sp: unknown;
        toNode(d: unknown): void;
      };
      const sp = new w.SimplePeer();
      w.sp = sp;
      sp.on("signal", (d) => w.toNode(d));
      sp.on("data", (d) => sp.send(d));
    });
    // simple-peer starts negotiating at once: its signal handler goes on before anything awaits.
    const peer = new SimplePeer({ initiator: true, wrtc: petrel as never });
    node = peer;
    forward = (d) => peer.signal(d as never);
    peer.on("signal", (d) => {
      void page.evaluate((x) => (window as unknown as { sp: { signal(x: unknown): void } }).sp.signal(x), d);
    });
    await within(20_000, new Promise((r) => peer.once("connect", r)), "connect");
    const payload = randomBytes(30_000);
    const echoed = new Promise<Buffer[]>((resolve) => {
      const out: Buffer[] = [];
      peer.on("data", (d: Buffer) => {
        out.push(Buffer.from(d));
        if (out.length === 2) resolve(out);
      });
    });
    peer.send("hello chromium");
    peer.send(payload);
    const [text, bin] = await within(20_000, echoed, "echo");
    assert.equal(text!.toString(), "hello chromium");
    assert.ok(bin!.equals(payload));
  } finally {
    node?.destroy();
    await browser.close();
  }
});

/** Rejects after `ms` so that the test's finally (closing the browser) always runs. */
function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    }),
  ]);
}
