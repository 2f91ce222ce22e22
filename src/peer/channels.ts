// The Peer's data channel table: handles (what the W3C layer holds) mapped to the data channel
// layer's keys, each channel's state as RTCDataChannel reports it (W3C webrtc 6.2), and the
// translation of the layer's events into PeerEvents (open, message, closing/closed, remote
// channels; RFC 8831 6.7 closing by stream reset, RFC 8832 DCEP for remote channels).
import type { ChannelConfig, ChannelState, PeerEvent } from "./events.js";
import type { DcLayer, DcLayerEvent } from "./layers.js";

interface ChannelSlot {
  handle: number;
  key: number;
  config: ChannelConfig;
  state: ChannelState;
}

export class PeerChannels {
  private readonly dc: DcLayer;
  /** The Peer's event queue (shared: events leave in the order they were made). */
  private readonly events: PeerEvent[];
  private readonly byHandle: Map<number, ChannelSlot>;
  private readonly byKey: Map<number, ChannelSlot>;
  private nextHandle: number;

  constructor(dc: DcLayer, events: PeerEvent[]) {
    this.dc = dc;
    this.events = events;
    this.byHandle = new Map();
    this.byKey = new Map();
    this.nextHandle = 1;
  }

  /** Whether a channel not yet closed has this id (ids are unique among live channels). */
  idInUse(id: number): boolean {
    for (const ch of this.byHandle.values()) if (ch.state !== "closed" && ch.config.id === id) return true;
    return false;
  }

  /** Registers a channel the layer created under `key`; returns its handle. */
  add(key: number, config: ChannelConfig): number {
    const slot: ChannelSlot = { handle: this.nextHandle++, key, config: { ...config }, state: "connecting" };
    this.byHandle.set(slot.handle, slot);
    this.byKey.set(key, slot);
    this.announceId(slot);
    return slot.handle;
  }

  state(handle: number): ChannelState {
    return this.byHandle.get(handle)?.state ?? "closed";
  }

  id(handle: number): number | null {
    const ch = this.byHandle.get(handle);
    return ch ? ch.config.id : null;
  }

  /** The layer's key of an open channel, else undefined. */
  openKey(handle: number): number | undefined {
    const ch = this.byHandle.get(handle);
    return ch?.state === "open" ? ch.key : undefined;
  }

  /** Marks the channel closing and returns its key; undefined if it is closing or closed already. */
  beginClose(handle: number): number | undefined {
    const ch = this.byHandle.get(handle);
    if (!ch || ch.state === "closing" || ch.state === "closed") return undefined;
    ch.state = "closing";
    return ch.key;
  }

  /** The layer's key of a channel not closed, else undefined. */
  liveKey(handle: number): number | undefined {
    const ch = this.byHandle.get(handle);
    return ch && ch.state !== "closed" ? ch.key : undefined;
  }

  /** The layer's key of a known channel (any state), else undefined. */
  key(handle: number): number | undefined {
    return this.byHandle.get(handle)?.key;
  }

  handles(): number[] {
    return [...this.byHandle.keys()];
  }

  config(handle: number): ChannelConfig | undefined {
    return this.byHandle.get(handle)?.config;
  }

  /** Once the layer can pick ids (DTLS role known, association up): reports the ids picked. */
  announceIds(): void {
    for (const ch of this.byHandle.values()) this.announceId(ch);
  }

  /** The Peer closed: every channel is closed, without events. */
  markAllClosed(): void {
    for (const ch of this.byHandle.values()) ch.state = "closed";
  }

  /** The association went away: as browsers do, each channel reports closing, then closed with the error. */
  closeAll(reason: string): void {
    const events = this.events;
    for (const ch of this.byHandle.values()) {
      if (ch.state === "closed") continue;
      if (ch.state !== "closing") events.push({ type: "channel-closing", handle: ch.handle });
      ch.state = "closed";
      events.push({ type: "channel-closed", handle: ch.handle, error: reason });
    }
    this.byHandle.clear();
    this.byKey.clear();
  }

  private announceId(ch: ChannelSlot): void {
    if (ch.config.id !== null) return;
    const id = this.dc.channelId(ch.key);
    if (id !== null) {
      ch.config.id = id;
      this.events.push({ type: "channel-id", handle: ch.handle, id });
    }
  }

  /** A channel event of the layer (not "established" / "association-closed", which the Peer handles). */
  onEvent(ev: DcLayerEvent): void {
    const events = this.events;
    switch (ev.type) {
      case "remote-channel": {
        const slot: ChannelSlot = { handle: this.nextHandle++, key: ev.channel, config: ev.config, state: "open" };
        this.byHandle.set(slot.handle, slot);
        this.byKey.set(ev.channel, slot);
        events.push({ type: "channel-remote", handle: slot.handle, config: { ...ev.config } });
        break;
      }
      case "open": {
        const ch = this.byKey.get(ev.channel);
        if (ch?.state !== "connecting") break;
        if (ch.config.id === null) {
          ch.config.id = ev.id;
          events.push({ type: "channel-id", handle: ch.handle, id: ev.id });
        }
        ch.state = "open";
        events.push({ type: "channel-open", handle: ch.handle });
        break;
      }
      case "message": {
        const ch = this.byKey.get(ev.channel);
        if (ch && (ch.state === "open" || ch.state === "closing")) {
          events.push({ type: "message", handle: ch.handle, data: ev.data, binary: ev.binary });
        }
        break;
      }
      case "buffered-amount-low": {
        const ch = this.byKey.get(ev.channel);
        if (ch) events.push({ type: "buffered-amount-low", handle: ch.handle });
        break;
      }
      case "closing": {
        const ch = this.byKey.get(ev.channel);
        if (ch && ch.state !== "closed" && ch.state !== "closing") {
          ch.state = "closing";
          events.push({ type: "channel-closing", handle: ch.handle });
        }
        break;
      }
      case "closed": {
        const ch = this.byKey.get(ev.channel);
        if (ch && ch.state !== "closed") {
          if (ev.error !== undefined && ch.state !== "closing") {
            events.push({ type: "channel-closing", handle: ch.handle });
          }
          ch.state = "closed";
          this.byKey.delete(ev.channel);
          this.byHandle.delete(ch.handle);
          events.push(
            ev.error === undefined
              ? { type: "channel-closed", handle: ch.handle }
              : { type: "channel-closed", handle: ch.handle, error: ev.error },
          );
        }
        break;
      }
    }
  }
}
