// Event classes of the W3C API (webrtc-pc 4.8.1 RTCPeerConnectionIceEvent, 4.8.2
// RTCPeerConnectionIceErrorEvent, 6.3 RTCDataChannelEvent, 11.2 RTCErrorEvent) on Node's
// EventTarget/Event, and `on<event>` attributes (HTML "event handler IDL attributes")
// implemented once for every class that has them.
import type { RTCError } from "./errors.js";

/** Node 20 has a global MessageEvent (from undici); data channels use it as browsers do. */
export const MessageEventCtor: typeof MessageEvent = globalThis.MessageEvent;

export interface RTCPeerConnectionIceEventInit extends EventInit {
  candidate?: unknown | null;
  url?: string | null;
}

export class RTCPeerConnectionIceEvent<C = unknown> extends Event {
  readonly candidate: C | null;
  readonly url: string | null;
  constructor(type: string, init: RTCPeerConnectionIceEventInit = {}) {
    super(type, init);
    this.candidate = (init.candidate as C | undefined) ?? null;
    this.url = init.url ?? null;
  }
}

export interface RTCPeerConnectionIceErrorEventInit extends EventInit {
  address?: string | null;
  port?: number | null;
  url?: string;
  errorCode: number;
  errorText?: string;
}

export class RTCPeerConnectionIceErrorEvent extends Event {
  readonly address: string | null;
  readonly port: number | null;
  readonly url: string;
  readonly errorCode: number;
  readonly errorText: string;
  constructor(type: string, init: RTCPeerConnectionIceErrorEventInit) {
    super(type, init);
    if (!init || typeof init.errorCode !== "number") throw new TypeError("errorCode is required");
    this.address = init.address ?? null;
    this.port = init.port ?? null;
    this.url = init.url ?? "";
    this.errorCode = init.errorCode;
    this.errorText = init.errorText ?? "";
  }
}

export interface RTCDataChannelEventInit<D> extends EventInit {
  channel: D;
}

export class RTCDataChannelEvent<D = unknown> extends Event {
  readonly channel: D;
  constructor(type: string, init: RTCDataChannelEventInit<D>) {
    super(type, init);
    if (!init?.channel) throw new TypeError("channel is required");
    this.channel = init.channel;
  }
}

export interface RTCErrorEventInit extends EventInit {
  error: RTCError;
}

export class RTCErrorEvent extends Event {
  readonly error: RTCError;
  constructor(type: string, init: RTCErrorEventInit) {
    super(type, init);
    if (!init?.error) throw new TypeError("error is required");
    this.error = init.error;
  }
}

type Handler = ((this: unknown, ev: Event) => unknown) | null;
interface Slot {
  handler: Handler;
  listener: (ev: Event) => void;
}

const slots = new WeakMap<object, Map<string, Slot>>();

/**
 * Defines `on<name>` getter/setter pairs on a class prototype. Setting a function registers one
 * listener (at the position of the first assignment, as HTML specifies); setting null removes
 * it; a non-function value is treated as null.
 */
export function defineEventHandlers(proto: EventTarget, names: readonly string[]): void {
  for (const name of names) {
    Object.defineProperty(proto, `on${name}`, {
      configurable: true,
      enumerable: true,
      get(this: EventTarget): Handler {
        return slots.get(this)?.get(name)?.handler ?? null;
      },
      set(this: EventTarget, value: unknown) {
        let map = slots.get(this);
        if (!map) {
          map = new Map();
          slots.set(this, map);
        }
        const handler = typeof value === "function" ? (value as Handler) : null;
        const slot = map.get(name);
        if (!handler) {
          if (slot) {
            this.removeEventListener(name, slot.listener);
            map.delete(name);
          }
          return;
        }
        if (slot) {
          slot.handler = handler;
          return;
        }
        const target = this;
        const created: Slot = {
          handler,
          listener(ev: Event) {
            const h = created.handler;
            if (h) h.call(target, ev);
          },
        };
        map.set(name, created);
        this.addEventListener(name, created.listener);
      },
    });
  }
}
