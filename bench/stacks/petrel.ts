// Benchmark adapter for Petrel, driven through its standard W3C RTCPeerConnection exported from the
// package root (src/index.ts). The import is resolved at run time so that the benchmark compiles
// and runs the other stacks even while Petrel's W3C layer is absent.
import type { BenchPeerConnection, LoadedStack, Stack } from "./w3c.js";

type PeerConnectionClass = new (config?: Record<string, unknown>) => BenchPeerConnection;

export const petrel: Stack = {
  name: "petrel",
  async load(): Promise<LoadedStack> {
    const entry = "../../src/index.js";
    const mod = (await import(entry)) as Record<string, unknown>;
    const RTCPeerConnection = mod.RTCPeerConnection as PeerConnectionClass | undefined;
    if (typeof RTCPeerConnection !== "function") {
      throw new Error("petrel: src/index.ts does not export RTCPeerConnection yet");
    }
    return { create: () => new RTCPeerConnection({ iceServers: [] }) };
  },
};
