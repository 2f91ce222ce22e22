// Benchmark scenarios "throughput" (MB/s of `param`-byte messages) and "small" (100-byte messages
// per second): one fresh connected pair, one reliable ordered channel, a fixed time per run with
// the standard bufferedAmount flow control (bench/scenarios/flow.ts), measured at the receiver.
import { readFileSync } from "node:fs";
import { openPair } from "../stacks/w3c.js";
import { type FlowResult, runFlow } from "./flow.js";
import type { ScenarioContext, ScenarioResult } from "./types.js";

const SEND_MS = 3_000;
const DRAIN_MS = 2_000;
const MAX_BYTES = 200_000_000;

interface UdpCounters {
  /** Datagrams sent (IPv4 + IPv6). */
  out: number;
  /** Datagrams dropped because a socket's receive buffer was full. */
  drops: number;
}

/**
 * The kernel's UDP counters (Linux /proc, machine-wide), or undefined elsewhere. Both peers share one
 * thread here, so a sender's burst can overrun the receiving socket before the receiver runs (each
 * drop costs a retransmission and a congestion-window cut); and datagrams sent tell the packet size
 * a stack used (Petrel's SCTP probes the path MTU, RFC 8899, which is 64 KiB on loopback).
 */
export function udpCounters(): UdpCounters | undefined {
  try {
    const out: UdpCounters = { out: 0, drops: 0 };
    const v4 = readFileSync("/proc/net/snmp", "utf8").split("\n");
    const head = v4.findIndex((l) => l.startsWith("Udp:"));
    if (head >= 0 && v4[head + 1]?.startsWith("Udp:")) {
      const names = v4[head].split(/\s+/);
      const values = v4[head + 1].split(/\s+/);
      out.drops += Number(values[names.indexOf("RcvbufErrors")]) || 0;
      out.out += Number(values[names.indexOf("OutDatagrams")]) || 0;
    }
    const v6 = readFileSync("/proc/net/snmp6", "utf8");
    out.drops += Number(/Udp6RcvbufErrors\s+(\d+)/.exec(v6)?.[1] ?? 0);
    out.out += Number(/Udp6OutDatagrams\s+(\d+)/.exec(v6)?.[1] ?? 0);
    return out;
  } catch {
    return undefined;
  }
}

async function flow(ctx: ScenarioContext, figure: (r: FlowResult) => ScenarioResult): Promise<ScenarioResult> {
  const pair = await openPair(ctx.stack, ctx.name, 10_000);
  const udp0 = udpCounters();
  const durationMs = Math.max(500, Math.min(SEND_MS, ctx.budgetMs - DRAIN_MS));
  const r = await runFlow(pair, {
    size: ctx.param,
    durationMs,
    maxBytes: MAX_BYTES,
    drainMs: DRAIN_MS,
    progress: (p) => ctx.partial({ ...figure(p), capped: true }),
  });
  const udp1 = udpCounters();
  // No close: the child process reports and exits (a stack's close must not hold the figure).
  void pair;
  const result = figure(r);
  if (udp0 && udp1) {
    const sent = udp1.out - udp0.out;
    const perDatagram =
      sent > 0 ? `, ${Math.round(r.receivedBytes / sent)} message bytes per datagram (data and acks, both ways)` : "";
    result.detail += `; UDP (machine-wide): ${sent} datagrams sent${perDatagram}, ${udp1.drops - udp0.drops} receive-buffer drops`;
  }
  return result;
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
