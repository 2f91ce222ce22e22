// petrel/net: the only code that touches the OS. UdpDriver runs a sans-IO DatagramCore over real
// UDP sockets (one socket per local address, one timer, microtask-coalesced drains);
// listInterfaceAddresses picks the local addresses; resolveMdns answers `.local` names (RFC 6762).
export { type BindOptions, bindUdp } from "./bind.js";
export { type BoundAddress, UdpDriver, type UdpDriverOptions, type UdpDriverStats } from "./driver.js";
export { PetrelNetError } from "./errors.js";
export { type InterfaceAddress, type InterfaceOptions, listInterfaceAddresses } from "./interfaces.js";
export { MDNS_IPV4, MDNS_IPV6, type MdnsResolveOptions, resolveMdns } from "./mdns.js";
export { buildMdnsQuery, type MdnsAnswer, parseMdnsResponse } from "./mdns-wire.js";
