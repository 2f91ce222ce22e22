// Benchmark scenario "memory": resident set size per connected peer connection. Run in a fresh
// child process started with --expose-gc: one warm-up pair (code loaded, pools allocated), then
// RSS before and after opening `param` connected pairs (data channel open on both sides), after
// full garbage collections; the difference divided by the number of peer connections (2 per pair).
import { closePair, openPair, type Pair } from "../stacks/w3c.js";
import { type ScenarioContext, type ScenarioResult, sleep } from "./types.js";

/** Pairs being connected at the same time. */
const CONCURRENCY = 8;

async function settle(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("memory scenario needs node --expose-gc");
  gc();
  await sleep(200);
  gc();
  await sleep(100);
  gc();
  return process.memoryUsage().rss;
}

export async function memory(ctx: ScenarioContext): Promise<ScenarioResult> {
  const deadline = performance.now() + ctx.budgetMs;
  const warm = await openPair(ctx.stack, ctx.name, 10_000);
  await closePair(warm);
  await sleep(100);
  const before = await settle();

  const pairs: Pair[] = [];
  let failures = 0;
  let firstFailure = "";
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ctx.param && performance.now() < deadline) {
      next++;
      try {
        pairs.push(await openPair(ctx.stack, ctx.name, Math.max(1, Math.min(20_000, deadline - performance.now()))));
      } catch (err) {
        if (failures++ === 0) firstFailure = err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const after = await settle();
  if (pairs.length === 0) throw new Error(`${ctx.name}: no pair connected`);
  const perConnection = (after - before) / (2 * pairs.length) / 1e6;
  const heap = process.memoryUsage();
  const result: ScenarioResult = {
    value: perConnection,
    detail: `${pairs.length} pairs open${failures ? `, ${failures} failed (${firstFailure})` : ""}; RSS ${(before / 1e6).toFixed(0)} -> ${(after / 1e6).toFixed(0)} MB; heapUsed ${(heap.heapUsed / 1e6).toFixed(0)} MB, external ${(heap.external / 1e6).toFixed(0)} MB`,
    capped: pairs.length < ctx.param,
  };
  // The pairs stay referenced up to here; the child process exits right after reporting.
  return result;
}
