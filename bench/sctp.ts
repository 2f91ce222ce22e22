// SCTP throughput benchmark: two SctpAssociations connected directly in memory (no loss, no
// DTLS, no simulator), pumping packets back and forth in one loop. Prints MB and messages per
// CPU-second (process CPU time, both sides together, so a busy shared machine moves it little)
// for several message sizes, with zero checksum (as over DTLS with RFC 9653) and with CRC32c.
// The last rows go through DataChannelEndpoint (DCEP, PPIDs, bufferedAmount) on top.
// Run: npx tsc -p . --outDir .build/sctp && node .build/sctp/bench/sctp.js

import { DataChannelEndpoint } from "../src/datachannel/index.js";
import { SeededRandom } from "../src/random.js";
import { SctpAssociation, type SctpOptions } from "../src/sctp/index.js";

function pair(opts: SctpOptions): [SctpAssociation, SctpAssociation] {
  const a = new SctpAssociation({ random: new SeededRandom(1), ...opts });
  const b = new SctpAssociation({ random: new SeededRandom(2), ...opts });
  let now = 0;
  a.connect(now);
  b.connect(now);
  for (let i = 0; i < 20 && (a.state !== "established" || b.state !== "established"); i++) pump(a, b, now++);
  return [a, b];
}

let received = 0;
let receivedBytes = 0;

function pump(a: SctpAssociation, b: SctpAssociation, now: number): number {
  let moved = 0;
  for (let p = a.pollTransmit(); p; p = a.pollTransmit()) {
    b.handleDatagram(p, now);
    moved++;
  }
  for (let e = b.pollEvent(); e; e = b.pollEvent()) {
    if (e.type === "message") {
      received++;
      receivedBytes += e.data.length;
    }
  }
  for (let p = b.pollTransmit(); p; p = b.pollTransmit()) {
    a.handleDatagram(p, now);
    moved++;
  }
  while (a.pollEvent());
  return moved;
}

function run(label: string, size: number, total: number, opts: SctpOptions, streams = 1): void {
  const [a, b] = pair({ maxMessageSize: 1 << 20, ...opts });
  const msg = new Uint8Array(size).fill(7);
  const count = Math.floor(total / size);
  received = 0;
  receivedBytes = 0;
  let sent = 0;
  let now = 100;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  while (received < count) {
    // Keep about 4 MB queued, like an application filling up to a bufferedAmount threshold.
    while (sent < count && a.sender.totalBuffered < 4 * 1024 * 1024) {
      a.send(sent % streams, 53, msg, undefined, now);
      sent++;
    }
    pump(a, b, now);
    now += 0.01;
  }
  const c1 = process.cpuUsage(c0);
  // CPU time rather than wall clock: the machine may be shared (user + system, both sides together).
  const ms = Math.max((c1.user + c1.system) / 1000, 1e-3);
  void t0;
  const mbs = receivedBytes / 1e6 / (ms / 1000);
  const mps = received / (ms / 1000);
  console.log(
    `${label.padEnd(34)} ${mbs.toFixed(1).padStart(8)} MB/s ${Math.round(mps).toString().padStart(10)} msg/s  (${a.sender.stats.retransmissions} rtx)`,
  );
}

const modes: [string, SctpOptions][] = [
  ["zero checksum, I-DATA", { zeroChecksum: true, iData: true }],
  ["zero checksum, DATA", { zeroChecksum: true, iData: false }],
  ["CRC32c, I-DATA", { zeroChecksum: false, iData: true }],
];
for (const [name, o] of modes) {
  run(`${name}, 64 KiB`, 65536, 200e6, o);
  run(`${name}, 16 KiB`, 16384, 200e6, o);
  run(`${name}, 1 KiB`, 1024, 50e6, o);
  run(`${name}, 100 B`, 100, 20e6, o);
  run(`${name}, 100 B x 10 streams`, 100, 20e6, o, 10);
}

function runChannels(label: string, size: number, total: number): void {
  const a = new DataChannelEndpoint({
    dtlsRole: "client",
    maxMessageSize: 1 << 20,
    sctp: { random: new SeededRandom(3) },
  });
  const b = new DataChannelEndpoint({
    dtlsRole: "server",
    maxMessageSize: 1 << 20,
    sctp: { random: new SeededRandom(4) },
  });
  a.setRemoteMaxMessageSize(1 << 20);
  let now = 0;
  let got = 0;
  let gotBytes = 0;
  const pumpDc = (): void => {
    for (let p = a.pollTransmit(); p; p = a.pollTransmit()) b.handleDatagram(p, now);
    for (let e = b.pollEvent(); e; e = b.pollEvent()) {
      if (e.type === "message") {
        got++;
        gotBytes += e.data.length;
      }
    }
    for (let p = b.pollTransmit(); p; p = b.pollTransmit()) a.handleDatagram(p, now);
    while (a.pollEvent());
  };
  a.connect(now);
  b.connect(now);
  const ch = a.createChannel("bench");
  for (let i = 0; i < 20; i++) pumpDc();
  const msg = new Uint8Array(size).fill(1);
  const count = Math.floor(total / size);
  let sent = 0;
  const c0 = process.cpuUsage();
  while (got < count) {
    while (sent < count && a.bufferedAmount(ch) < 4 * 1024 * 1024) {
      a.send(ch, msg, now);
      sent++;
    }
    pumpDc();
    now += 0.01;
  }
  const c1 = process.cpuUsage(c0);
  const ms = Math.max((c1.user + c1.system) / 1000, 1e-3);
  console.log(
    `${label.padEnd(34)} ${(gotBytes / 1e6 / (ms / 1000)).toFixed(1).padStart(8)} MB/s ${Math.round(got / (ms / 1000))
      .toString()
      .padStart(10)} msg/s`,
  );
}

runChannels("data channel, 64 KiB", 65536, 200e6);
runChannels("data channel, 16 KiB", 16384, 200e6);
runChannels("data channel, 100 B", 100, 20e6);
