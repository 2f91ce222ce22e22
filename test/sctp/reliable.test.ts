// Reliable ordered transfer over the simulator: every byte exactly once and in order per stream
// (contents derived from stream and sequence number, checked on arrival), with loss, jitter,
// reordering and duplication. Figures are printed for the README.
import assert from "node:assert/strict";
import { test } from "node:test";
import { reliableTransfer } from "./transfer.js";

const LINK = { latency: 10, jitter: 1, mtu: 1200 };
const LOSSY = { duplicate: 0.02, reorder: 0.05, reorderDelay: 15 };

function report(label: string, r: ReturnType<typeof reliableTransfer>, t0: number): void {
  const s = r.pair.a.sender.stats;
  console.log(
    `${label}: ${r.messages} messages, ${(r.virtualMs / 1000).toFixed(1)} s virtual, ${(performance.now() - t0).toFixed(0)} ms real, ${s.retransmissions} retransmissions, ${s.t3Expiries} T3 expiries`,
  );
}

test("100 MB over 10 streams, no loss (I-DATA)", () => {
  const t0 = performance.now();
  const r = reliableTransfer(1, LINK, 100e6, 10);
  report("0% loss", r, t0);
  assert.equal(r.pair.a.iData, true);
});

for (const loss of [0.05, 0.2]) {
  test(`100 MB over 10 streams, ${loss * 100}% loss, reordering and duplication`, () => {
    const t0 = performance.now();
    const seed = loss === 0.05 ? 11 : 21;
    const r = reliableTransfer(seed, { ...LINK, loss, ...LOSSY }, 100e6, 10);
    report(`${loss * 100}% loss seed ${seed}`, r, t0);
    assert.ok(r.pair.b.stats.duplicateTsns > 0, "duplicates were seen and ignored");
  });
}

test("10 MB at 5% and 20% loss, more seeds, DATA (no I-DATA) and CRC32c", () => {
  for (const seed of [31, 32, 33]) {
    for (const loss of [0.05, 0.2]) {
      const r = reliableTransfer(seed, { ...LINK, loss, ...LOSSY }, 10e6, 10, {
        a: { iData: false, zeroChecksum: seed !== 31 },
      });
      assert.equal(r.pair.a.iData, false);
    }
  }
});
