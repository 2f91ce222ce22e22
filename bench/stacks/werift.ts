// Benchmark adapter for werift (pure TypeScript WebRTC), driven through its W3C-style
// RTCPeerConnection. No ICE servers (its default is a public STUN server), host candidates only.
import type { BenchPeerConnection, LoadedStack, Stack } from "./w3c.js";

export const werift: Stack = {
  name: "werift",
  async load(): Promise<LoadedStack> {
    const mod = await import("werift");
    const RTCPeerConnection = mod.RTCPeerConnection;
    return {
      create: () => new RTCPeerConnection({ iceServers: [] }) as unknown as BenchPeerConnection,
    };
  },
};
