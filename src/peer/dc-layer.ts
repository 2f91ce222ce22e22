// The data channel layer the Peer drives: DCEP (RFC 8832: DATA_CHANNEL_OPEN / ACK, channel types,
// priorities) and data channel semantics (RFC 8831: stream ids by DTLS role, PPIDs 51/53/56/57,
// ordered-until-ACK, closing by outgoing stream reset 6.7) over src/sctp's SctpAssociation.
import { readU16, readU32, writeU16, writeU32 } from "../bytes/index.js";
import type { Random } from "../random.js";
import { SctpAssociation } from "../sctp/index.js";
import { PeerError } from "./errors.js";
import type { ChannelConfig } from "./events.js";
import type { DcLayer, DcLayerEvent } from "./layers.js";

const PPID_DCEP = 50;
const PPID_STRING = 51;
const PPID_BINARY_PARTIAL = 52;
const PPID_BINARY = 53;
const PPID_STRING_PARTIAL = 54;
const PPID_STRING_EMPTY = 56;
const PPID_BINARY_EMPTY = 57;
const DCEP_OPEN = 0x03;
const DCEP_ACK = 0x02;
const EMPTY = new Uint8Array(1);
const PRIORITY: Record<ChannelConfig["priority"], number> = { "very-low": 128, low: 256, medium: 512, high: 1024 };

interface Channel {
  key: number;
  config: ChannelConfig;
  /** DCEP: the OPEN went out and no ACK (or data) came back yet: send ordered (RFC 8832 6). */
  awaitingAck: boolean;
  opened: boolean;
  closing: boolean;
  outReset: boolean;
  inReset: boolean;
  threshold: number;
  lastBuffered: number;
}

export interface DataChannelLayerOptions {
  random: Random;
  /** What we accept (our a=max-message-size). Default 262144. */
  maxMessageSize?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

class DcepLayer implements DcLayer {
  readonly sctp: SctpAssociation;
  maxMessageSize: number;
  private role: "client" | "server" | undefined;
  private established = false;
  private readonly channels = new Map<number, Channel>();
  private readonly byStream = new Map<number, Channel>();
  private nextKey = 1;
  private readonly events: DcLayerEvent[] = [];
  private eventHead = 0;
  readonly dropped: Record<string, number> = {};

  constructor(o: DataChannelLayerOptions) {
    this.sctp = new SctpAssociation({ random: o.random, maxMessageSize: o.maxMessageSize ?? 262144 });
    this.maxMessageSize = 65536;
  }

  setDtlsRole(role: "client" | "server"): void {
    this.role ??= role;
  }

  connect(now: number): void {
    this.sctp.connect(now);
  }

  setRemoteMaxMessageSize(bytes: number): void {
    this.maxMessageSize = bytes;
  }

  createChannel(config: ChannelConfig, now: number): number {
    if (config.id !== null && this.byStream.has(config.id)) {
      throw new PeerError("ERR_ID_IN_USE", `data channel id ${config.id} is in use`);
    }
    const ch: Channel = {
      key: this.nextKey++,
      config: { ...config },
      awaitingAck: false,
      opened: false,
      closing: false,
      outReset: false,
      inReset: false,
      threshold: 0,
      lastBuffered: 0,
    };
    this.channels.set(ch.key, ch);
    if (ch.config.id !== null) this.byStream.set(ch.config.id, ch);
    else this.assignId(ch);
    if (this.established) this.openLocal(ch, now);
    return ch.key;
  }

  channelId(key: number): number | null {
    return this.channels.get(key)?.config.id ?? null;
  }

  private assignId(ch: Channel): void {
    if (ch.config.id !== null || this.role === undefined) return;
    const limit = this.established ? this.sctp.outboundStreams : 65535;
    for (let id = this.role === "client" ? 0 : 1; id < limit; id += 2) {
      if (!this.byStream.has(id)) {
        ch.config.id = id;
        this.byStream.set(id, ch);
        return;
      }
    }
  }

  private openLocal(ch: Channel, now: number): void {
    this.assignId(ch);
    const id = ch.config.id;
    if (id === null) {
      this.closeLocal(ch, "no stream id available");
      return;
    }
    if (!ch.config.negotiated) {
      this.sctp.send(id, PPID_DCEP, encodeOpen(ch.config), undefined, now);
      ch.awaitingAck = true;
    }
    ch.opened = true;
    this.events.push({ type: "open", channel: ch.key, id });
  }

  private closeLocal(ch: Channel, error: string | undefined): void {
    this.channels.delete(ch.key);
    if (ch.config.id !== null && this.byStream.get(ch.config.id) === ch) this.byStream.delete(ch.config.id);
    this.events.push(
      error === undefined ? { type: "closed", channel: ch.key } : { type: "closed", channel: ch.key, error },
    );
  }

  send(key: number, data: Uint8Array, binary: boolean, now: number): void {
    const ch = this.channels.get(key);
    if (!ch?.opened || ch.closing || ch.config.id === null) {
      throw new PeerError("ERR_NOT_OPEN", "the data channel is not open");
    }
    let ppid: number;
    let payload = data;
    if (data.length === 0) {
      ppid = binary ? PPID_BINARY_EMPTY : PPID_STRING_EMPTY;
      payload = EMPTY;
    } else ppid = binary ? PPID_BINARY : PPID_STRING;
    const c = ch.config;
    this.sctp.send(
      c.id!,
      ppid,
      payload,
      {
        unordered: !c.ordered && !ch.awaitingAck,
        ...(c.maxRetransmits !== null ? { maxRetransmits: c.maxRetransmits } : {}),
        ...(c.maxPacketLifeTime !== null ? { maxLifetime: c.maxPacketLifeTime } : {}),
      },
      now,
    );
    ch.lastBuffered = this.sctp.bufferedAmount(c.id!);
  }

  closeChannel(key: number, now: number): void {
    const ch = this.channels.get(key);
    if (!ch || ch.closing) return;
    ch.closing = true;
    const id = ch.config.id;
    if (id === null || !this.established || !ch.opened) {
      this.closeLocal(ch, undefined);
      return;
    }
    this.sctp.resetStreams([id], now);
  }

  bufferedAmount(key: number): number {
    const ch = this.channels.get(key);
    return ch && ch.config.id !== null ? this.sctp.bufferedAmount(ch.config.id) : 0;
  }

  setBufferedAmountLowThreshold(key: number, bytes: number): void {
    const ch = this.channels.get(key);
    if (ch) ch.threshold = bytes;
  }

  shutdown(now: number): void {
    this.sctp.shutdown(now);
  }

  abort(reason: string): void {
    this.sctp.abort(reason);
  }

  handleDatagram(data: Uint8Array, now: number): void {
    this.sctp.handleDatagram(data, now);
    this.process(now);
  }

  handleTimeout(now: number): void {
    this.sctp.handleTimeout(now);
    this.process(now);
  }

  pollTransmit(): Uint8Array | undefined {
    return this.sctp.pollTransmit();
  }

  pollEvent(): DcLayerEvent | undefined {
    if (this.eventHead >= this.events.length) {
      // Events raised by API calls (send, close) come from the association too.
      this.process(this.sctpNow());
      if (this.eventHead >= this.events.length) {
        this.events.length = 0;
        this.eventHead = 0;
        return undefined;
      }
    }
    return this.events[this.eventHead++];
  }

  private sctpNow(): number {
    return this.sctp.currentNow;
  }

  nextTimeout(): number | undefined {
    return this.sctp.nextTimeout();
  }

  get maxChannels(): number {
    return Math.min(this.sctp.outboundStreams, this.sctp.inboundStreams);
  }

  stats(): Record<string, unknown> {
    return { ...this.sctp.stats, dcepDropped: { ...this.dropped } };
  }

  private drop(reason: string): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
  }

  /** Turns association events into channel events. */
  private process(now: number): void {
    for (let ev = this.sctp.pollEvent(); ev; ev = this.sctp.pollEvent()) {
      switch (ev.type) {
        case "established":
          this.established = true;
          this.events.push({ type: "established", maxMessageSize: this.maxMessageSize, maxChannels: this.maxChannels });
          for (const ch of [...this.channels.values()]) {
            if (ch.closing) this.closeLocal(ch, undefined);
            else if (!ch.opened) this.openLocal(ch, now);
          }
          break;
        case "message":
          this.onMessage(ev.streamId, ev.ppid, ev.data, now);
          break;
        case "sent": {
          const ch = this.byStream.get(ev.streamId);
          if (!ch) break;
          const amount = this.sctp.bufferedAmount(ev.streamId);
          if (ch.lastBuffered > ch.threshold && amount <= ch.threshold) {
            this.events.push({ type: "buffered-amount-low", channel: ch.key });
          }
          ch.lastBuffered = amount;
          break;
        }
        case "stream-reset":
          for (const id of ev.streamIds) {
            const ch = this.byStream.get(id);
            if (!ch) continue;
            ch.inReset = true;
            if (!ch.closing) {
              ch.closing = true;
              this.events.push({ type: "closing", channel: ch.key });
              try {
                this.sctp.resetStreams([id], now);
              } catch {
                ch.outReset = true;
              }
            }
            if (ch.outReset) this.closeLocal(ch, undefined);
          }
          break;
        case "reset-done":
        case "reset-failed":
          for (const id of ev.streamIds) {
            const ch = this.byStream.get(id);
            if (!ch) continue;
            ch.outReset = true;
            if (ch.inReset) this.closeLocal(ch, undefined);
          }
          break;
        case "closed": {
          const reason = ev.reason === "shutdown" ? "sctp-shutdown" : `sctp-${ev.reason}`;
          this.events.push({ type: "association-closed", reason });
          this.channels.clear();
          this.byStream.clear();
          break;
        }
      }
    }
  }

  private onMessage(streamId: number, ppid: number, data: Uint8Array, now: number): void {
    if (ppid === PPID_DCEP) {
      this.onDcep(streamId, data, now);
      return;
    }
    const ch = this.byStream.get(streamId);
    if (!ch?.opened) {
      this.drop("no-channel");
      return;
    }
    // Data from the peer implies it has our OPEN (RFC 8832 6: treat as an ACK).
    ch.awaitingAck = false;
    switch (ppid) {
      case PPID_STRING:
        this.events.push({ type: "message", channel: ch.key, data, binary: false });
        break;
      case PPID_BINARY:
        this.events.push({ type: "message", channel: ch.key, data, binary: true });
        break;
      case PPID_STRING_EMPTY:
        this.events.push({ type: "message", channel: ch.key, data: data.subarray(0, 0), binary: false });
        break;
      case PPID_BINARY_EMPTY:
        this.events.push({ type: "message", channel: ch.key, data: data.subarray(0, 0), binary: true });
        break;
      case PPID_BINARY_PARTIAL:
      case PPID_STRING_PARTIAL:
        this.drop("deprecated-partial-ppid");
        break;
      default:
        this.drop("unknown-ppid");
    }
  }

  private onDcep(streamId: number, data: Uint8Array, now: number): void {
    if (data.length < 1) {
      this.drop("dcep-short");
      return;
    }
    if (data[0] === DCEP_ACK) {
      const ch = this.byStream.get(streamId);
      if (ch) ch.awaitingAck = false;
      return;
    }
    if (data[0] !== DCEP_OPEN) {
      this.drop("dcep-unknown");
      return;
    }
    const config = decodeOpen(data, streamId);
    if (!config) {
      this.drop("dcep-malformed");
      return;
    }
    const existing = this.byStream.get(streamId);
    if (existing) {
      this.drop("dcep-open-in-use");
      return;
    }
    // The peer must use the other parity (RFC 8832 6); accept anyway if it is free, as browsers do.
    const ch: Channel = {
      key: this.nextKey++,
      config,
      awaitingAck: false,
      opened: true,
      closing: false,
      outReset: false,
      inReset: false,
      threshold: 0,
      lastBuffered: 0,
    };
    this.channels.set(ch.key, ch);
    this.byStream.set(streamId, ch);
    this.sctp.send(streamId, PPID_DCEP, Uint8Array.of(DCEP_ACK), undefined, now);
    this.events.push({ type: "remote-channel", channel: ch.key, config: { ...config } });
  }
}

/** RFC 8832 5.1 DATA_CHANNEL_OPEN. */
function encodeOpen(c: ChannelConfig): Uint8Array {
  const label = encoder.encode(c.label);
  const protocol = encoder.encode(c.protocol);
  const out = new Uint8Array(12 + label.length + protocol.length);
  out[0] = DCEP_OPEN;
  let type = 0x00;
  let param = 0;
  if (c.maxRetransmits !== null) {
    type = 0x01;
    param = c.maxRetransmits;
  } else if (c.maxPacketLifeTime !== null) {
    type = 0x02;
    param = c.maxPacketLifeTime;
  }
  if (!c.ordered) type |= 0x80;
  out[1] = type;
  writeU16(out, 2, PRIORITY[c.priority]);
  writeU32(out, 4, param);
  writeU16(out, 8, label.length);
  writeU16(out, 10, protocol.length);
  out.set(label, 12);
  out.set(protocol, 12 + label.length);
  return out;
}

function decodeOpen(d: Uint8Array, streamId: number): ChannelConfig | undefined {
  if (d.length < 12) return undefined;
  const type = d[1]!;
  const prio = readU16(d, 2);
  const param = readU32(d, 4);
  const labelLen = readU16(d, 8);
  const protoLen = readU16(d, 10);
  if (12 + labelLen + protoLen > d.length) return undefined;
  const kind = type & 0x7f;
  if (kind > 2) return undefined;
  const priority: ChannelConfig["priority"] =
    prio <= 128 ? "very-low" : prio <= 256 ? "low" : prio <= 512 ? "medium" : "high";
  return {
    label: decoder.decode(d.subarray(12, 12 + labelLen)),
    protocol: decoder.decode(d.subarray(12 + labelLen, 12 + labelLen + protoLen)),
    ordered: (type & 0x80) === 0,
    maxRetransmits: kind === 1 ? Math.min(param, 65535) : null,
    maxPacketLifeTime: kind === 2 ? Math.min(param, 65535) : null,
    negotiated: false,
    id: streamId,
    priority,
  };
}

export function createDataChannelLayer(o: DataChannelLayerOptions): DcLayer {
  return new DcepLayer(o);
}
