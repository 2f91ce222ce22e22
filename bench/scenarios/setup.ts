// Benchmark scenario "set-up": time from `new RTCPeerConnection()` (both peers) to the data
// channel open on both sides (offer/answer, trickle ICE, DTLS, SCTP, DCEP), in one process over the
// loopback interface. A few warm-up connections, then `param` measured ones in a fresh process
// ("cold": V8 still compiling the stack's code, reported as the extra figure `cold`), then `param`
// more (the steady state a long-running process sees: the main figure). Same regime for every stack.
import { closePair, openPair } from "../stacks/w3c.js";
import { median, type ScenarioContext, type ScenarioResult, sleep } from "./types.js";

const WARMUP = 3;
const ATTEMPT_TIMEOUT_MS = 10_000;
/** Set-ups this slow are outliers (a retransmission timer of about 1 s), counted in the detail. */
const SLOW_MS = 500;

export async function setup(ctx: ScenarioContext): Promise<ScenarioResult> {
  const deadline = performance.now() + ctx.budgetMs;
  const times: number[] = [];
  /** CPU time (user + system, all threads) per measured set-up: steadier than wall time on a busy machine. */
  const cpu: number[] = [];
  let capped = false;
  for (let i = 0; i < WARMUP + 2 * ctx.param; i++) {
    const left = deadline - performance.now();
    if (left <= 0) {
      capped = true;
      break;
    }
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    let pair: Awaited<ReturnType<typeof openPair>>;
    try {
      pair = await openPair(ctx.stack, ctx.name, Math.min(ATTEMPT_TIMEOUT_MS, left));
    } catch (err) {
      // A connection cut short by the budget ends the run; any other failure is the stack's.
      if (times.length > 0 && performance.now() >= deadline - 1) {
        capped = true;
        break;
      }
      throw err;
    }
    const dt = performance.now() - t0;
    const c1 = process.cpuUsage(c0);
    if (i >= WARMUP) {
      times.push(dt);
      cpu.push((c1.user + c1.system) / 1000);
      ctx.partial({ value: median(times.slice(-ctx.param)), detail: `n=${times.length} before the cap`, capped: true });
    }
    await closePair(pair);
    await sleep(5);
  }
  if (times.length === 0) throw new Error(`${ctx.name}: no connection measured within the budget`);
  const cold = times.slice(0, ctx.param);
  const steady = times.length > ctx.param ? times.slice(ctx.param) : cold;
  const steadyCpu = cpu.length > ctx.param ? cpu.slice(ctx.param) : cpu;
  const sorted = [...steady].sort((x, y) => x - y);
  const slow = times.filter((t) => t >= SLOW_MS).length;
  return {
    value: median(steady),
    extra: { cold: median(cold) },
    detail:
      `steady n=${steady.length} min=${sorted[0]!.toFixed(1)} max=${sorted[sorted.length - 1]!.toFixed(1)} ms, CPU median ${median(steadyCpu).toFixed(1)} ms; ` +
      `cold (connections ${WARMUP + 1}-${WARMUP + cold.length}) median ${median(cold).toFixed(1)} ms, CPU median ${median(cpu.slice(0, ctx.param)).toFixed(1)} ms` +
      (slow > 0 ? `, ${slow} of ${times.length} took >= ${SLOW_MS} ms` : ""),
    capped: capped || times.length < 2 * ctx.param,
  };
}
