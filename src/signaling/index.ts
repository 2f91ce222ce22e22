// petrel signaling: a small WebSocket signaling server (rooms, relay of offers/answers/candidates).
// Application code built on `ws`; not part of the WebRTC stack itself.
export * from "./server.js";
