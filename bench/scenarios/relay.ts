// Benchmark scenario "relay": media forwarding by one relay process between two peers. This process
// holds the source and the sink (both Petrel, the same for every relay measured); the relay
// (bench/relay.ts, Petrel's or werift's, by the stack name) runs in its own child process, so its
// CPU time is its own. The source sends a VP8-like RTP stream (1,100-byte payloads, 5 packets a
// frame, a keyframe every 60 frames); the relay receives, decrypts (SRTP), re-encrypts and sends
// every packet on; the sink counts the packets by an index carried in the last 4 payload bytes.
//
// Figures: packets forwarded per second of relay CPU time (user + system of the relay process) at a
// fixed 3,000 packets/s (median of three 0.7 s steps); the highest rate of a doubling-then-bisecting
// ramp (steps of 0.7 s) at which the sink got 99% of the packets within 300 ms of the step's end (a
// packet later than that counts as lost: a relay that queues is not keeping up); the relay's RSS at
// the end. Both peer connections of
// the relay negotiate the same SRTP profile (AEAD_AES_128_GCM, the first choice of both stacks).
// No RFC of its own (RFC 3550 RTP, RFC 3711/7714 SRTP, RFC 7741 VP8 payload descriptors).
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FromRelay, ToRelay } from "../relay.js";
import { udpCounters } from "./throughput.js";
import type { ScenarioContext, ScenarioResult } from "./types.js";
import { median, sleep } from "./types.js";

const PAYLOAD = 1100;
const PACKETS_PER_FRAME = 5;
const KEYFRAME_EVERY = 60;
/** The fixed rate of the CPU-efficiency figure (packets/s; 1,100-byte payloads: 26 Mbit/s). */
const EFFICIENCY_RATE = 3_000;
/** Three steps of this long: the figure is their median (other load on the machine moves it). */
const EFFICIENCY_MS = 700;
/** The warm-up's rate (10,000 packets in 1 s: the JITs have optimised the path by then). */
const WARMUP_RATE = 10_000;
/** The ramp doubles from here (the efficiency steps count as its first). */
const RAMP_START = 5_000;
const STEP_MS = 700;
/** Time for packets in flight to arrive before counting a step. */
const SETTLE_MS = 300;
/** Then up to this long for late packets, which tell queueing (late) from drops (never). */
const LATE_MS = 500;
const LOSS_LIMIT = 0.01;
/** Packets written per timer turn at most (Petrel's media output queue holds 1,024). */
const MAX_BURST = 200;

interface Sample {
  cpuUs: number;
  rss: number;
  maxRss: number;
  received: number;
  forwarded: number;
}

/** One IPC conversation with the relay child: requests answered in order. */
class RelayChild {
  readonly proc: ChildProcess;
  private waiting: { type: string; resolve: (m: FromRelay) => void; reject: (e: Error) => void }[] = [];
  private failure: Error | undefined;
  constructor(impl: string, profileDir: string | undefined) {
    const file = join(dirname(fileURLToPath(import.meta.url)), "..", "relay.js");
    const flags = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
    this.proc = spawn(process.execPath, [...flags, file, `--impl=${impl}`], {
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    this.proc.on("message", (m: FromRelay) => {
      if (m.type === "error") return this.fail(new Error(`relay: ${m.message}`));
      const i = this.waiting.findIndex((w) => w.type === m.type);
      if (i >= 0) this.waiting.splice(i, 1)[0]!.resolve(m);
    });
    this.proc.on("exit", (code, signal) => this.fail(new Error(`relay exited (${signal ?? code})`)));
  }
  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiting.splice(0)) w.reject(e);
  }
  request<T extends FromRelay["type"]>(
    m: ToRelay | undefined,
    reply: T,
    ms = 10_000,
  ): Promise<Extract<FromRelay, { type: T }>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`relay: no ${reply} in ${ms} ms`)), ms);
      this.waiting.push({
        type: reply,
        resolve: (x) => {
          clearTimeout(timer);
          resolve(x as Extract<FromRelay, { type: T }>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      if (m) this.proc.send(m);
    });
  }
  sample(): Promise<Sample> {
    return this.request({ type: "sample" }, "sample");
  }
  async exit(): Promise<void> {
    if (this.failure) return;
    const gone = new Promise((r) => this.proc.once("exit", r));
    this.proc.send({ type: "exit" } satisfies ToRelay);
    await Promise.race([gone, sleep(3000)]);
    this.proc.kill("SIGKILL");
  }
}

/** The VP8-like stream: RFC 7741 payload descriptors with picture ids, keyframe headers. */
class Stream {
  private readonly payloads: Uint8Array[];
  index = 0;
  constructor() {
    const key = new Uint8Array(PAYLOAD).fill(0x5a);
    key.set([0x90, 0x80, 0x80, 0x00, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]);
    const inter = new Uint8Array(PAYLOAD).fill(0x5a);
    inter.set([0x90, 0x80, 0x80, 0x00, 0x11, 0x02, 0x00]);
    const middle = new Uint8Array(PAYLOAD).fill(0x5a);
    middle.set([0x80, 0x80, 0x80, 0x00]);
    this.payloads = [key, inter, middle];
  }
  /** The next packet; its payload is reused, so it must be sent at once. */
  next(): { sequenceNumber: number; timestamp: number; marker: boolean; payload: Uint8Array } {
    const i = this.index++;
    const frame = Math.floor(i / PACKETS_PER_FRAME);
    const inFrame = i % PACKETS_PER_FRAME;
    const p = this.payloads[inFrame > 0 ? 2 : frame % KEYFRAME_EVERY === 0 ? 0 : 1]!;
    const pictureId = frame & 0x7fff;
    p[2] = 0x80 | (pictureId >> 8);
    p[3] = pictureId & 0xff;
    const n = p.length;
    p[n - 4] = i >>> 24;
    p[n - 3] = (i >>> 16) & 0xff;
    p[n - 2] = (i >>> 8) & 0xff;
    p[n - 1] = i & 0xff;
    return {
      sequenceNumber: i & 0xffff,
      timestamp: (frame * 3000) >>> 0,
      marker: inFrame === PACKETS_PER_FRAME - 1,
      payload: p,
    };
  }
}

/** Counts packets whose index falls in [from, to). */
class Counter {
  from = 0;
  to = 0;
  got = 0;
  total = 0;
  see(payload: Uint8Array): void {
    this.total++;
    const n = payload.length;
    if (n < 4) return;
    const i = ((payload[n - 4]! << 24) | (payload[n - 3]! << 16) | (payload[n - 2]! << 8) | payload[n - 1]!) >>> 0;
    if (i >= this.from && i < this.to) this.got++;
  }
}

interface Step {
  rate: number;
  sent: number;
  got: number;
  loss: number;
  /** Packets the relay forwarded per second of its CPU time during the step. */
  perCpuSecond: number;
  /** Relay CPU use during the step, as a share of one core. */
  cpuShare: number;
  /** The rate the source reached (it may fall behind at high rates). */
  achieved: number;
  udpDrops: number;
  /** Packets that reached the sink after SETTLE_MS (counted as lost; up to LATE_MS more). */
  late: number;
}

type Write = (p: ReturnType<Stream["next"]>) => void;

/** Sends at `rate` packets/s for `ms`, then waits SETTLE_MS and counts. */
async function step(
  relay: RelayChild,
  stream: Stream,
  counter: Counter,
  write: Write,
  rate: number,
  ms: number,
): Promise<Step> {
  const from = stream.index;
  counter.from = from;
  counter.to = Number.MAX_SAFE_INTEGER;
  counter.got = 0;
  const udp0 = udpCounters();
  const s0 = await relay.sample();
  const t0 = performance.now();
  let elapsed = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      elapsed = Math.min(performance.now() - t0, ms);
      const target = from + Math.floor((rate * elapsed) / 1000);
      let burst = 0;
      while (stream.index < target && burst < MAX_BURST) {
        write(stream.next());
        burst++;
      }
      if (elapsed >= ms) resolve();
      else if (stream.index < target) setImmediate(tick);
      else setTimeout(tick, 1);
    };
    tick();
  });
  const sent = stream.index - from;
  counter.to = stream.index;
  await sleep(SETTLE_MS);
  const onTime = counter.got;
  const s1 = await relay.sample();
  const udp1 = udpCounters();
  // Late packets: wait while the count still grows (the relay is draining a queue).
  let seen = counter.got;
  for (let waited = 0; seen < sent && waited < LATE_MS; waited += 100) {
    await sleep(100);
    if (counter.got === seen) break;
    seen = counter.got;
  }
  const cpuS = (s1.cpuUs - s0.cpuUs) / 1e6;
  const forwarded = s1.forwarded - s0.forwarded;
  return {
    rate,
    sent,
    got: onTime,
    loss: sent > 0 ? 1 - onTime / sent : 1,
    perCpuSecond: cpuS > 0 ? forwarded / cpuS : 0,
    cpuShare: cpuS / ((ms + SETTLE_MS) / 1000),
    achieved: sent / (ms / 1000),
    udpDrops: udp0 && udp1 ? udp1.drops - udp0.drops : 0,
    late: counter.got - onTime,
  };
}

function stepText(s: Step): string {
  const loss = s.loss < 0.0005 ? "0" : `${(s.loss * 100).toFixed(1)}%`;
  return `${s.rate / 1000}k: loss ${loss}, ${Math.round(s.perCpuSecond)}/CPU-s, relay CPU ${Math.round(s.cpuShare * 100)}%${
    s.achieved < s.rate * 0.95 ? `, source reached ${Math.round(s.achieved)}/s` : ""
  }${s.late ? `, ${s.late} late` : ""}${s.udpDrops ? `, ${s.udpDrops} UDP drops (machine-wide)` : ""}`;
}

export async function relay(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { RTCPeerConnection, RTCTrackEvent } = await import("../../src/index.js");
  const { createRtpSink, createRtpTrack } = await import("../../src/nonstandard/index.js");
  const started = performance.now();
  const child = new RelayChild(ctx.name, process.env.PETREL_RELAY_PROFILE_DIR || undefined);
  const source = new RTCPeerConnection({ iceServers: [] });
  const sink = new RTCPeerConnection({ iceServers: [] });
  try {
    await child.request(undefined, "ready");
    const track = createRtpTrack({ kind: "video" });
    source.addTransceiver(track.track, { direction: "sendonly" });
    const counter = new Counter();
    sink.ontrack = (e) => {
      if (e instanceof RTCTrackEvent) createRtpSink(e.track, (p) => counter.see(p.payload));
    };
    await source.setLocalDescription(await source.createOffer());
    const answerIn = await child.request({ type: "offer-in", sdp: await gathered(source) }, "answer-in");
    await source.setRemoteDescription({ type: "answer", sdp: answerIn.sdp });
    const offerOut = await child.request({ type: "make-offer-out" }, "offer-out");
    await sink.setRemoteDescription({ type: "offer", sdp: offerOut.sdp });
    await sink.setLocalDescription(await sink.createAnswer());
    await child.request({ type: "answer-out", sdp: await gathered(sink) }, "ok");

    const stream = new Stream();
    const write: Write = (p) => track.writeRtp(p);
    // Warm-up: until the sink hears the stream (both connections up), then 1 s at 10k packets/s for the JITs
    // (at 3k the first steps were still getting faster).
    const end = performance.now() + 10_000;
    while (counter.total === 0) {
      if (performance.now() > end) throw new Error(`${ctx.name} relay: no packet reached the sink in 10 s`);
      await step(child, stream, counter, write, 1000, 100);
    }
    await step(child, stream, counter, write, WARMUP_RATE, 1000);

    const effSteps: Step[] = [];
    for (let i = 0; i < 3; i++)
      effSteps.push(await step(child, stream, counter, write, EFFICIENCY_RATE, EFFICIENCY_MS));
    const perCpuSecond = median(effSteps.map((s) => s.perCpuSecond));
    const effLoss = effSteps.reduce((a, s) => a + s.loss, 0) / effSteps.length;
    // A step is lossy (the relay's limit), or clean; a clean step whose source fell behind (this
    // process shares the machine) cannot tell more: the ramp stops there.
    const steps: Step[] = [];
    let good = 0;
    let bad = 0;
    let sourceLimited = false;
    const judge = (s: Step): void => {
      steps.push(s);
      if (s.loss >= LOSS_LIMIT) bad = bad === 0 ? s.rate : Math.min(bad, s.rate);
      else if (s.achieved < s.rate * 0.95) {
        sourceLimited = true;
        good = Math.max(good, Math.floor(s.achieved / 500) * 500);
      } else good = Math.max(good, s.rate);
    };
    // The efficiency steps count as one clean step when two of the three were clean.
    const clean = effSteps.filter((s) => s.loss < LOSS_LIMIT);
    judge(clean.length >= 2 ? clean[clean.length - 1]! : effSteps.find((s) => s.loss >= LOSS_LIMIT)!);
    steps.splice(0, 1, ...effSteps);
    const deadline = started + Math.max(5_000, ctx.budgetMs - 2_000);
    for (let rate = RAMP_START; bad === 0 && !sourceLimited && rate <= 160_000; rate *= 2) {
      if (performance.now() > deadline) break;
      judge(await step(child, stream, counter, write, rate, STEP_MS));
    }
    // Bisect twice between the last good and the first bad rate.
    for (let i = 0; i < 2 && bad > 0 && !sourceLimited && performance.now() < deadline; i++) {
      const rate = Math.round((good + bad) / 2 / 500) * 500;
      if (rate <= good || rate >= bad) break;
      judge(await step(child, stream, counter, write, rate, STEP_MS));
    }
    const last = await child.sample();
    const capped = bad === 0;
    const detail =
      `${perCpuSecond.toFixed(0)} pkt per relay CPU-s at ${EFFICIENCY_RATE / 1000}k pkt/s, median of ` +
      `${effSteps.map((s) => s.perCpuSecond.toFixed(0)).join(", ")} (loss ${(effLoss * 100).toFixed(2)}%); max rate with < 1% loss ${good > 0 ? good.toLocaleString("en-US") : `< ${bad}`}` +
      `${sourceLimited ? " (the source's limit, not the relay's)" : capped ? " (no lossy rate reached)" : ""}; relay RSS ${(last.rss / 1e6).toFixed(0)} MB (peak ${(last.maxRss / 1e6).toFixed(0)}); ` +
      `steps: ${steps.map(stepText).join("; ")}`;
    return {
      value: perCpuSecond,
      detail,
      capped: false,
      extra: { maxRate: good, rssMb: last.rss / 1e6 },
    };
  } finally {
    await child.exit();
    source.close();
    sink.close();
  }
}

async function gathered(pc: { iceGatheringState: string; localDescription: { sdp: string } | null }): Promise<string> {
  const end = performance.now() + 5000;
  while (pc.iceGatheringState !== "complete") {
    if (performance.now() > end) throw new Error("ICE gathering did not complete in 5 s");
    await sleep(5);
  }
  return pc.localDescription?.sdp ?? "";
}
