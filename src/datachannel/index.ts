// petrel/datachannel: WebRTC data channels (RFC 8831) with DCEP (RFC 8832) over petrel/sctp, as a
// sans-IO PacketCore. Feed it decrypted DTLS application data; send what pollTransmit() returns
// as DTLS application data.

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
