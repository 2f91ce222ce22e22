// Benchmark adapter for node-datachannel (libdatachannel, C++ through N-API), driven through its
// W3C polyfill (node-datachannel/polyfill) so that it pays the same per-message cost of a standard
// MessageEvent that Petrel and werift pay. No ICE servers.
import type { BenchPeerConnection, LoadedStack, Stack } from "./w3c.js";

export const nodeDatachannel: Stack = {
  name: "node-datachannel",
  async load(): Promise<LoadedStack> {
    const polyfill = await import("node-datachannel/polyfill");
    const native = (await import("node-datachannel")).default;
    const RTCPeerConnection = polyfill.RTCPeerConnection;
    return {
      create: () => new RTCPeerConnection({ iceServers: [] }) as unknown as BenchPeerConnection,
      shutdown: () => native.cleanup(),
    };
  },
};
