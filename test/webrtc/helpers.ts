// Helpers for tests that connect two RTCPeerConnections in one process: signaling by direct calls
// (trickled candidates), waiting for events with a bound, and message collection.
import type { RTCDataChannel, RTCPeerConnection } from "../../src/index.js";

/** Resolves with the next `type` event of `target` (rejects after `ms`). */
export function once<T extends Event = Event>(target: EventTarget, type: string, ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for '${type}'`)), ms);
    target.addEventListener(
      type,
      (e) => {
        clearTimeout(timer);
        resolve(e as T);
      },
      { once: true },
    );
  });
}

/** Waits until `cond()` holds, checking on every event-loop turn (rejects after `ms`). */
export async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Trickles candidates both ways and runs offer/answer from `a` to `b`. */
export async function connect(a: RTCPeerConnection, b: RTCPeerConnection): Promise<void> {
  a.onicecandidate = (e) => {
    if (e.candidate) void b.addIceCandidate(e.candidate).catch(() => {});
  };
  b.onicecandidate = (e) => {
    if (e.candidate) void a.addIceCandidate(e.candidate).catch(() => {});
  };
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription!);
}

export function opened(dc: RTCDataChannel, ms = 10_000): Promise<void> {
  if (dc.readyState === "open") return Promise.resolve();
  return once(dc, "open", ms).then(() => undefined);
}

/** Collects `n` messages of a channel. */
export function collect(dc: RTCDataChannel, n: number, ms = 20_000): Promise<unknown[]> {
  const out: unknown[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`got ${out.length} of ${n} messages`)), ms);
    const on = (e: Event) => {
      out.push((e as MessageEvent).data);
      if (out.length === n) {
        clearTimeout(timer);
        dc.removeEventListener("message", on);
        resolve(out);
      }
    };
    dc.addEventListener("message", on);
    if (n === 0) {
      clearTimeout(timer);
      resolve(out);
    }
  });
}
