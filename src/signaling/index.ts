// petrel signaling: a small WebSocket signaling server (rooms, relay of offers/answers/candidates)
// and a Node client for it. Application code built on `ws`; not part of the WebRTC stack itself.
export * from "./client.js";
export * from "./server.js";
