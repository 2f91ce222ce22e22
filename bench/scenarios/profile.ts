// Benchmark harness: summary of a V8 CPU profile (.cpuprofile written by `node --cpu-prof`), used by
// `npm run bench -- --profile`: self time per function (file:function) and per file, as a
// percentage of the profile's sampled time, so a slow figure comes with its hot spots.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  name: string;
  percent: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Self time per file:function. */
  functions: HotSpot[];
  /** Self time per file. */
  files: HotSpot[];
  /** Total time (self and callees) per file:function, for functions of the project (src/, bench/). */
  inclusive: HotSpot[];
}

/** file:///.../dist/src/sctp/sender.js -> src/sctp/sender.ts; node:dgram stays node:dgram. */
function sourceName(url: string): string {
  if (url === "") return "";
  const m = /^.*\/((?:src|bench|test)\/.+)\.js$/.exec(url);
  if (m) return `${m[1]}.ts`;
  if (url.includes("/node_modules/")) return url.slice(url.lastIndexOf("/node_modules/") + 14);
  return url.replace(/^file:\/\//, "");
}

function top(map: Map<string, number>, total: number, n: number): HotSpot[] {
  return [...map]
    .sort((x, y) => y[1] - x[1])
    .slice(0, n)
    .map(([name, t]) => ({ name, percent: (100 * t) / total }));
}

export function summarizeProfile(profile: CpuProfile, n: number): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) byId.set(node.id, node);
  const perNode = new Map<number, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    perNode.set(profile.samples[i], (perNode.get(profile.samples[i]) ?? 0) + dt);
  }
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const keyOf = (cf: CallFrame): { key: string; file: string; fn: string } => {
    const file = sourceName(cf.url);
    let fn = cf.functionName || "(anonymous)";
    if (fn.startsWith("RegExp: ")) fn = `RegExp ${fn.slice(8, 40)}...`;
    return { key: file ? `${file}:${fn}` : fn, file, fn };
  };
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, t] of perNode) {
    const cf = byId.get(id)?.callFrame;
    if (!cf) continue;
    const { key, file, fn } = keyOf(cf);
    functions.set(key, (functions.get(key) ?? 0) + t);
    const fileKey = file || fn;
    files.set(fileKey, (files.get(fileKey) ?? 0) + t);
    // Each project function on the stack once, however deep it recurses.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)?.callFrame;
      if (!frame) break;
      const k = keyOf(frame);
      if (!/^(src|bench)\//.test(k.file) || seen.has(k.key)) continue;
      seen.add(k.key);
      inclusive.set(k.key, (inclusive.get(k.key) ?? 0) + t);
    }
  }
  if (total === 0) total = 1;
  return {
    totalMs: total / 1000,
    functions: top(functions, total, n),
    files: top(files, total, n),
    inclusive: top(inclusive, total, n),
  };
}

/** Summarises the first .cpuprofile in `dir`, or returns undefined when there is none. */
export function summarizeProfileDir(dir: string, n: number): ProfileSummary | undefined {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  } catch {
    return undefined;
  }
  if (files.length === 0) return undefined;
  const profile = JSON.parse(readFileSync(join(dir, files[0]), "utf8")) as CpuProfile;
  return summarizeProfile(profile, n);
}
