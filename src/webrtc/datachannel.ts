// RTCDataChannel (webrtc-pc section 6.2): a thin handle on a channel of the Peer core. It keeps
// the spec's announced [[ReadyState]] (changed in the task that fires the event, as a browser
// does) and reads bufferedAmount from the core. send() applies the spec's checks
// (InvalidStateError when not open, TypeError above the SCTP transport's maxMessageSize).
import type { ChannelConfig, ChannelState } from "../peer/events.js";
import { domError, RTCError, toWebError } from "./errors.js";
import { defineEventHandlers, MessageEventCtor, RTCErrorEvent } from "./events.js";

export type RTCDataChannelState = ChannelState;
export type BinaryType = "blob" | "arraybuffer";

export interface RTCDataChannelInit {
  ordered?: boolean;
  maxPacketLifeTime?: number;
  maxRetransmits?: number;
  protocol?: string;
  negotiated?: boolean;
  id?: number;
  priority?: "very-low" | "low" | "medium" | "high";
}

/** What a channel handle needs from its connection. */
export interface ChannelHost {
  /** A string goes as a text message, bytes as a binary one. */
  channelSend(handle: number, data: Uint8Array | string): void;
  channelClose(handle: number): void;
  channelBufferedAmount(handle: number): number;
  channelSetThreshold(handle: number, bytes: number): void;
  maxMessageSize(): number;
}

const decoder = new TextDecoder();
const token = Symbol("RTCDataChannel");

export class RTCDataChannel extends EventTarget {
  declare onopen: ((this: RTCDataChannel, ev: Event) => unknown) | null;
  declare onbufferedamountlow: ((this: RTCDataChannel, ev: Event) => unknown) | null;
  declare onerror: ((this: RTCDataChannel, ev: RTCErrorEvent) => unknown) | null;
  declare onclosing: ((this: RTCDataChannel, ev: Event) => unknown) | null;
  declare onclose: ((this: RTCDataChannel, ev: Event) => unknown) | null;
  declare onmessage: ((this: RTCDataChannel, ev: MessageEvent) => unknown) | null;
  readonly label: string;
  readonly ordered: boolean;
  readonly maxPacketLifeTime: number | null;
  readonly maxRetransmits: number | null;
  readonly protocol: string;
  readonly negotiated: boolean;
  readonly priority: ChannelConfig["priority"];
  /** @internal */
  readonly handle: number;
  private readonly host: ChannelHost;
  private _id: number | null;
  private _readyState: RTCDataChannelState;
  private _binaryType: BinaryType;
  private _threshold: number;
  /** Sends waiting behind a Blob being read, so that order is kept (bytes counted in bufferedAmount). */
  private pending: { data: string | Uint8Array | Blob; size: number }[] | undefined;
  private pendingBytes: number;
  /** @internal Counters for getStats (RTCDataChannelStats). */
  readonly counters: { messagesSent: number; bytesSent: number; messagesReceived: number; bytesReceived: number };

  /** @internal Created by RTCPeerConnection only. */
  constructor(t: symbol, host: ChannelHost, handle: number, config: ChannelConfig, state: RTCDataChannelState) {
    super();
    if (t !== token) throw new TypeError("Illegal constructor");
    this.host = host;
    this.handle = handle;
    this.label = config.label;
    this.ordered = config.ordered;
    this.maxPacketLifeTime = config.maxPacketLifeTime;
    this.maxRetransmits = config.maxRetransmits;
    this.protocol = config.protocol;
    this.negotiated = config.negotiated;
    this.priority = config.priority;
    this._id = config.id;
    this._readyState = state;
    this._binaryType = "arraybuffer";
    this._threshold = 0;
    this.pending = undefined;
    this.pendingBytes = 0;
    this.counters = { messagesSent: 0, bytesSent: 0, messagesReceived: 0, bytesReceived: 0 };
  }

  get id(): number | null {
    return this._id;
  }
  get readyState(): RTCDataChannelState {
    return this._readyState;
  }
  get bufferedAmount(): number {
    return this.host.channelBufferedAmount(this.handle) + this.pendingBytes;
  }
  get bufferedAmountLowThreshold(): number {
    return this._threshold;
  }
  set bufferedAmountLowThreshold(v: number) {
    const n = Number(v);
    this._threshold = Number.isFinite(n) && n > 0 ? Math.min(Math.trunc(n), 0xffffffff) : 0;
    this.host.channelSetThreshold(this.handle, this._threshold);
  }
  get binaryType(): BinaryType {
    return this._binaryType;
  }
  set binaryType(v: BinaryType) {
    if (v !== "blob" && v !== "arraybuffer") {
      throw domError("SyntaxError", `The provided value '${String(v)}' is not a valid BinaryType`);
    }
    this._binaryType = v;
  }
  /** Legacy attribute some libraries read (always true here: reliability is per channel). */
  get reliable(): boolean {
    return this.maxPacketLifeTime === null && this.maxRetransmits === null;
  }
  get maxRetransmitTime(): number | null {
    return this.maxPacketLifeTime;
  }

  send(data: string | ArrayBuffer | ArrayBufferView | Blob): void {
    if (this._readyState !== "open") {
      throw domError("InvalidStateError", `RTCDataChannel.readyState is '${this._readyState}', not 'open'`);
    }
    // Strings go down as strings (encoded once, by the data channel layer); bytes are copied here,
    // since the layer keeps them until acknowledged and the caller may reuse its buffer.
    let item: string | Uint8Array | Blob;
    let size: number;
    if (typeof data === "string") {
      item = data;
      size = Buffer.byteLength(data);
    } else if (data instanceof ArrayBuffer) {
      item = copyBytes(new Uint8Array(data));
      size = item.length;
    } else if (ArrayBuffer.isView(data)) {
      item = copyBytes(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      size = item.length;
    } else if (typeof Blob !== "undefined" && data instanceof Blob) {
      item = data;
      size = data.size;
    } else {
      item = String(data);
      size = Buffer.byteLength(item);
    }
    if (size > this.host.maxMessageSize()) {
      throw new TypeError(`Message of ${size} bytes is larger than maxMessageSize ${this.host.maxMessageSize()}`);
    }
    if (this.pending || item instanceof Blob) {
      this.enqueue(item, size);
      return;
    }
    this.sendNow(item, size);
  }

  close(): void {
    if (this._readyState === "closing" || this._readyState === "closed") return;
    this._readyState = "closing";
    this.host.channelClose(this.handle);
  }

  private sendNow(data: string | Uint8Array, size: number): void {
    try {
      this.host.channelSend(this.handle, data);
      this.counters.messagesSent++;
      this.counters.bytesSent += size;
    } catch (err) {
      // The core may already know the channel closed while the close task is still queued: a
      // browser drops the message silently then. Any other failure is the caller's.
      const code = (err as { code?: unknown }).code;
      if (code === "ERR_NOT_OPEN" || code === "ERR_CLOSED") return;
      throw toWebError(err);
    }
  }

  private enqueue(data: string | Uint8Array | Blob, size: number): void {
    this.pendingBytes += size;
    if (this.pending) {
      this.pending.push({ data, size });
      return;
    }
    this.pending = [{ data, size }];
    void this.flushPending();
  }

  private async flushPending(): Promise<void> {
    const queue = this.pending!;
    while (queue.length > 0) {
      const item = queue[0]!;
      const data = item.data instanceof Blob ? new Uint8Array(await item.data.arrayBuffer()) : item.data;
      queue.shift();
      this.pendingBytes -= item.size;
      if (this._readyState === "open") this.sendNow(data, item.size);
    }
    this.pending = undefined;
  }

  // ---- called by RTCPeerConnection from queued tasks ----------------------------------------

  /** @internal */
  _setId(id: number): void {
    this._id = id;
  }
  /** @internal */
  _open(): void {
    if (this._readyState !== "connecting") return;
    this._readyState = "open";
    this.dispatchEvent(new Event("open"));
  }
  /** @internal After the datachannel event: announce an in-band opened channel as open (webrtc-pc 6.2). */
  _announceOpen(): void {
    if (this._readyState === "open") this.dispatchEvent(new Event("open"));
  }
  /** @internal */
  _message(data: Uint8Array, binary: boolean): void {
    if (this._readyState !== "open" && this._readyState !== "closing") return;
    this.counters.messagesReceived++;
    this.counters.bytesReceived += data.length;
    let value: string | ArrayBuffer | Blob;
    if (!binary) value = decoder.decode(data);
    else if (this._binaryType === "arraybuffer") value = ownBuffer(data);
    else value = new Blob([data as Uint8Array<ArrayBuffer>]);
    this.dispatchEvent(new MessageEventCtor("message", { data: value }));
  }
  /** @internal */
  _bufferedAmountLow(): void {
    if (this._readyState === "closed") return;
    this.dispatchEvent(new Event("bufferedamountlow"));
  }
  /** @internal */
  _closing(): void {
    if (this._readyState !== "open" && this._readyState !== "connecting") return;
    this._readyState = "closing";
    this.dispatchEvent(new Event("closing"));
  }
  /** @internal Closed by the core; `error` set when it ended abnormally (SCTP or DTLS failure). */
  _closed(error: string | undefined): void {
    if (this._readyState === "closed") return;
    this._readyState = "closed";
    if (error !== undefined) {
      const e = new RTCError(
        {
          errorDetail: error.startsWith("dtls") ? "dtls-failure" : "sctp-failure",
          sctpCauseCode: sctpCauseCode(error),
        },
        error,
      );
      this.dispatchEvent(new RTCErrorEvent("error", { error: e }));
    }
    this.dispatchEvent(new Event("close"));
  }
  /** @internal pc.close(): closed without events (webrtc-pc 4.4.1.9 step 7). */
  _abort(): void {
    this._readyState = "closed";
  }
}

defineEventHandlers(RTCDataChannel.prototype, ["open", "bufferedamountlow", "error", "closing", "close", "message"]);

/** RFC 9260 3.3.10 cause codes named in an SCTP close reason (as src/sctp describes them). */
const SCTP_CAUSES: [string, number][] = [
  ["user-initiated-abort", 12],
  ["protocol-violation", 13],
  ["out-of-resource", 4],
  ["invalid-stream-identifier", 1],
];

function sctpCauseCode(reason: string): number | null {
  for (const [name, code] of SCTP_CAUSES) if (reason.includes(name)) return code;
  return null;
}

/** The bytes as an ArrayBuffer of their own (no copy when `data` already spans its whole buffer). */
function ownBuffer(data: Uint8Array): ArrayBuffer {
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer) {
    return data.buffer;
  }
  return copyBuffer(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * A private copy of bytes to send: small ones share Node's buffer pool (no ArrayBuffer of their
 * own to allocate and collect); the copy never leaves Petrel, so pool sharing is harmless.
 */
function copyBytes(src: Uint8Array): Uint8Array {
  const out = Buffer.allocUnsafe(src.length);
  out.set(src);
  return out;
}

/**
 * A new ArrayBuffer holding bytes [offset, offset + length) of `src`. ArrayBuffer.prototype.slice
 * costs about 2.4 us whatever the size (measured on Node 20); a new buffer plus one set() costs
 * 0.25 us for small messages but zero-fills first, so slice() stays the choice for large ones.
 */
function copyBuffer(src: ArrayBufferLike, offset: number, length: number): ArrayBuffer {
  if (length >= 4096) return src.slice(offset, offset + length) as ArrayBuffer;
  const out = new ArrayBuffer(length);
  new Uint8Array(out).set(new Uint8Array(src, offset, length));
  return out;
}

/** @internal */
export function createDataChannel(
  host: ChannelHost,
  handle: number,
  config: ChannelConfig,
  state: RTCDataChannelState,
): RTCDataChannel {
  return new RTCDataChannel(token, host, handle, config, state);
}

/** createDataChannel's argument checks (webrtc-pc 6.1 createDataChannel steps 3-17). */
export function validateDataChannelInit(label: unknown, init: RTCDataChannelInit | undefined): ChannelConfig {
  const l = label === undefined ? "" : String(label);
  const i = (init ?? {}) as RTCDataChannelInit;
  if (Buffer.byteLength(l) > 65535) throw new TypeError("label is longer than 65535 bytes");
  const protocol = i.protocol === undefined ? "" : String(i.protocol);
  if (Buffer.byteLength(protocol) > 65535) throw new TypeError("protocol is longer than 65535 bytes");
  const ushort = (name: string, v: unknown): number | null => {
    if (v === undefined || v === null) return null;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || n > 65535) throw new TypeError(`${name} is outside 0..65535`);
    return Math.trunc(n);
  };
  const maxPacketLifeTime = ushort("maxPacketLifeTime", i.maxPacketLifeTime);
  const maxRetransmits = ushort("maxRetransmits", i.maxRetransmits);
  if (maxPacketLifeTime !== null && maxRetransmits !== null) {
    throw new TypeError("maxPacketLifeTime and maxRetransmits cannot both be set");
  }
  const negotiated = Boolean(i.negotiated);
  const id = ushort("id", i.id);
  if (negotiated && id === null) throw new TypeError("a negotiated channel needs an id");
  if (id === 65535) throw new TypeError("id 65535 is reserved");
  const priority = i.priority ?? "low";
  if (!["very-low", "low", "medium", "high"].includes(priority)) {
    throw new TypeError(`The provided value '${priority}' is not a valid RTCPriorityType`);
  }
  return {
    label: l,
    protocol,
    ordered: i.ordered === undefined ? true : Boolean(i.ordered),
    maxPacketLifeTime,
    maxRetransmits,
    negotiated,
    id: negotiated ? id : null,
    priority,
  };
}
