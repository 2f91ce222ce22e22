// Benchmark scenarios "throughput" (MB/s of `param`-byte messages) and "small" (100-byte messages
// per second): one fresh connected pair, one reliable ordered channel, a fixed time per run with
// the standard bufferedAmount flow control (bench/scenarios/flow.ts), measured at the receiver.
import { openPair } from "../stacks/w3c.js";
import { type FlowResult, runFlow } from "./flow.js";
import type { ScenarioContext, ScenarioResult } from "./types.js";

const SEND_MS = 3_000;
const DRAIN_MS = 2_000;
const MAX_BYTES = 200_000_000;

async function flow(ctx: ScenarioContext, figure: (r: FlowResult) => ScenarioResult): Promise<ScenarioResult> {
  const pair = await openPair(ctx.stack, ctx.name, 10_000);
  const durationMs = Math.max(500, Math.min(SEND_MS, ctx.budgetMs - DRAIN_MS));
  const r = await runFlow(pair, {
    size: ctx.param,
    durationMs,
    maxBytes: MAX_BYTES,
    drainMs: DRAIN_MS,
    progress: (p) => ctx.partial({ ...figure(p), capped: true }),
  });
  // No close: the child process reports and exits (a stack's close must not hold the figure).
  void pair;
  return figure(r);
}

export function throughput(ctx: ScenarioContext): Promise<ScenarioResult> {
  return flow(ctx, (r) => bytesPerSecond(r));
}

export function small(ctx: ScenarioContext): Promise<ScenarioResult> {
  return flow(ctx, (r) => messagesPerSecond(r, ctx.param));
}

function bytesPerSecond(r: FlowResult): ScenarioResult {
  const seconds = r.elapsedMs / 1000;
  return {
    value: seconds > 0 ? r.receivedBytes / 1e6 / seconds : 0,
    detail: `${(r.receivedBytes / 1e6).toFixed(1)} MB received of ${(r.sentBytes / 1e6).toFixed(1)} MB sent in ${seconds.toFixed(2)} s, ${cpu(r, r.receivedBytes / 1e6, "MB")}`,
    capped: r.incomplete,
  };
}

/**
 * Process CPU time over wall time (above 100%: the stack works on more than one core), and the work
 * done per CPU-second, which moves less than the wall-clock figure when the machine is shared.
 */
function cpu(r: FlowResult, work: number, unit: string): string {
  const s = r.cpuMs / 1000;
  const pct = Math.round((100 * r.cpuMs) / Math.max(1, r.elapsedMs));
  const per = s > 0 ? work / s : 0;
  return `CPU ${s.toFixed(2)} s (${pct}%), ${per.toFixed(1)} ${unit} per CPU-second`;
}

function messagesPerSecond(r: FlowResult, size: number): ScenarioResult {
  const seconds = r.elapsedMs / 1000;
  return {
    value: seconds > 0 ? r.receivedMessages / seconds : 0,
    detail: `${r.receivedMessages} messages received of ${Math.round(r.sentBytes / size)} sent in ${seconds.toFixed(2)} s, ${cpu(r, r.receivedMessages, "msg")}`,
    capped: r.incomplete,
  };
}
