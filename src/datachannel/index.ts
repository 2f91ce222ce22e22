// petrel/datachannel: WebRTC data channels (RFC 8831) with DCEP (RFC 8832) over petrel/sctp, as a
// sans-IO PacketCore that owns its SctpAssociation. Feed it decrypted DTLS application data;
// send what pollTransmit() returns as DTLS application data.
//
//   const dc = new DataChannelEndpoint({ dtlsRole: "client", maxMessageSize: 262144 });
//   dc.setRemoteMaxMessageSize(remoteSdpMaxMessageSize);   // undefined = absent (64 KiB), 0 = unlimited
//   const chat = dc.createChannel("chat", { ordered: true });
//   dc.connect(now);                                      // once DTLS is up (both peers do)
//   dc.handleDatagram(record, now); dc.handleTimeout(now); // inputs
//   dc.pollTransmit(); dc.pollEvent(); dc.nextTimeout();   // outputs: drain after every input
//   // events: "connected", "channel-open-request", "open", "message", "buffered-amount-low",
//   //         "closing", "closed", "error", "disconnected"
//   dc.send(chat, "hi", now); dc.close(chat, now);
//
// Channels are named by the handle createChannel() returns (or an event's `channel`); the
// stream id is `info(handle).id` (null until the DTLS role is known). send() keeps a reference
// to the bytes it is given until they are acknowledged: copy user buffers before passing them.

export {
  PPID_BINARY,
  PPID_BINARY_EMPTY,
  PPID_DCEP,
  PPID_STRING,
  PPID_STRING_EMPTY,
} from "./dcep.js";
export {
  type ChannelInfo,
  type ChannelOptions,
  DataChannelEndpoint,
  type DataChannelEndpointOptions,
  type DataChannelEvent,
  type DataChannelState,
  type DtlsRole,
} from "./endpoint.js";
