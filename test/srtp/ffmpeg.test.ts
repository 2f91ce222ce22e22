// Interop with an independent SRTP implementation: FFmpeg's (libavformat/srtp.c, not libsrtp).
// ffmpeg -> Petrel: ffmpeg sends one second of PCMU over srtp:// (RTP plus an SRTCP sender
// report); every packet must authenticate and decrypt. Petrel -> ffmpeg: Petrel protects PCMU
// packets across the sequence number wrap and ffmpeg, reading an SDP with a=crypto, must output
// exactly their payloads. AES_CM_128_HMAC_SHA1_80 and _32 (ffmpeg's DTLS-SRTP name for _32 keeps
// the 80-bit SRTCP tag of RFC 5764 4.1.2; its SDES name uses 32 bits for SRTCP too).
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import dgram from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { SeededRandom } from "../../src/random.js";
import { parseRtcp, parseRtp, serializeRtp } from "../../src/rtp/index.js";
import { type SrtpProfile, SrtpSession } from "../../src/srtp/index.js";
import { requireTool } from "../interop/tools.js";

const CASES: { profile: SrtpProfile; outSuite: string; sdpSuite: string }[] = [
  { profile: "AES_CM_128_HMAC_SHA1_80", outSuite: "AES_CM_128_HMAC_SHA1_80", sdpSuite: "AES_CM_128_HMAC_SHA1_80" },
  { profile: "AES_CM_128_HMAC_SHA1_32", outSuite: "SRTP_AES128_CM_HMAC_SHA1_32", sdpSuite: "AES_CM_128_HMAC_SHA1_32" },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether some process has bound UDP `port` on 127.0.0.1 (our own bind attempt fails). */
function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket("udp4");
    s.once("error", () => resolve(true));
    s.bind(port, "127.0.0.1", () => s.close(() => resolve(false)));
  });
}

async function bind(port: number): Promise<dgram.Socket | undefined> {
  const s = dgram.createSocket("udp4");
  try {
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.bind(port, "127.0.0.1", () => resolve());
    });
    return s;
  } catch {
    s.close();
    return undefined;
  }
}

/** Two sockets on consecutive ports (RTP on an even port, RTCP on the next). */
async function bindPair(): Promise<[dgram.Socket, dgram.Socket]> {
  for (let i = 0; i < 20; i++) {
    const a = await bind(0);
    if (!a) continue;
    const port = a.address().port;
    if (port % 2 === 0) {
      const b = await bind(port + 1);
      if (b) return [a, b];
    }
    a.close();
  }
  throw new Error("no free pair of UDP ports");
}

function exited(p: ChildProcess): Promise<void> {
  return new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once("exit", () => r())));
}

for (const c of CASES) {
  test(`ffmpeg -> Petrel: ${c.outSuite} RTP and SRTCP decrypt`, async (t) => {
    const ffmpeg = requireTool(t, "ffmpeg", ["ffmpeg"]);
    if (!ffmpeg) return;
    const r = new SeededRandom(1);
    const key = Buffer.from(r.bytes(16));
    const salt = Buffer.from(r.bytes(14));
    const rx = new SrtpSession({ profile: c.profile, masterKey: key, masterSalt: salt });
    const [rtpSock, rtcpSock] = await bindPair();
    let rtp = 0;
    let rtcp = 0;
    const failures: string[] = [];
    rtpSock.on("message", (m) => {
      const res = rx.unprotectRtp(m);
      if (res.ok && parseRtp(res.packet)?.payloadType === 0) rtp++;
      else failures.push(res.ok ? "not PCMU" : `rtp ${res.reason}`);
    });
    rtcpSock.on("message", (m) => {
      const res = rx.unprotectRtcp(m);
      if (res.ok && parseRtcp(res.packet)?.[0]?.type === "sr") rtcp++;
      else failures.push(res.ok ? "not an SR" : `rtcp ${res.reason}`);
    });
    const args = ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1"];
    args.push("-c:a", "pcm_mulaw", "-ar", "8000", "-f", "rtp", "-srtp_out_suite", c.outSuite);
    args.push("-srtp_out_params", Buffer.concat([key, salt]).toString("base64"));
    args.push(`srtp://127.0.0.1:${rtpSock.address().port}`);
    const ff = spawn(ffmpeg, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    ff.stderr!.on("data", (d) => (stderr += d));
    try {
      await exited(ff);
      for (let i = 0; i < 50 && rtp < 40; i++) await sleep(20);
    } finally {
      ff.kill();
      rtpSock.close();
      rtcpSock.close();
    }
    assert.equal(ff.exitCode, 0, stderr);
    assert.deepEqual(failures, []);
    assert.ok(rtp >= 40, `RTP packets decrypted: ${rtp}`);
    assert.ok(rtcp >= 1, `SRTCP packets decrypted: ${rtcp}`);
  });

  test(`Petrel -> ffmpeg: ${c.sdpSuite} across the sequence wrap`, async (t) => {
    const ffmpeg = requireTool(t, "ffmpeg", ["ffmpeg"]);
    if (!ffmpeg) return;
    const r = new SeededRandom(2);
    const key = Buffer.from(r.bytes(16));
    const salt = Buffer.from(r.bytes(14));
    const tx = new SrtpSession({ profile: c.profile, masterKey: key, masterSalt: salt });
    // A free even port for ffmpeg (it binds it and the next one itself).
    const [a, b] = await bindPair();
    const port = a.address().port;
    a.close();
    b.close();
    const dir = mkdtempSync(join(tmpdir(), "petrel-srtp-"));
    const sdpPath = join(dir, "in.sdp");
    writeFileSync(
      sdpPath,
      "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
        `m=audio ${port} RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n` +
        `a=crypto:1 ${c.sdpSuite} inline:${Buffer.concat([key, salt]).toString("base64")}\r\n`,
    );
    const args = ["-hide_banner", "-loglevel", "error", "-protocol_whitelist", "file,udp,rtp,srtp"];
    args.push("-i", sdpPath, "-c:a", "copy", "-flush_packets", "1", "-f", "mulaw", "-");
    const ff = spawn(ffmpeg, args, { stdio: ["ignore", "pipe", "ignore"] });
    const chunks: Buffer[] = [];
    let received = 0;
    ff.stdout!.on("data", (d: Buffer) => {
      chunks.push(d);
      received += d.length;
    });
    const sock = dgram.createSocket("udp4");
    const sent: number[] = [];
    try {
      // ffmpeg must be listening before the stream crosses the wrap (it would otherwise start
      // with a rollover counter of 0 after it); it can take seconds to start on a loaded machine.
      const until = performance.now() + 20_000;
      while (!(await portTaken(port)) && performance.now() < until) await sleep(20);
      // Send in bursts of 10 until ffmpeg (which takes a moment to start listening) has passed 60
      // packets on, and at least 150 packets so that the sequence number wraps (at the 101st).
      for (let i = 0; i < 1000 && (i < 150 || received < 60 * 160); i++) {
        const fill = (i * 7 + 3) & 0xff;
        const packet = serializeRtp({
          payloadType: 0,
          sequenceNumber: (65436 + i) & 0xffff,
          timestamp: i * 160,
          ssrc: 0x5eed,
          payload: new Uint8Array(160).fill(fill),
        });
        sock.send(tx.protectRtp(packet)!, port, "127.0.0.1");
        sent.push(fill);
        if (i % 10 === 9) await sleep(20);
      }
      await sleep(200);
    } finally {
      sock.close();
      // ffmpeg blocks in its UDP read; its output is flushed per packet, so stop it outright.
      ff.kill("SIGKILL");
      await exited(ff);
      rmSync(dir, { recursive: true, force: true });
    }
    const out = Buffer.concat(chunks);
    assert.ok(out.length >= 60 * 160, `ffmpeg output ${out.length} bytes`);
    assert.equal(out.length % 160, 0);
    // The output is a run of consecutive packets' payloads (ffmpeg may have missed the first ones).
    const firsts: number[] = [];
    for (let o = 0; o < out.length; o += 160) {
      assert.ok(
        out.subarray(o, o + 160).every((x) => x === out[o]),
        "each payload decrypted intact",
      );
      firsts.push(out[o]!);
    }
    const start = sent.indexOf(firsts[0]!);
    assert.ok(start >= 0);
    assert.deepEqual(firsts, sent.slice(start, start + firsts.length));
    assert.ok(start + firsts.length > 101, "ffmpeg decrypted packets from after the wrap");
    assert.ok(tx.sendRoc(0x5eed) >= 1, "the stream crossed the sequence number wrap");
  });
}
