// Interop with another implementation at the SCTP level: werift's SCTP (TypeScript, DATA only, no
// zero checksum, so CRC32c and DATA are exercised) connected to ours through an in-memory
// transport. werift runs on real timers, so this test drives our core in real time; its waits are
// failure deadlines, not timing assertions. Skipped when werift (a devDependency) is missing.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { SeededRandom } from "../../src/random.js";
import { SctpAssociation, type SctpEvent } from "../../src/sctp/index.js";

const WERIFT_SCTP = resolve("node_modules/werift/lib/sctp/src/index.js");

interface WeriftTransport {
  onData?: (buf: Buffer) => void;
  send: (buf: Buffer) => Promise<void>;
  close: () => void;
}
interface WeriftSctp {
  start(remotePort?: number): Promise<void>;
  send(sid: number, ppid: number, data: Buffer, opts?: { ordered?: boolean }): Promise<void>;
  stop(): Promise<void>;
  onReceive: { subscribe(f: (sid: number, ppid: number, data: Buffer) => void): void };
  onReconfigStreams: { subscribe(f: (ids: number[]) => void): void };
  state: string;
}

/** Runs our association in real time against a werift SCTP endpoint. */
function harness(ours: SctpAssociation, theirs: WeriftTransport) {
  const events: SctpEvent[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const pump = (): void => {
    for (let e = ours.pollEvent(); e; e = ours.pollEvent()) events.push(e);
    for (let p = ours.pollTransmit(); p; p = ours.pollTransmit()) {
      const copy = Buffer.from(p);
      setImmediate(() => theirs.onData?.(copy));
    }
    for (let e = ours.pollEvent(); e; e = ours.pollEvent()) events.push(e);
    if (timer) clearTimeout(timer);
    const t = ours.nextTimeout();
    if (t !== undefined && !closed)
      timer = setTimeout(
        () => {
          ours.handleTimeout(performance.now());
          pump();
        },
        Math.max(0, t - performance.now()),
      );
  };
  const deliver = (buf: Buffer): void => {
    ours.handleDatagram(Uint8Array.from(buf), performance.now());
    pump();
  };
  const stop = (): void => {
    closed = true;
    if (timer) clearTimeout(timer);
  };
  return { events, pump, deliver, stop };
}

async function waitFor(pred: () => boolean, what: string, ms = 10000): Promise<void> {
  const end = performance.now() + ms;
  while (!pred()) {
    if (performance.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function loadWerift(t: {
  skip: (m: string) => void;
}): Promise<{ SCTP: { client(t: WeriftTransport): WeriftSctp; server(t: WeriftTransport): WeriftSctp } } | undefined> {
  if (!existsSync(WERIFT_SCTP)) {
    t.skip("werift is not installed");
    return undefined;
  }
  return (await import(pathToFileURL(WERIFT_SCTP).href)) as never;
}

for (const weriftIsClient of [true, false]) {
  test(`werift SCTP interop (werift ${weriftIsClient ? "initiates" : "listens"})`, async (t) => {
    const mod = await loadWerift(t);
    if (!mod) return;
    const ours = new SctpAssociation({ random: new SeededRandom(5), maxMessageSize: 1 << 20 });
    let h: ReturnType<typeof harness> | undefined;
    const transport: WeriftTransport = {
      send: async (buf) => {
        setImmediate(() => h?.deliver(buf));
      },
      close: () => {},
    };
    h = harness(ours, transport);
    const peer = weriftIsClient ? mod.SCTP.client(transport) : mod.SCTP.server(transport);
    const received: { sid: number; ppid: number; data: Buffer }[] = [];
    const resets: number[] = [];
    peer.onReceive.subscribe((sid, ppid, data) => received.push({ sid, ppid, data: Buffer.from(data) }));
    peer.onReconfigStreams.subscribe((ids) => resets.push(...ids));
    try {
      if (!weriftIsClient) {
        ours.connect(performance.now());
        h.pump();
      }
      void peer.start(5000);
      await waitFor(() => ours.state === "established", "our association to be established");
      assert.equal(ours.zeroChecksumInUse, false);
      assert.equal(ours.iData, false);
      // Ours to theirs: small, fragmented, unordered.
      const big = Buffer.alloc(200_000);
      for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 255;
      ours.send(1, 51, Buffer.from("hello werift"), undefined, performance.now());
      ours.send(1, 53, big, undefined, performance.now());
      ours.send(2, 53, Buffer.from("unordered"), { unordered: true }, performance.now());
      for (let i = 0; i < 200; i++) ours.send(3, 53, Buffer.from(`n${i}`), undefined, performance.now());
      h.pump();
      await waitFor(() => received.length === 203, "werift to receive 203 messages");
      assert.equal(received[0]!.data.toString(), "hello werift");
      const bigGot = received.find((m) => m.data.length === big.length);
      assert.ok(bigGot?.data.equals(big), "the 200 kB message arrived intact");
      const seq = received.filter((m) => m.sid === 3).map((m) => m.data.toString());
      assert.deepEqual(
        seq,
        [...Array(200).keys()].map((i) => `n${i}`),
      );
      // Theirs to ours.
      await peer.send(4, 51, Buffer.from("hello petrel"));
      await peer.send(4, 53, big);
      await waitFor(() => h!.events.filter((e) => e.type === "message").length === 2, "us to receive 2 messages");
      const msgs = h.events.flatMap((e) => (e.type === "message" ? [e] : []));
      assert.equal(Buffer.from(msgs[0]!.data).toString(), "hello petrel");
      assert.ok(Buffer.from(msgs[1]!.data).equals(big));
      // Closing a stream the WebRTC way: our outgoing reset; werift resets its side too.
      ours.resetStreams([1], performance.now());
      h.pump();
      await waitFor(() => h!.events.some((e) => e.type === "reset-done"), "our reset to be acknowledged");
      assert.ok(resets.includes(1));
    } finally {
      h.stop();
      await peer.stop().catch(() => {});
    }
  });
}
