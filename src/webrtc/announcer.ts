// Events from the Peer core to the W3C objects: a task queue (events fire in later tasks, one at
// a time with microtasks between them, as a browser queues them; never from inside a core), the
// announced states of the connection and its transports (webrtc-pc 4.3.2 "update the ICE
// gathering state", 4.3.3 "update the connection state", 5.5/5.6 transport state changes), the
// icecandidate events with the final null, the data channel events (6.2 announcing a channel
// as open, closing, closed with an error), and tasks of the media objects (DTMF tonechange,
// received telephone events) queued in the same order and dropped by close().
import type { DtlsState, PeerEvent, SctpState } from "../peer/events.js";
import type { Peer } from "../peer/peer.js";
import { RTCIceCandidate } from "./candidate.js";
import { type ChannelHost, createDataChannel, type RTCDataChannel } from "./datachannel.js";
import { RTCDataChannelEvent, RTCPeerConnectionIceErrorEvent, RTCPeerConnectionIceEvent } from "./events.js";
import type { Negotiator } from "./negotiator.js";
import type { RTCDtlsTransport, RTCIceTransport, RTCSctpTransport } from "./transports.js";

export type RTCIceConnectionState =
  | "new"
  | "checking"
  | "connected"
  | "completed"
  | "disconnected"
  | "failed"
  | "closed";
export type RTCIceGatheringState = "new" | "gathering" | "complete";
export type RTCPeerConnectionState = "new" | "connecting" | "connected" | "disconnected" | "failed" | "closed";

export interface AnnouncerHost {
  /** The RTCPeerConnection the connection-level events fire on. */
  target: EventTarget;
  peer: Peer;
  negotiator: Negotiator;
  transports: { ice: RTCIceTransport; dtls: RTCDtlsTransport; sctp: RTCSctpTransport };
  channels: Map<number, RTCDataChannel>;
  channelHost: ChannelHost;
  isClosed(): boolean;
}

export class Announcer {
  iceGatheringState: RTCIceGatheringState = "new";
  iceConnectionState: RTCIceConnectionState = "new";
  connectionState: RTCPeerConnectionState = "new";
  dtlsState: DtlsState = "new";
  selectedPair: { local: string; remote: string } | null = null;
  channelsOpened = 0;
  channelsClosed = 0;
  private readonly host: AnnouncerHost;
  private readonly queue: (PeerEvent | (() => void))[] = [];
  private flushScheduled = false;

  constructor(host: AnnouncerHost) {
    this.host = host;
  }

  /** close(): states become closed without events, and nothing queued fires any more. */
  closed(): void {
    this.queue.length = 0;
    this.iceConnectionState = "closed";
    this.connectionState = "closed";
    const t = this.host.transports;
    t.ice._state = "closed";
    t.dtls._state = "closed";
    t.sctp._state = "closed";
  }

  /** The core threw (a broken invariant): this connection fails, the process does not. */
  fail(err: unknown): void {
    if (this.host.isClosed()) return;
    // A broken invariant in the core: this connection fails, the process does not.
    this.queue.push({ type: "ice-state", state: "failed" });
    this.queue.push({ type: "dtls-state", state: "failed", reason: String((err as Error)?.message ?? err) });
    this.scheduleFlush();
  }

  /** Queues an event of the core; it fires in a later task. */
  enqueue(ev: PeerEvent): void {
    if (ev.type === "message") {
      // Copy out of the core's buffers now (a one-fragment message is a view into a DTLS record):
      // the user gets bytes of their own, read later. A message SCTP reassembled is already a
      // buffer of its own (offset 0, whole buffer) and is handed over as it is.
      const d = ev.data;
      const own = d.byteOffset === 0 && d.byteLength === d.buffer.byteLength && d.byteLength > 0;
      ev = { type: "message", handle: ev.handle, data: own ? d : d.slice(), binary: ev.binary };
    }
    this.queue.push(ev);
    this.scheduleFlush();
  }

  /** Queues a task of a media object (e.g. a tonechange) behind the events queued so far. */
  task(fn: () => void): void {
    if (this.host.isClosed()) return;
    this.queue.push(fn);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => void this.flush());
  }

  /** Fires queued events one task at a time (microtasks run between them, as between tasks). */
  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.queue.length);
      for (const ev of batch) {
        if (this.host.isClosed()) {
          this.queue.length = 0;
          break;
        }
        if (typeof ev === "function") ev();
        else this.fire(ev);
        await null;
      }
    }
    this.flushScheduled = false;
  }

  private fire(ev: PeerEvent): void {
    switch (ev.type) {
      case "candidate": {
        if (ev.ufrag !== this.host.peer.localUfrag) return;
        this.host.negotiator.addLocalCandidate(ev.candidate);
        const c = new RTCIceCandidate({
          candidate: ev.candidate,
          sdpMid: this.host.negotiator.dataMid,
          sdpMLineIndex: this.host.negotiator.dataMLineIndex(),
          usernameFragment: ev.ufrag,
        });
        this.host.target.dispatchEvent(new RTCPeerConnectionIceEvent("icecandidate", { candidate: c }));
        return;
      }
      case "gathering-state": {
        if (ev.state === this.iceGatheringState) return;
        this.iceGatheringState = ev.state;
        this.host.transports.ice._gatheringState = ev.state;
        if (ev.state === "complete") this.host.negotiator.localGatheringComplete();
        this.host.transports.ice.dispatchEvent(new Event("gatheringstatechange"));
        this.host.target.dispatchEvent(new Event("icegatheringstatechange"));
        if (ev.state === "complete") {
          this.host.target.dispatchEvent(new RTCPeerConnectionIceEvent("icecandidate", { candidate: null }));
        }
        return;
      }
      case "ice-state":
        if (ev.state === this.iceConnectionState) return;
        this.iceConnectionState = ev.state;
        this.host.transports.ice._state = ev.state;
        this.host.transports.ice.dispatchEvent(new Event("statechange"));
        this.host.target.dispatchEvent(new Event("iceconnectionstatechange"));
        this.updateConnectionState();
        return;
      case "selected-pair":
        this.selectedPair = { local: ev.pair.local, remote: ev.pair.remote };
        this.host.transports.ice.dispatchEvent(new Event("selectedcandidatepairchange"));
        return;
      case "dtls-state":
        if (ev.state === this.dtlsState) return;
        this.dtlsState = ev.state;
        this.host.transports.dtls._state = ev.state;
        this.host.transports.dtls.dispatchEvent(new Event("statechange"));
        this.updateConnectionState();
        return;
      case "sctp-state":
        this.onSctpState(ev.state);
        return;
      case "channel-remote": {
        const ch = createDataChannel(this.host.channelHost, ev.handle, ev.config, "open");
        this.host.channels.set(ev.handle, ch);
        this.channelsOpened++;
        this.host.target.dispatchEvent(new RTCDataChannelEvent("datachannel", { channel: ch }));
        ch._announceOpen();
        return;
      }
      case "channel-id":
        this.host.channels.get(ev.handle)?._setId(ev.id);
        return;
      case "channel-open": {
        const ch = this.host.channels.get(ev.handle);
        if (ch && ch.readyState === "connecting") this.channelsOpened++;
        ch?._open();
        return;
      }
      case "message":
        this.host.channels.get(ev.handle)?._message(ev.data, ev.binary);
        return;
      case "buffered-amount-low":
        this.host.channels.get(ev.handle)?._bufferedAmountLow();
        return;
      case "channel-closing":
        this.host.channels.get(ev.handle)?._closing();
        return;
      case "channel-closed": {
        const ch = this.host.channels.get(ev.handle);
        this.host.channels.delete(ev.handle);
        if (ch) this.channelsClosed++;
        ch?._closed(ev.error);
        return;
      }
      case "ice-error":
        this.host.target.dispatchEvent(
          new RTCPeerConnectionIceErrorEvent("icecandidateerror", {
            address: ev.address,
            port: ev.port,
            url: ev.url,
            errorCode: ev.errorCode,
            errorText: ev.errorText,
          }),
        );
        return;
      case "mdns-query":
        return;
    }
  }

  private onSctpState(state: SctpState): void {
    if (state === this.host.transports.sctp._state) return;
    this.host.transports.sctp._state = state;
    this.host.transports.sctp.dispatchEvent(new Event("statechange"));
  }

  /** webrtc-pc 4.3.3 RTCPeerConnectionState from the ICE and DTLS transport states. */
  private updateConnectionState(): void {
    if (this.host.isClosed()) return;
    const ice = this.iceConnectionState;
    const dtls = this.dtlsState;
    let s: RTCPeerConnectionState;
    if (ice === "failed" || dtls === "failed") s = "failed";
    else if (ice === "disconnected") s = "disconnected";
    else if (ice === "new" && (dtls === "new" || dtls === "closed")) s = "new";
    else if (ice === "new" || ice === "checking" || dtls === "new" || dtls === "connecting") s = "connecting";
    else if (
      (ice === "connected" || ice === "completed" || ice === "closed") &&
      (dtls === "connected" || dtls === "closed")
    )
      s = "connected";
    else s = "connecting";
    if (s === this.connectionState) return;
    this.connectionState = s;
    this.host.target.dispatchEvent(new Event("connectionstatechange"));
  }
}
