// Petrel: WebRTC for Node.js in pure TypeScript. The root entry will export the W3C API
// (RTCPeerConnection, RTCDataChannel, ...); each protocol layer has its own subpath entry.
export type { TransportAddress } from "./address.js";
export { CryptoRandom, type Random, SeededRandom } from "./random.js";
