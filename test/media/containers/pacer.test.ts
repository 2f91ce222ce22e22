// PlaybackPacer: release times, ordering of interleaved tracks, pause/resume/rate/late drops, the
// queue bound, and pacing a real WebM file on a virtual clock.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mediaTimeMs, PlaybackPacer } from "../../../src/media/containers/pacer.js";
import { type WebmFrame, type WebmHeader, WebmReader } from "../../../src/media/containers/webm-reader.js";
import { fixture } from "./helpers.js";

describe("PlaybackPacer", () => {
  it("releases items when due and says when the next one is", () => {
    const p = new PlaybackPacer<string>();
    assert.equal(p.nextDeadline(), undefined);
    p.push("a", 0);
    p.push("b", 20);
    p.push("c", 40);
    assert.equal(p.nextDeadline(), undefined, "not started");
    p.start(1000);
    assert.equal(p.nextDeadline(), 1000);
    assert.equal(p.poll(1000), "a");
    assert.equal(p.poll(1000), undefined);
    assert.equal(p.nextDeadline(), 1020);
    assert.equal(p.poll(1019), undefined);
    assert.equal(p.poll(1045), "b");
    assert.equal(p.poll(1045), "c");
    assert.equal(p.nextDeadline(), undefined);
    assert.equal(p.stats.delivered, 3);
  });

  it("anchors on the earliest queued item, keeps media order for interleaved pushes", () => {
    const p = new PlaybackPacer<number>();
    for (const t of [500, 520, 510, 505, 530]) p.push(t, t);
    p.start(0);
    const got: number[] = [];
    for (let now = 0; now <= 30; now++) for (let x = p.poll(now); x !== undefined; x = p.poll(now)) got.push(x);
    assert.deepEqual(got, [500, 505, 510, 520, 530]);
  });

  it("pauses, resumes, plays at a rate and drops late items", () => {
    const p = new PlaybackPacer<number>({ rate: 2, maxLateness: 50 });
    for (let i = 0; i < 5; i++) p.push(i, i * 100);
    p.start(0);
    assert.equal(p.poll(0), 0);
    assert.equal(p.nextDeadline(), 50);
    p.pause(25);
    assert.equal(p.nextDeadline(), undefined);
    assert.equal(p.position(1000), 50);
    p.resume(1000);
    assert.equal(p.nextDeadline(), 1025);
    assert.equal(p.poll(1025), 1);
    // Item 2 due at 1075, item 3 at 1125: at 1200 item 2 is 125 ms late (dropped), item 3 is 75 late (dropped),
    // item 4 (due 1175) is 25 ms late (delivered).
    assert.equal(p.poll(1200), 4);
    assert.equal(p.stats.late, 2);
  });

  it("is bounded: push refuses when full", () => {
    const p = new PlaybackPacer<number>({ capacity: 3 });
    assert.ok(p.push(1, 1) && p.push(2, 2) && p.push(3, 3));
    assert.equal(p.push(4, 4), false);
    assert.equal(p.room, 0);
    p.start(0, 0);
    p.poll(1);
    assert.equal(p.room, 1);
    assert.throws(() => new PlaybackPacer({ capacity: 0 }), { code: "bad-options" });
  });

  it("paces a WebM file on a virtual clock: every frame at its own time, bounded queue", () => {
    const reader = new WebmReader();
    const pacer = new PlaybackPacer<WebmFrame>({ capacity: 8 });
    const bytes = fixture("vp8-opus.webm");
    let header: WebmHeader | undefined;
    const pending: WebmFrame[] = [];
    let fed = 0;
    let ended = false;
    const delivered: { frame: WebmFrame; at: number }[] = [];
    let now = 10_000;
    let started = false;
    for (let steps = 0; steps < 10_000; steps++) {
      // Read while the pacer has room.
      while (!ended && pacer.room > 0) {
        const f = pending.shift();
        if (f) {
          const clock = header!.tracks.find((t) => t.number === f.track)!.clockRate;
          pacer.push(f, mediaTimeMs(f.timestamp, clock));
          continue;
        }
        const ev = reader.poll();
        if (!ev) {
          if (fed >= bytes.length) reader.finish();
          else reader.push(bytes.subarray(fed, (fed += 500)));
          continue;
        }
        if (ev.type === "header") header = ev.header;
        else if (ev.type === "frame") pending.push(ev.frame);
        else ended = true;
      }
      if (!started) {
        pacer.start(now, 0);
        started = true;
      }
      for (let f = pacer.poll(now); f; f = pacer.poll(now)) delivered.push({ frame: f, at: now });
      const next = pacer.nextDeadline();
      if (next === undefined && ended && pending.length === 0) break;
      if (next !== undefined) now = Math.max(now, next);
    }
    assert.equal(delivered.length, 61);
    for (const d of delivered) {
      const clock = d.frame.track === 1 ? 90 : 48;
      assert.ok(Math.abs(d.at - (10_000 + d.frame.timestamp / clock)) < 1e-6, `frame at ${d.at}`);
    }
  });
});
