// The data channel layer's types: channel options and info, the events DataChannelEndpoint emits,
// and its per-channel record (Channel): stream id, state (RFC 8831 6.7 closing by stream reset),
// buffered amount, the DCEP acknowledgement (RFC 8832 6) and the SCTP send options that carry the
// channel's reliability (RFC 8831 6.1, 6.4).
import type { SctpCloseReason, SctpOptions, SendOptions } from "../sctp/index.js";

export type DtlsRole = "client" | "server";
export type DataChannelState = "connecting" | "open" | "closing" | "closed";

export interface ChannelOptions {
  ordered?: boolean;
  maxPacketLifeTime?: number;
  maxRetransmits?: number;
  protocol?: string;
  /** Negotiated out of band: both sides create it with the same id; no DCEP. */
  negotiated?: boolean;
  id?: number;
  /** DCEP priority (RFC 8831 6.4): 128 below normal, 256 normal, 512 high, 1024 extra high. */
  priority?: number;
}

export interface ChannelInfo {
  /** Stream identifier; null until the DTLS role is known. */
  id: number | null;
  label: string;
  protocol: string;
  ordered: boolean;
  maxRetransmits: number | undefined;
  maxPacketLifeTime: number | undefined;
  priority: number;
  negotiated: boolean;
  state: DataChannelState;
  bufferedAmount: number;
  bufferedAmountLowThreshold: number;
}

/** Events carry `channel`, the stable handle returned by createChannel (or given in channel-open-request). */
export type DataChannelEvent =
  | { type: "connected" }
  | { type: "disconnected"; reason: SctpCloseReason; cause?: string; causeCode?: number }
  | {
      type: "channel-open-request";
      channel: number;
      id: number;
      label: string;
      protocol: string;
      ordered: boolean;
      maxRetransmits: number | undefined;
      maxPacketLifeTime: number | undefined;
      priority: number;
      negotiated: false;
    }
  | { type: "open"; channel: number; id: number }
  | { type: "message"; channel: number; id: number; data: Uint8Array; binary: boolean }
  | { type: "buffered-amount-low"; channel: number; id: number }
  | { type: "closing"; channel: number; id: number | null }
  | { type: "closed"; channel: number; id: number | null }
  | { type: "error"; channel: number; id: number | null; code: string; message: string };

export interface DataChannelEndpointOptions {
  /** Known DTLS role; otherwise call setDtlsRole() before connect(). */
  dtlsRole?: DtlsRole;
  /** Our a=max-message-size (the largest message we accept). Default 262144. */
  maxMessageSize?: number;
  /** Options for the SCTP association (maxMessageSize is taken from above). */
  sctp?: Omit<SctpOptions, "maxMessageSize">;
}

/** A channel as DataChannelEndpoint keeps it (internal to petrel/datachannel). */
export class Channel {
  id: number | null = null;
  state: DataChannelState = "connecting";
  buffered = 0;
  /** Wire bytes queued that are not application bytes (DCEP, the 0 byte of empty messages). */
  overhead = 0;
  threshold = 0;
  acked = false;
  /** The DATA_CHANNEL_OPEN went out with the COOKIE ECHO, before the association was up. */
  openSent = false;
  outgoingReset = false;
  incomingReset = false;
  resetRequested = false;
  partial: Uint8Array[] | undefined = undefined;
  partialBytes = 0;
  readonly sendOptions: SendOptions;
  constructor(
    readonly key: number,
    readonly label: string,
    readonly protocol: string,
    readonly ordered: boolean,
    readonly maxRetransmits: number | undefined,
    readonly maxPacketLifeTime: number | undefined,
    readonly priority: number,
    readonly negotiated: boolean,
    readonly local: boolean,
  ) {
    this.sendOptions = {
      unordered: !ordered,
      ...(maxRetransmits !== undefined ? { maxRetransmits } : {}),
      ...(maxPacketLifeTime !== undefined ? { maxLifetime: maxPacketLifeTime } : {}),
    };
  }
}
