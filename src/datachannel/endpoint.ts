// DataChannelEndpoint: WebRTC data channels (RFC 8831) over one SCTP association, as a sans-IO
// PacketCore that owns its SctpAssociation. It implements stream id selection by DTLS role
// (RFC 8832 6: client even, server odd), in-band channel opening with DCEP (RFC 8832 6) and
// negotiated channels, channel types and reliability (RFC 8831 6.1, 6.4), the user message PPIDs
// (RFC 8831 6.6, 8), max-message-size (RFC 8841 6), closing by outgoing stream reset
// (RFC 8831 6.7), and per-channel bufferedAmount with a low-water event. Its types and the
// per-channel record are in channel.ts.
import type { PacketCore } from "../core.js";
import { SctpError } from "../sctp/errors.js";
import { SctpAssociation, type SctpEvent } from "../sctp/index.js";
import {
  Channel,
  type ChannelInfo,
  type ChannelOptions,
  type DataChannelEndpointOptions,
  type DataChannelEvent,
  type DataChannelState,
  type DtlsRole,
} from "./channel.js";
import {
  ACK_MESSAGE,
  DCEP_ACK,
  DCEP_OPEN,
  decodeOpen,
  encodeOpen,
  PPID_BINARY,
  PPID_BINARY_EMPTY,
  PPID_BINARY_PARTIAL,
  PPID_DCEP,
  PPID_STRING,
  PPID_STRING_EMPTY,
  PPID_STRING_PARTIAL,
} from "./dcep.js";

export type {
  ChannelInfo,
  ChannelOptions,
  DataChannelEndpointOptions,
  DataChannelEvent,
  DataChannelState,
  DtlsRole,
} from "./channel.js";

const enc = new TextEncoder();
const EMPTY_PAYLOAD = Uint8Array.of(0);
const MAX_STREAM = 65534;

export class DataChannelEndpoint implements PacketCore<DataChannelEvent> {
  readonly association: SctpAssociation;
  readonly localMaxMessageSize: number;
  private role: DtlsRole | undefined;
  private remoteMax = 65536;
  private nextKey = 1;
  private readonly channels = new Map<number, Channel>();
  private readonly byId = new Map<number, Channel>();
  private readonly events: DataChannelEvent[] = [];
  private eventHead = 0;
  private now = 0;
  /** Inputs dropped at this layer, by reason (the association counts its own in association.stats). */
  readonly dropped: Record<string, number> = {};

  constructor(opts: DataChannelEndpointOptions = {}) {
    this.localMaxMessageSize = opts.maxMessageSize ?? 262144;
    this.association = new SctpAssociation({ ...opts.sctp, maxMessageSize: this.localMaxMessageSize });
    this.association.maxSendMessageSize = this.remoteMax;
    this.role = opts.dtlsRole;
  }

  // ---------------- configuration ----------------

  /** The DTLS role decides the parity of stream ids we pick (RFC 8832 6). */
  setDtlsRole(role: DtlsRole): void {
    if (this.role !== undefined && this.role !== role) throw new SctpError("invalid-state", "DTLS role already set");
    this.role = role;
    for (const c of this.channels.values()) if (c.id === null && c.state !== "closed") this.assignId(c);
  }

  get dtlsRole(): DtlsRole | undefined {
    return this.role;
  }

  /** The peer's a=max-message-size: undefined when absent (64 KiB), 0 for unlimited (RFC 8841 6). */
  setRemoteMaxMessageSize(n: number | undefined): void {
    this.remoteMax = n === undefined ? 65536 : n === 0 ? Number.MAX_SAFE_INTEGER : n;
    this.association.maxSendMessageSize = this.remoteMax;
  }

  /** The largest message send() accepts now. */
  get maxMessageSize(): number {
    return this.remoteMax;
  }

  // ---------------- channels ----------------

  /** Creates a channel and returns its handle. Throws SctpError (code "invalid-id", "id-in-use", ...). */
  createChannel(label: string, opts: ChannelOptions = {}, now = this.now): number {
    this.tick(now);
    if (this.association.state === "closed" && this.wasConnected)
      throw new SctpError("invalid-state", "the SCTP association is closed");
    if (opts.maxRetransmits !== undefined && opts.maxPacketLifeTime !== undefined)
      throw new SctpError("invalid-options", "maxRetransmits and maxPacketLifeTime are exclusive");
    if (enc.encode(label).length > 65535 || enc.encode(opts.protocol ?? "").length > 65535)
      throw new SctpError("invalid-options", "label or protocol longer than 65535 bytes");
    const negotiated = opts.negotiated === true;
    if (negotiated) {
      const id = opts.id;
      if (id === undefined || !Number.isInteger(id) || id < 0 || id > MAX_STREAM)
        throw new SctpError("invalid-id", "a negotiated channel needs an id in 0..65534");
      if (this.byId.has(id)) throw new SctpError("id-in-use", `stream ${id} is in use`);
    }
    const c = new Channel(
      this.nextKey++,
      label,
      opts.protocol ?? "",
      opts.ordered ?? true,
      opts.maxRetransmits,
      opts.maxPacketLifeTime,
      opts.priority ?? 256,
      negotiated,
      true,
    );
    this.channels.set(c.key, c);
    if (negotiated) {
      c.id = opts.id!;
      this.byId.set(c.id, c);
    } else if (this.role !== undefined) this.assignId(c);
    if (this.established) this.start(c);
    return c.key;
  }

  /**
   * Picks the next free id of our parity after the last one given out (wrapping), so that a
   * just-closed id is not reused while the peer may still be finishing its side of the close.
   */
  private assignId(c: Channel): void {
    const limit = Math.min(MAX_STREAM, this.streamLimit() - 1);
    const parity = this.role === "client" ? 0 : 1;
    const count = Math.floor((limit - parity) / 2) + 1;
    let id = this.lastId < 0 || (this.lastId & 1) !== parity ? parity : this.lastId + 2;
    for (let i = 0; i < count; i++, id += 2) {
      if (id > limit) id = parity;
      if (!this.byId.has(id)) {
        c.id = id;
        this.lastId = id;
        this.byId.set(id, c);
        return;
      }
    }
    this.fail(c, "no-stream-id", "no free stream id");
  }

  private lastId = -1;

  private streamLimit(): number {
    const a = this.association;
    return Math.min(a.outboundStreams, a.inboundStreams);
  }

  private get established(): boolean {
    const s = this.association.state;
    return s === "established";
  }

  private wasConnected = false;

  /** Opens a channel on an established association: DCEP for in-band ones. */
  private start(c: Channel): void {
    if (c.state !== "connecting" || c.id === null) return;
    if (c.id >= this.streamLimit()) {
      this.fail(c, "invalid-id", `stream ${c.id} is beyond the negotiated stream count`);
      return;
    }
    if (!c.negotiated && !c.openSent) this.sendOpen(c, c.id);
    c.state = "open";
    this.events.push({ type: "open", channel: c.key, id: c.id });
  }

  private sendOpen(c: Channel, id: number): void {
    const open = encodeOpen(c);
    c.overhead += open.length;
    c.openSent = true;
    this.association.send(id, PPID_DCEP, open, undefined, this.now);
  }

  /**
   * Our INIT was answered: DATA_CHANNEL_OPEN messages are queued now so that they leave in the
   * packet of the COOKIE ECHO (RFC 9260 5.1 D allows DATA there), and the peer's channel opens
   * one round trip sooner. The channels themselves open when the association is established.
   */
  private openEarly(): void {
    if (this.association.state !== "cookie-echoed") return;
    const limit = this.streamLimit();
    for (const c of this.channels.values()) {
      if (c.state === "connecting" && c.id !== null && c.id < limit && !c.negotiated && !c.openSent) {
        this.sendOpen(c, c.id);
      }
    }
  }

  /** Sends a message: a string goes as UTF-8 (PPID 51 / 56), bytes as binary (53 / 57). */
  send(channel: number, data: Uint8Array | string, now = this.now): void {
    this.tick(now);
    const c = this.channels.get(channel);
    if (!c) throw new SctpError("unknown-channel", `no channel ${channel}`);
    if (c.state !== "open" || c.id === null) throw new SctpError("invalid-state", `channel is ${c.state}`);
    const binary = typeof data !== "string";
    const bytes = binary ? data : enc.encode(data);
    if (bytes.length > this.remoteMax)
      throw new SctpError("message-too-large", `message of ${bytes.length} bytes exceeds ${this.remoteMax}`);
    // Before the peer's ACK arrives, messages go ordered so none overtakes the OPEN (RFC 8832 6).
    const opts = c.local && !c.negotiated && !c.acked ? { ...c.sendOptions, unordered: false } : c.sendOptions;
    if (bytes.length === 0) {
      c.overhead += 1;
      this.association.send(c.id, binary ? PPID_BINARY_EMPTY : PPID_STRING_EMPTY, EMPTY_PAYLOAD, opts, this.now);
    } else {
      this.association.send(c.id, binary ? PPID_BINARY : PPID_STRING, bytes, opts, this.now);
      c.buffered += bytes.length;
    }
  }

  /** Closes a channel (RFC 8831 6.7): queued data is sent first, then the outgoing stream is reset. */
  close(channel: number, now = this.now): void {
    this.tick(now);
    const c = this.channels.get(channel);
    if (!c || c.state === "closing" || c.state === "closed") return;
    if (c.state === "connecting" || c.id === null || !this.established) {
      this.finish(c);
      return;
    }
    c.state = "closing";
    this.requestReset(c);
  }

  private requestReset(c: Channel): void {
    if (c.resetRequested || c.id === null) return;
    c.resetRequested = true;
    this.association.resetStreams([c.id], this.now);
  }

  info(channel: number): ChannelInfo | undefined {
    const c = this.channels.get(channel);
    if (!c) return undefined;
    return {
      id: c.id,
      label: c.label,
      protocol: c.protocol,
      ordered: c.ordered,
      maxRetransmits: c.maxRetransmits,
      maxPacketLifeTime: c.maxPacketLifeTime,
      priority: c.priority,
      negotiated: c.negotiated,
      state: c.state,
      bufferedAmount: c.buffered,
      bufferedAmountLowThreshold: c.threshold,
    };
  }

  state(channel: number): DataChannelState | undefined {
    return this.channels.get(channel)?.state;
  }

  bufferedAmount(channel: number): number {
    return this.channels.get(channel)?.buffered ?? 0;
  }

  setBufferedAmountLowThreshold(channel: number, n: number): void {
    const c = this.channels.get(channel);
    if (c) c.threshold = Math.max(0, n);
  }

  /** Counters of this layer and of the SCTP association under it. */
  get stats(): { channels: number; dropped: Record<string, number>; sctp: SctpAssociation["stats"] } {
    return { channels: this.channels.size, dropped: { ...this.dropped }, sctp: this.association.stats };
  }

  /** Handles of channels not yet closed. */
  openChannels(): number[] {
    const out: number[] = [];
    for (const c of this.channels.values()) if (c.state !== "closed") out.push(c.key);
    return out;
  }

  // ---------------- association ----------------

  /** Starts SCTP (both WebRTC peers call this once DTLS is up). */
  connect(now: number): void {
    this.tick(now);
    if (this.role === undefined) throw new SctpError("invalid-state", "set the DTLS role before connect()");
    this.association.connect(this.now);
    this.pump();
  }

  /** Closes the association gracefully (all channels close). */
  shutdown(now: number): void {
    this.tick(now);
    this.association.shutdown(this.now);
    this.pump();
  }

  abort(reason = ""): void {
    this.association.abort(reason);
    this.pump();
  }

  handleDatagram(data: Uint8Array, now: number): void {
    this.tick(now);
    this.association.handleDatagram(data, this.now);
    this.pump();
    this.openEarly();
  }

  handleTimeout(now: number): void {
    this.tick(now);
    this.association.handleTimeout(this.now);
    this.pump();
  }

  pollTransmit(): Uint8Array | undefined {
    const p = this.association.pollTransmit();
    this.pump();
    return p;
  }

  nextTimeout(): number | undefined {
    return this.association.nextTimeout();
  }

  pollEvent(): DataChannelEvent | undefined {
    this.pump();
    if (this.eventHead === this.events.length) {
      if (this.eventHead) {
        this.events.length = 0;
        this.eventHead = 0;
      }
      return undefined;
    }
    const e = this.events[this.eventHead]!;
    this.events[this.eventHead++] = undefined as unknown as DataChannelEvent;
    return e;
  }

  private tick(now: number): void {
    if (now > this.now) this.now = now;
  }

  /** Moves the association's events into ours (and acts on them) right away. */
  private pump(): void {
    const a = this.association;
    for (let e = a.pollEvent(); e; e = a.pollEvent()) this.onSctp(e);
  }

  private onSctp(e: SctpEvent): void {
    switch (e.type) {
      case "message":
        this.onMessage(e.streamId, e.ppid, e.data);
        return;
      case "sent":
        this.onSent(e.streamId, e.bytes);
        return;
      case "established":
        this.wasConnected = true;
        this.events.push({ type: "connected" });
        for (const c of [...this.channels.values()]) this.start(c);
        return;
      case "stream-reset":
        for (const id of e.streamIds) {
          const c = this.byId.get(id);
          if (!c) continue;
          c.incomingReset = true;
          if (c.state === "open" || c.state === "connecting") {
            c.state = "closing";
            this.events.push({ type: "closing", channel: c.key, id: c.id });
          }
          this.requestReset(c);
          this.maybeClosed(c);
        }
        return;
      case "reset-done":
      case "reset-failed":
        for (const id of e.streamIds) {
          const c = this.byId.get(id);
          if (!c) continue;
          c.outgoingReset = true;
          if (e.type === "reset-failed") c.incomingReset = true;
          this.maybeClosed(c);
        }
        return;
      case "closed":
        for (const c of [...this.channels.values()]) if (c.state !== "closed") this.finish(c);
        {
          const d: DataChannelEvent = { type: "disconnected", reason: e.reason };
          if (e.cause) d.cause = e.cause;
          if (e.causeCode !== undefined) d.causeCode = e.causeCode;
          this.events.push(d);
        }
        return;
    }
  }

  private onSent(id: number, bytes: number): void {
    const c = this.byId.get(id);
    if (!c) return;
    const fromOverhead = Math.min(c.overhead, bytes);
    c.overhead -= fromOverhead;
    bytes -= fromOverhead;
    if (bytes === 0) return;
    const before = c.buffered;
    c.buffered = Math.max(0, before - bytes);
    if (before > c.threshold && c.buffered <= c.threshold && c.id !== null)
      this.events.push({ type: "buffered-amount-low", channel: c.key, id: c.id });
  }

  private drop(reason: string): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
  }

  private onMessage(id: number, ppid: number, data: Uint8Array): void {
    if (ppid === PPID_DCEP) {
      this.onDcep(id, data);
      return;
    }
    const c = this.byId.get(id);
    if (!c || c.state === "closed" || c.state === "connecting") {
      this.drop("no-channel");
      return;
    }
    // A message on an in-band channel we opened implies the peer has seen the OPEN (RFC 8832 6).
    c.acked = true;
    switch (ppid) {
      case PPID_STRING:
      case PPID_BINARY:
        if (c.partial) data = this.joinPartial(c, data);
        this.events.push({ type: "message", channel: c.key, id, data, binary: ppid === PPID_BINARY });
        return;
      case PPID_STRING_EMPTY:
      case PPID_BINARY_EMPTY:
        this.events.push({
          type: "message",
          channel: c.key,
          id,
          data: data.subarray(0, 0),
          binary: ppid === PPID_BINARY_EMPTY,
        });
        return;
      case PPID_STRING_PARTIAL:
      case PPID_BINARY_PARTIAL:
        // Deprecated partial messages: kept until the final part (PPID 51 / 53), within the size limit.
        if (c.partialBytes + data.length > this.localMaxMessageSize) {
          this.drop("partial-too-large");
          c.partial = undefined;
          c.partialBytes = 0;
          return;
        }
        if (!c.partial) c.partial = [];
        c.partial.push(Uint8Array.from(data));
        c.partialBytes += data.length;
        return;
      default:
        this.drop("unknown-ppid");
        return;
    }
  }

  private joinPartial(c: Channel, last: Uint8Array): Uint8Array {
    const parts = c.partial!;
    const out = new Uint8Array(c.partialBytes + last.length);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    out.set(last, o);
    c.partial = undefined;
    c.partialBytes = 0;
    return out;
  }

  private onDcep(id: number, data: Uint8Array): void {
    if (data.length === 0) return;
    if (data[0] === DCEP_ACK) {
      const c = this.byId.get(id);
      if (c) c.acked = true;
      return;
    }
    if (data[0] !== DCEP_OPEN) {
      this.drop("dcep-unknown");
      return;
    }
    const o = decodeOpen(data);
    if (!o) {
      this.drop("dcep-malformed");
      return;
    }
    if (this.byId.has(id)) {
      // A stream already in use (a collision or a misbehaving peer): ignore the OPEN.
      this.drop("dcep-stream-in-use");
      return;
    }
    const c = new Channel(
      this.nextKey++,
      o.label,
      o.protocol,
      o.ordered,
      o.maxRetransmits,
      o.maxPacketLifeTime,
      o.priority,
      false,
      false,
    );
    c.id = id;
    c.state = "open";
    c.acked = true;
    this.channels.set(c.key, c);
    this.byId.set(id, c);
    c.overhead += ACK_MESSAGE.length;
    this.association.send(id, PPID_DCEP, ACK_MESSAGE, undefined, this.now);
    this.events.push({
      type: "channel-open-request",
      channel: c.key,
      id,
      label: o.label,
      protocol: o.protocol,
      ordered: o.ordered,
      maxRetransmits: o.maxRetransmits,
      maxPacketLifeTime: o.maxPacketLifeTime,
      priority: o.priority,
      negotiated: false,
    });
    this.events.push({ type: "open", channel: c.key, id });
  }

  private maybeClosed(c: Channel): void {
    if (c.outgoingReset && c.incomingReset && c.state !== "closed") this.finish(c);
  }

  private finish(c: Channel): void {
    c.state = "closed";
    c.buffered = 0;
    c.overhead = 0;
    c.partial = undefined;
    if (c.id !== null && this.byId.get(c.id) === c) this.byId.delete(c.id);
    this.channels.delete(c.key);
    this.events.push({ type: "closed", channel: c.key, id: c.id });
  }

  private fail(c: Channel, code: string, message: string): void {
    this.events.push({ type: "error", channel: c.key, id: c.id, code, message });
    this.finish(c);
  }
}
