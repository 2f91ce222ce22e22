// Petrel: WebRTC for Node.js in pure TypeScript. The root entry exports the W3C API
// (RTCPeerConnection, RTCDataChannel, ...) and, as the default export, a `wrtc`-style object so
// that libraries written for the `wrtc` package run unchanged: `new SimplePeer({ wrtc: petrel })`.
// Each protocol layer also has its own subpath entry (petrel/stun, petrel/dtls, ...).
import { RTCIceCandidate } from "./webrtc/candidate.js";
import { RTCCertificate } from "./webrtc/certificate.js";
import { RTCDataChannel } from "./webrtc/datachannel.js";
import { RTCSessionDescription } from "./webrtc/description.js";
import { RTCError } from "./webrtc/errors.js";
import {
  RTCDataChannelEvent,
  RTCErrorEvent,
  RTCPeerConnectionIceErrorEvent,
  RTCPeerConnectionIceEvent,
} from "./webrtc/events.js";
import { RTCPeerConnection } from "./webrtc/peerconnection.js";
import { RTCDtlsTransport, RTCIceTransport, RTCSctpTransport } from "./webrtc/transports.js";

export type { TransportAddress } from "./address.js";
export { CryptoRandom, type Random, SeededRandom } from "./random.js";
export * from "./webrtc/index.js";

/** The `wrtc` package's shape: pass it as `wrtc` to simple-peer, PeerJS and similar libraries. */
const wrtc = {
  RTCPeerConnection,
  RTCSessionDescription,
  RTCIceCandidate,
  RTCDataChannel,
  RTCCertificate,
  RTCError,
  RTCDataChannelEvent,
  RTCErrorEvent,
  RTCPeerConnectionIceEvent,
  RTCPeerConnectionIceErrorEvent,
  RTCIceTransport,
  RTCDtlsTransport,
  RTCSctpTransport,
};
export default wrtc;
