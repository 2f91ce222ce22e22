// The demo's Node peer: one standard RTCPeerConnection per browser, answering its offer through
// the signaling server. Channels opened by the browser:
//   "control"      JSON both ways: chat (the bot answers), stats (our getStats() on request)
//   "upload"       first a JSON header {name, size}, then binary chunks; we hash as we go, ack
//                  progress every 256 KiB and finish with {type:"done", sha256, bytes, ms}
//   "download"     the browser sends {size}; we send random bytes with flow control
//                  (bufferedAmountLowThreshold) and finish with {type:"done", sha256, bytes}
// Media (demo/media.ts): the browser's camera and microphone are echoed back on their own
// transceivers; {type:"record", action:"start"|"stop"} on "control" records them to one WebM file
// and answers {type:"recording", state:"started"|"stopped"|"error", ...}.
// Uses the W3C API (imported from the package root) and petrel/nonstandard for recording.
import { createHash, randomBytes } from "node:crypto";
import type { EventEmitter } from "node:events";
import { RTCPeerConnection } from "../src/index.js";
import type { LocalPeer, SignalingMessage } from "../src/signaling/index.js";
import { BotMedia, type RecordingInfo } from "./media.js";

type Channel = ReturnType<RTCPeerConnection["createDataChannel"]>;

const MAX_DOWNLOAD = 64 * 1024 * 1024;
const CHUNK = 16 * 1024;
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;
const PROGRESS_EVERY = 256 * 1024;

export interface BotEvents {
  /** ("upload", { name, size, sha256, ms }) when a file has been received completely. */
  upload: { name: string; size: number; sha256: string; ms: number };
  /** ("chat", { text }) for every chat message from the browser. */
  chat: { text: string };
  /** ("state", { state }) on connection state changes. */
  state: { state: string };
  /** ("recording", RecordingInfo) when a recording has been finalised. */
  recording: RecordingInfo;
}

export class DemoBot {
  readonly pc: RTCPeerConnection;
  private signal: LocalPeer | undefined;
  private readonly remoteId: string;
  private readonly events: EventEmitter;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly onClose: (() => void) | undefined;

  readonly media: BotMedia;
  private controlChannel: Channel | undefined;

  constructor(remoteId: string, events: EventEmitter, recordingsDir: string, onClose?: () => void) {
    this.remoteId = remoteId;
    this.events = events;
    this.onClose = onClose;
    this.pc = new RTCPeerConnection();
    this.media = new BotMedia(this.pc, recordingsDir);
    this.media.onAutoStop = (info, error) => this.recordingStopped(info, error);
    this.pc.onicecandidate = (e) => {
      this.send({ type: "candidate", candidate: e.candidate ? e.candidate.toJSON() : null });
    };
    this.pc.onconnectionstatechange = () => {
      this.events.emit("state", { state: this.pc.connectionState });
      if (this.pc.connectionState === "failed") this.close();
    };
    this.pc.ondatachannel = (e) => this.adopt(e.channel as Channel);
  }

  /** Connects the bot to its signaling handle (set right after joining the room). */
  attach(signal: LocalPeer): void {
    this.signal = signal;
  }

  /** A message relayed by the signaling server. Handled one at a time, in order. */
  receive(msg: SignalingMessage): void {
    if (msg.type === "peer-left" && msg.id === this.remoteId) {
      this.close();
      return;
    }
    if (msg.from !== this.remoteId) return;
    this.queue = this.queue.then(() => this.process(msg)).catch((err) => this.fail(err));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.media.close();
    this.pc.close();
    this.signal?.leave();
    this.onClose?.();
  }

  private async process(msg: SignalingMessage): Promise<void> {
    if (this.closed) return;
    if (msg.type === "offer" && typeof msg.sdp === "string") {
      await this.pc.setRemoteDescription({ type: "offer", sdp: msg.sdp });
      this.media.echoRemoteTracks();
      await this.pc.setLocalDescription(await this.pc.createAnswer());
      this.send({ type: "answer", sdp: this.pc.localDescription?.sdp ?? "" });
    } else if (msg.type === "candidate") {
      const c = msg.candidate as RTCIceCandidateInit | null | undefined;
      // Browsers send a null or empty candidate at the end of gathering.
      await this.pc.addIceCandidate(c?.candidate ? c : undefined);
    } else if (msg.type === "bye") {
      this.close();
    }
  }

  private fail(err: unknown): void {
    this.send({ type: "message", error: `Node peer: ${err instanceof Error ? err.message : String(err)}` });
  }

  private send(msg: SignalingMessage): void {
    if (!this.closed) this.signal?.send({ ...msg, to: this.remoteId });
  }

  private adopt(ch: Channel): void {
    ch.binaryType = "arraybuffer";
    if (ch.label === "control") this.control(ch);
    else if (ch.label === "upload") this.upload(ch);
    else if (ch.label === "download") this.download(ch);
  }

  private control(ch: Channel): void {
    this.controlChannel = ch;
    ch.onmessage = async (e) => {
      if (typeof e.data !== "string") return;
      let msg: { type?: string; text?: unknown; action?: unknown };
      try {
        msg = JSON.parse(e.data);
      } catch {
        return;
      }
      if (msg.type === "chat" && typeof msg.text === "string") {
        const text = msg.text.slice(0, 2000);
        this.events.emit("chat", { text });
        ch.send(JSON.stringify({ type: "chat", from: "petrel", text: await this.reply(text) }));
      } else if (msg.type === "stats") {
        const report = await this.pc.getStats();
        ch.send(JSON.stringify({ type: "stats", report: [...report.values()] }));
      } else if (msg.type === "record") {
        await this.record(ch, msg.action);
      }
    };
  }

  private async record(ch: Channel, action: unknown): Promise<void> {
    if (action === "start") {
      try {
        const name = this.media.startRecording();
        ch.send(JSON.stringify({ type: "recording", state: "started", name }));
      } catch (err) {
        ch.send(JSON.stringify({ type: "recording", state: "error", error: (err as Error).message }));
      }
    } else if (action === "stop") {
      try {
        this.recordingStopped(await this.media.stopRecording());
      } catch (err) {
        this.recordingStopped(undefined, (err as Error).message);
      }
    }
  }

  private recordingStopped(info: RecordingInfo | undefined, error?: string): void {
    const ch = this.controlChannel;
    if (info) this.events.emit("recording", info);
    if (ch?.readyState !== "open") return;
    if (!info) {
      ch.send(JSON.stringify({ type: "recording", state: "error", error: error ?? "recording failed" }));
      return;
    }
    const { path: _path, ...shown } = info;
    ch.send(
      JSON.stringify({
        type: "recording",
        state: "stopped",
        ...shown,
        url: `recordings/${encodeURIComponent(info.name)}`,
      }),
    );
  }

  private async reply(text: string): Promise<string> {
    const t = text.trim().toLowerCase();
    if (t === "/help") return "Commands: /time, /stats, /help. Anything else is echoed back.";
    if (t === "/time") return `Node's clock says ${new Date().toISOString()}.`;
    if (t === "/stats") {
      const report = await this.pc.getStats();
      let sent = 0;
      let received = 0;
      for (const s of report.values() as Iterable<Record<string, unknown>>) {
        if (s.type === "transport") {
          sent += Number(s.bytesSent ?? 0);
          received += Number(s.bytesReceived ?? 0);
        }
      }
      return `This connection: ${received} bytes in, ${sent} bytes out (Node side).`;
    }
    return `Petrel (Node ${process.version}) got your ${Buffer.byteLength(text)}-byte message: "${text}"`;
  }

  private upload(ch: Channel): void {
    let header: { name: string; size: number } | undefined;
    const hash = createHash("sha256");
    let received = 0;
    let nextAck = PROGRESS_EVERY;
    let started = 0;
    ch.onmessage = (e) => {
      if (!header) {
        if (typeof e.data !== "string") return ch.close();
        try {
          const h = JSON.parse(e.data) as { name?: unknown; size?: unknown };
          header = { name: String(h.name ?? "file").slice(0, 256), size: Number(h.size) };
        } catch {
          return ch.close();
        }
        if (!Number.isSafeInteger(header.size) || header.size < 0) return ch.close();
        started = Date.now();
        if (header.size === 0) this.finishUpload(ch, header, hash, 0, started);
        return;
      }
      if (typeof e.data === "string") return;
      const bytes = new Uint8Array(e.data as ArrayBuffer);
      hash.update(bytes);
      received += bytes.byteLength;
      if (received >= nextAck && received < header.size) {
        ch.send(JSON.stringify({ type: "progress", bytes: received }));
        nextAck = received + PROGRESS_EVERY;
      }
      if (received >= header.size) this.finishUpload(ch, header, hash, received, started);
    };
  }

  private finishUpload(
    ch: Channel,
    header: { name: string; size: number },
    hash: ReturnType<typeof createHash>,
    bytes: number,
    started: number,
  ): void {
    const sha256 = hash.digest("hex");
    const ms = Date.now() - started;
    ch.send(JSON.stringify({ type: "done", sha256, bytes, ms }));
    this.events.emit("upload", { name: header.name, size: bytes, sha256, ms });
  }

  private download(ch: Channel): void {
    ch.onmessage = (e) => {
      if (typeof e.data !== "string") return;
      let size: number;
      try {
        size = Math.floor(Number((JSON.parse(e.data) as { size?: unknown }).size));
      } catch {
        return;
      }
      if (!Number.isFinite(size) || size < 0) return;
      size = Math.min(size, MAX_DOWNLOAD);
      const hash = createHash("sha256");
      let sent = 0;
      ch.bufferedAmountLowThreshold = LOW_WATER;
      const pump = (): void => {
        while (sent < size && ch.readyState === "open" && ch.bufferedAmount < HIGH_WATER) {
          const chunk = randomBytes(Math.min(CHUNK, size - sent));
          hash.update(chunk);
          ch.send(chunk);
          sent += chunk.byteLength;
        }
        if (sent >= size && ch.readyState === "open") {
          ch.onbufferedamountlow = null;
          ch.send(JSON.stringify({ type: "done", sha256: hash.digest("hex"), bytes: sent }));
        }
      };
      ch.onbufferedamountlow = pump;
      pump();
    };
  }
}
