// STUN wire constants: magic cookie, methods, classes, and attribute type codes.
// RFC 8489 section 5 (header), 6 (methods and classes), 14 and 18.3 (attribute registry);
// RFC 8445 section 16.1 (ICE attributes); RFC 8656 section 18 (TURN attributes and methods);
// RFC 8489 section 14 (comprehension-required range 0x0000-0x7FFF).

export const MAGIC_COOKIE = 0x2112a442;
export const HEADER_SIZE = 20;
/** XORed into the CRC-32 for FINGERPRINT ("STUN"), RFC 8489 section 14.7. */
export const FINGERPRINT_XOR = 0x5354554e;

/** Message classes (RFC 8489 section 5). */
export const StunClass = {
  Request: 0,
  Indication: 1,
  SuccessResponse: 2,
  ErrorResponse: 3,
} as const;
export type StunClass = (typeof StunClass)[keyof typeof StunClass];

/** Methods: Binding (RFC 8489) and the TURN methods (RFC 8656 section 18.1). */
export const StunMethod = {
  Binding: 0x001,
  Allocate: 0x003,
  Refresh: 0x004,
  Send: 0x006,
  Data: 0x007,
  CreatePermission: 0x008,
  ChannelBind: 0x009,
} as const;

/** Attribute types. */
export const Attr = {
  MappedAddress: 0x0001,
  Username: 0x0006,
  MessageIntegrity: 0x0008,
  ErrorCode: 0x0009,
  UnknownAttributes: 0x000a,
  ChannelNumber: 0x000c,
  Lifetime: 0x000d,
  XorPeerAddress: 0x0012,
  Data: 0x0013,
  Realm: 0x0014,
  Nonce: 0x0015,
  XorRelayedAddress: 0x0016,
  RequestedAddressFamily: 0x0017,
  EvenPort: 0x0018,
  RequestedTransport: 0x0019,
  DontFragment: 0x001a,
  MessageIntegritySha256: 0x001c,
  PasswordAlgorithm: 0x001d,
  Userhash: 0x001e,
  XorMappedAddress: 0x0020,
  ReservationToken: 0x0022,
  Priority: 0x0024,
  UseCandidate: 0x0025,
  AdditionalAddressFamily: 0x8000,
  AddressErrorCode: 0x8001,
  PasswordAlgorithms: 0x8002,
  AlternateDomain: 0x8003,
  Icmp: 0x8004,
  Software: 0x8022,
  AlternateServer: 0x8023,
  Fingerprint: 0x8028,
  IceControlled: 0x8029,
  IceControlling: 0x802a,
  ResponseOrigin: 0x802b,
  OtherAddress: 0x802c,
} as const;

const KNOWN = new Set<number>(Object.values(Attr));

/** True for attribute types this codec understands. */
export function isKnownAttribute(type: number): boolean {
  return KNOWN.has(type);
}

/** Comprehension-required attributes are 0x0000-0x7FFF (RFC 8489 section 14). */
export function isComprehensionRequired(type: number): boolean {
  return type < 0x8000;
}

/** PASSWORD-ALGORITHM values (RFC 8489 section 18.5). */
export const PasswordAlgorithm = {
  MD5: 0x0001,
  SHA256: 0x0002,
} as const;

/** Message type from method and class (RFC 8489 section 5, figure 3). */
export function messageType(method: number, cls: StunClass): number {
  return (method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) | ((cls & 1) << 4) | ((cls & 2) << 7);
}

export function methodOf(type: number): number {
  return (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
}

export function classOf(type: number): StunClass {
  return (((type >> 4) & 1) | ((type >> 7) & 2)) as StunClass;
}
