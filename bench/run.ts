// `npm run bench`: Petrel side by side with werift and node-datachannel, two peers in one process
// on loopback, each (scenario, stack) measured in its own child process so that a crash or a stall
// in one stack costs only its own figure. Prints each figure as it arrives, then a table with the
// ratios Petrel/other and Petrel's targets.
//
//   npm run bench -- --only=setup,throughput --stacks=petrel,werift [--json=out.json]
//   parts: setup, throughput, small, memory, relay (default: these five), layers (bench/sctp.ts,
//   bench/dtls.ts, bench/srtp.ts...). relay: media forwarding by a relay process (bench/relay.ts),
//   Petrel's and werift's, between a Petrel source and sink (bench/scenarios/relay.ts).
//   --profile[=DIR]: run each child under `node --cpu-prof` (profiles in DIR, default .tmp/bench-profiles)
//   and print its hottest functions and files by self time (relay: the relay process is profiled).
//
// Internally: `node dist/bench/run.js --child --scenario=S --stack=N --param=P --budget=MS` runs one
// figure and prints one "@@RESULT {json}" line.
import { spawn } from "node:child_process";
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { basename, dirname, join, resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import { memory } from "./scenarios/memory.js";
import { type HotSpot, summarizeProfileDir } from "./scenarios/profile.js";
import { relay } from "./scenarios/relay.js";
import { setup } from "./scenarios/setup.js";
import { small, throughput } from "./scenarios/throughput.js";
import type { Scenario, ScenarioResult } from "./scenarios/types.js";
import { findStack, STACKS } from "./stacks/index.js";

const SCENARIOS: Record<string, Scenario> = { setup, throughput, small, memory, relay };
const PARTS = ["setup", "throughput", "small", "memory", "relay", "layers"] as const;
const DEFAULT_PARTS = ["setup", "throughput", "small", "memory", "relay"];
/** Scripts in bench/ that are not layer micro-benchmarks (the relay is a child of the relay scenario). */
const NOT_LAYERS = ["run.js", "relay.js"];
const ALIASES: Record<string, string> = { ndc: "node-datachannel" };

interface Target {
  op: "<" | ">=";
  value: number;
}

interface Job {
  part: (typeof PARTS)[number];
  label: string;
  scenario: string;
  param: number;
  unit: string;
  digits: number;
  better: "lower" | "higher";
  /** Petrel's target, when it has one. */
  target: Target | undefined;
  /** Only these stacks have an implementation of the scenario (default: every stack asked for). */
  stacks?: string[];
  /** More figures the same run reports (ScenarioResult.extra[key]), one table row each. */
  extra?: { key: string; label: string; unit: string; digits: number; better: "lower" | "higher" }[];
  /** Profile a process the scenario starts, named by this environment variable, instead of the child. */
  profileEnv?: string;
  /** Soft budget the scenario itself respects (it then reports what it reached). */
  budgetMs: number;
  /** The parent kills the child after this long. */
  hardCapMs: number;
  /** Extra node flags for the child (memory: --expose-gc). */
  nodeFlags: string[];
}

const JOBS: Job[] = [
  {
    part: "setup",
    label: "set-up, median of 20, steady state (ms)",
    scenario: "setup",
    param: 20,
    unit: "ms",
    digits: 1,
    better: "lower",
    target: { op: "<", value: 5 },
    extra: [
      {
        key: "cold",
        label: "set-up, median of the first 20 in a fresh process (ms)",
        unit: "ms",
        digits: 1,
        better: "lower",
      },
    ],
    budgetMs: 30_000,
    hardCapMs: 60_000,
    nodeFlags: [],
  },
  ...[16384, 65536].map(
    (size): Job => ({
      part: "throughput",
      label: `throughput ${size / 1024} KiB messages (MB/s)`,
      scenario: "throughput",
      param: size,
      unit: "MB/s",
      digits: 1,
      better: "higher",
      target: { op: ">=", value: 80 },
      budgetMs: 5_000,
      hardCapMs: 20_000,
      nodeFlags: [],
    }),
  ),
  {
    part: "small",
    label: "100-byte messages per second",
    scenario: "small",
    param: 100,
    unit: "msg/s",
    digits: 0,
    better: "higher",
    target: { op: ">=", value: 200_000 },
    budgetMs: 5_000,
    hardCapMs: 20_000,
    nodeFlags: [],
  },
  // V8 grows its young generation (semi-spaces up to 16 MiB each) while connections are being set
  // up, and full GCs do not give it back: a fixed 10-40 MB of RSS that lands on whichever N is
  // measured. The third row caps it (--max-semi-space-size=1) to show the per-connection cost alone.
  ...[
    { n: 100, flags: [], note: "" },
    { n: 500, flags: [], note: "" },
    { n: 100, flags: ["--max-semi-space-size=1"], note: ", young generation capped" },
  ].map(
    ({ n, flags, note }): Job => ({
      part: "memory",
      label: `RSS per connection, ${n} pairs open${note} (MB)`,
      scenario: "memory",
      param: n,
      unit: "MB",
      digits: 3,
      better: "lower",
      target: { op: "<", value: 0.15 },
      budgetMs: 60_000,
      hardCapMs: 120_000,
      nodeFlags: ["--expose-gc", ...flags],
    }),
  ),
  {
    part: "relay",
    label: "relay: RTP packets forwarded per relay CPU-second",
    scenario: "relay",
    param: 0,
    unit: "pkt/CPU-s",
    digits: 0,
    better: "higher",
    target: undefined,
    stacks: ["petrel", "werift"],
    extra: [
      {
        key: "maxRate",
        label: "relay: max forwarding rate, < 1% loss (pkt/s)",
        unit: "pkt/s",
        digits: 0,
        better: "higher",
      },
      { key: "rssMb", label: "relay: RSS of the relay process (MB)", unit: "MB", digits: 0, better: "lower" },
    ],
    profileEnv: "PETREL_RELAY_PROFILE_DIR",
    budgetMs: 15_000,
    hardCapMs: 40_000,
    nodeFlags: [],
  },
];

interface Outcome {
  ok: boolean;
  result?: ScenarioResult;
  error?: string;
  seconds: number;
}

const RESULT_TAG = "@@RESULT ";
const LAYER_CAP_MS = 180_000;
const PROFILE_TOP = 15;
const ERROR_TAG = "@@ERROR ";
const PARTIAL_TAG = "@@PARTIAL ";

function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const a of argv) {
    if (!a.startsWith("--")) continue;
    const eq = a.indexOf("=");
    if (eq < 0) out.set(a.slice(2), "");
    else out.set(a.slice(2, eq), a.slice(eq + 1));
  }
  return out;
}

// ---- child side -------------------------------------------------------------------------------

async function child(args: Map<string, string>): Promise<void> {
  const fail = (err: unknown): void => {
    const msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stdout.write(`${ERROR_TAG}${JSON.stringify(msg)}\n`, () => process.exit(1));
  };
  process.on("uncaughtException", fail);
  process.on("unhandledRejection", fail);
  const stackName = args.get("stack") ?? "";
  const scenario = SCENARIOS[args.get("scenario") ?? ""];
  const stack = findStack(stackName);
  if (!scenario || !stack) throw new Error(`bad child arguments: ${[...args].join(" ")}`);
  const loaded = await stack.load();
  const result = await scenario({
    stack: loaded,
    name: stackName,
    param: Number(args.get("param")),
    budgetMs: Number(args.get("budget")),
    partial: (r) => {
      process.stdout.write(`${PARTIAL_TAG}${JSON.stringify(r)}\n`);
    },
  });
  process.stdout.write(`${RESULT_TAG}${JSON.stringify(result)}\n`, () => {
    try {
      loaded.shutdown?.();
    } finally {
      process.exit(0);
    }
  });
}

// ---- parent side ------------------------------------------------------------------------------

const SELF = fileURLToPath(import.meta.url);

function runChild(job: Job, stack: string, profileDir: string | undefined): Promise<Outcome> {
  const t0 = performance.now();
  const env = { ...process.env };
  if (profileDir && job.profileEnv) env[job.profileEnv] = profileDir;
  const argv = [
    ...job.nodeFlags,
    ...(profileDir && !job.profileEnv ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
    SELF,
    "--child",
    `--scenario=${job.scenario}`,
    `--stack=${stack}`,
    `--param=${job.param}`,
    `--budget=${job.budgetMs}`,
  ];
  return new Promise<Outcome>((resolve) => {
    const proc = spawn(process.execPath, argv, { stdio: ["ignore", "pipe", "pipe"], env });
    let out = "";
    let err = "";
    let killed = false;
    proc.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    proc.stderr.setEncoding("utf8").on("data", (d: string) => {
      err = (err + d).slice(-4000);
    });
    const timer = setTimeout(() => {
      killed = true;
      proc.kill("SIGKILL");
    }, job.hardCapMs);
    proc.on("close", (code, signal) => {
      clearTimeout(timer);
      const seconds = (performance.now() - t0) / 1000;
      let partial: ScenarioResult | undefined;
      for (const line of out.split("\n")) {
        if (line.startsWith(PARTIAL_TAG)) partial = JSON.parse(line.slice(PARTIAL_TAG.length));
        if (line.startsWith(RESULT_TAG)) {
          resolve({ ok: true, result: JSON.parse(line.slice(RESULT_TAG.length)), seconds });
          return;
        }
        if (line.startsWith(ERROR_TAG)) {
          resolve({ ok: false, error: JSON.parse(line.slice(ERROR_TAG.length)), seconds });
          return;
        }
      }
      const why = killed
        ? `killed after the ${job.hardCapMs / 1000} s cap`
        : `exited with ${signal ?? code} without a result`;
      if (partial) {
        partial.detail = `${partial.detail}; ${why}`;
        resolve({ ok: true, result: partial, seconds });
        return;
      }
      resolve({ ok: false, error: `${why}\n${err.trim().split("\n").slice(-8).join("\n")}`, seconds });
    });
  });
}

function fmt(v: number, digits: number): string {
  if (!Number.isFinite(v)) return "-";
  // Small counts keep a decimal so that a stalled stack shows 0.4, not 0.
  const d = digits === 0 && Math.abs(v) < 10 ? 1 : digits;
  return v.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
}

function meets(t: Target, v: number): boolean {
  return t.op === "<" ? v < t.value : v >= t.value;
}

/** One row of the final table: a job's figure, or one of its extra figures. */
interface Row {
  job: Job;
  label: string;
  unit: string;
  digits: number;
  target: Target | undefined;
  value(o: Outcome | undefined): number;
}

function tableRows(jobs: Job[]): Row[] {
  const rows: Row[] = [];
  for (const job of jobs) {
    rows.push({
      job,
      label: job.label,
      unit: job.unit,
      digits: job.digits,
      target: job.target,
      value: (o) => (o?.ok && o.result ? o.result.value : Number.NaN),
    });
    for (const x of job.extra ?? []) {
      rows.push({
        job,
        label: x.label,
        unit: x.unit,
        digits: x.digits,
        target: undefined,
        value: (o) => (o?.ok && o.result?.extra ? (o.result.extra[x.key] ?? Number.NaN) : Number.NaN),
      });
    }
  }
  return rows;
}

function firstLine(s: string): string {
  const line = s.split("\n").find((l) => l.trim() !== "") ?? s;
  return line.length > 110 ? `${line.slice(0, 107)}...` : line;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r, ri) => {
      const line = r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
      return ri === 0 ? `${line}\n${widths.map((w) => "-".repeat(w)).join("  ")}` : line;
    })
    .join("\n");
}

/** The layer micro-benchmarks other engineers own (bench/sctp.ts, bench/dtls.ts, bench/srtp.ts...). */
function layerScripts(): string[] {
  const here = dirname(SELF);
  const order = ["sctp", "dtls", "srtp"];
  const found = readdirSync(here)
    .filter((f) => f.endsWith(".js") && !NOT_LAYERS.includes(f))
    .map((f) => f.slice(0, -3));
  const rank = (n: string): number => (order.includes(n) ? order.indexOf(n) : order.length);
  return found.sort((x, y) => rank(x) - rank(y) || x.localeCompare(y)).map((n) => join(here, `${n}.js`));
}

async function runLayers(): Promise<void> {
  const scripts = layerScripts();
  if (scripts.length === 0) console.log("\n== layer micro-benchmarks: none present (bench/sctp.ts, bench/dtls.ts)");
  for (const file of scripts) {
    const name = basename(file, ".js");
    console.log(`\n== layer micro-benchmark: bench/${name}.ts`);
    const code = await new Promise<number | string>((resolve) => {
      const proc = spawn(process.execPath, [file], { stdio: ["ignore", "inherit", "inherit"] });
      const timer = setTimeout(() => proc.kill("SIGKILL"), LAYER_CAP_MS);
      proc.on("close", (c, sig) => {
        clearTimeout(timer);
        resolve(sig ?? c ?? 0);
      });
    });
    if (code !== 0) console.log(`   (bench/${name} ended with ${code})`);
  }
}

/** Other work on the machine moves every wall-clock figure: say how busy it was. */
function loadText(): string {
  return `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`;
}

function printProfile(dir: string): void {
  const summary = summarizeProfileDir(dir, PROFILE_TOP);
  if (!summary) {
    console.log(`      (no profile written in ${dir})`);
    return;
  }
  const pct = (h: HotSpot): string => `${h.percent.toFixed(1).padStart(5)}%  ${h.name}`;
  console.log(`      profile ${dir} (${(summary.totalMs / 1000).toFixed(1)} s sampled), self time by function:`);
  for (const h of summary.functions) console.log(`      ${pct(h)}`);
  console.log("      self time by file:");
  for (const h of summary.files.slice(0, 8)) console.log(`      ${pct(h)}`);
  console.log("      total time (with callees) of Petrel/bench functions:");
  for (const h of summary.inclusive) console.log(`      ${pct(h)}`);
}

async function parent(args: Map<string, string>): Promise<void> {
  const parts = (args.get("only") || DEFAULT_PARTS.join(",")).split(",").filter(Boolean);
  for (const p of parts) {
    if (!(PARTS as readonly string[]).includes(p)) throw new Error(`unknown part "${p}" (${PARTS.join(", ")})`);
  }
  const stacks = (args.get("stacks") || STACKS.map((s) => s.name).join(","))
    .split(",")
    .filter(Boolean)
    .map((s) => ALIASES[s] ?? s);
  for (const s of stacks) {
    if (!findStack(s)) throw new Error(`unknown stack "${s}" (${STACKS.map((x) => x.name).join(", ")})`);
  }
  const jobs = JOBS.filter((j) => parts.includes(j.part));
  const profileRoot = args.has("profile") ? resolvePath(args.get("profile") || ".tmp/bench-profiles") : undefined;
  console.log(
    `Petrel benchmark: node ${process.version}, ${process.platform}-${process.arch}, ${cpus().length} CPUs, ${loadText()}.`,
  );
  if (jobs.length > 0) {
    console.log(
      `Stacks: ${stacks.join(", ")}. Two peers in one process on loopback; each figure in a fresh child process.` +
        " MB = 10^6 bytes.",
    );
  }
  const results = new Map<string, Outcome>();
  for (const job of jobs) {
    console.log(`\n== ${job.label}`);
    for (const stack of stacks) {
      if (job.stacks && !job.stacks.includes(stack)) {
        console.log(`   ${stack.padEnd(17)}${"n/a".padStart(12)}   (no ${job.scenario} implementation for this stack)`);
        continue;
      }
      const profileDir = profileRoot ? join(profileRoot, `${job.scenario}-${job.param}-${stack}`) : undefined;
      if (profileDir) rmSync(profileDir, { recursive: true, force: true });
      const o = await runChild(job, stack, profileDir);
      results.set(`${job.label}|${stack}`, o);
      const name = stack.padEnd(17);
      if (o.ok && o.result) {
        const r = o.result;
        console.log(
          `   ${name}${fmt(r.value, job.digits).padStart(12)} ${job.unit}${r.capped ? " (capped)" : ""}   ${r.detail} [${o.seconds.toFixed(1)} s]`,
        );
      } else {
        console.log(`   ${name}${"FAILED".padStart(12)}   ${firstLine(o.error ?? "")}`);
        if (o.error?.includes("\n")) {
          for (const l of o.error.split("\n").slice(1, 6)) console.log(`   ${" ".repeat(17)}  | ${l}`);
        }
      }
      if (profileDir) printProfile(profileDir);
    }
  }

  if (jobs.length > 0) {
    const others = stacks.filter((s) => s !== "petrel");
    const hasPetrel = stacks.includes("petrel");
    const header = [
      "figure",
      ...stacks,
      ...(hasPetrel ? others.map((o) => `petrel/${o}`) : []),
      ...(hasPetrel ? ["petrel target"] : []),
    ];
    const rows: string[][] = [header];
    for (const r of tableRows(jobs)) {
      const label = r.job.label;
      const outcome = (s: string): Outcome | undefined => results.get(`${label}|${s}`);
      const na = (s: string): boolean => r.job.stacks !== undefined && !r.job.stacks.includes(s);
      const cell = (s: string): string => {
        if (na(s)) return "n/a";
        const o = outcome(s);
        if (!o?.ok || !o.result) return "failed";
        return `${fmt(r.value(o), r.digits)}${o.result.capped ? "*" : ""}`;
      };
      const row = [r.label, ...stacks.map(cell)];
      if (hasPetrel) {
        const p = r.value(outcome("petrel"));
        const capped = (s: string): boolean => outcome(s)?.result?.capped === true;
        for (const o of others) {
          const ratio = p / r.value(outcome(o));
          const mark = capped("petrel") || capped(o) ? "*" : "";
          row.push(Number.isFinite(ratio) ? `${fmt(ratio, ratio < 10 ? 2 : 0)}x${mark}` : "-");
        }
        const target = r.target;
        if (!target) row.push("-");
        else {
          const t = `${target.op} ${target.value.toLocaleString("en-US")} ${r.unit}`;
          row.push(Number.isFinite(p) ? `${t} ${meets(target, p) ? "met" : "MISSED"}` : t);
        }
      }
      rows.push(row);
    }
    console.log(`\n${table(rows)}`);
    console.log(`\nAt the end: ${loadText()}.`);
    console.log(
      "\n* = capped: the stack did not finish within the scenario's time cap; the figure is what it reached." +
        "\nRatios are Petrel's figure divided by the other's: below 1 is better for ms and MB, above 1 for MB/s, msg/s and pkt/s.",
    );
  }
  if (parts.includes("layers")) await runLayers();

  const jsonPath = args.get("json");
  if (jsonPath) {
    const data = jobs.map((j) => ({
      figure: j.label,
      unit: j.unit,
      better: j.better,
      petrelTarget: j.target ? `${j.target.op} ${j.target.value}` : undefined,
      results: Object.fromEntries(stacks.map((s) => [s, results.get(`${j.label}|${s}`)])),
    }));
    writeFileSync(jsonPath, `${JSON.stringify(data, null, 2)}\n`);
  }
}

const args = parseArgs(process.argv.slice(2));
if (args.has("child")) {
  child(args).catch((err) => {
    const msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stdout.write(`${ERROR_TAG}${JSON.stringify(msg)}\n`, () => process.exit(1));
  });
} else {
  parent(args).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
