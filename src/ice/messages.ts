// The STUN messages of ICE: connectivity-check requests (RFC 8445 section 7.2.2: USERNAME,
// PRIORITY, ICE-CONTROLLING/ICE-CONTROLLED, USE-CANDIDATE, MESSAGE-INTEGRITY, FINGERPRINT),
// their success responses (7.3.1.3: XOR-MAPPED-ADDRESS), the 487 Role Conflict error (7.3.1.1),
// plain Binding requests to STUN servers (5.1.1.2), and random ICE credentials (RFC 8839 5.4).
import type { TransportAddress } from "../address.js";
import type { Random } from "../random.js";
import {
  Attr,
  buildErrorResponse,
  StunBuilder,
  StunClass,
  type StunKey,
  type StunMessage,
  StunMethod,
} from "../stun/index.js";

export interface CheckParams {
  username: string;
  key: StunKey;
  priority: number;
  controlling: boolean;
  tieHi: number;
  tieLo: number;
  useCandidate: boolean;
}

export function buildCheck(tid: Uint8Array, p: CheckParams): Uint8Array {
  const b = new StunBuilder(StunMethod.Binding, StunClass.Request, tid, 128)
    .addString(Attr.Username, p.username)
    .addU32(Attr.Priority, p.priority)
    .addU64(p.controlling ? Attr.IceControlling : Attr.IceControlled, p.tieHi, p.tieLo);
  if (p.useCandidate) b.addFlag(Attr.UseCandidate);
  return b.finish({ integrity: p.key, fingerprint: true });
}

export function buildCheckResponse(
  request: StunMessage,
  mapped: TransportAddress,
  key: StunKey,
  software: string | undefined,
): Uint8Array {
  const b = new StunBuilder(StunMethod.Binding, StunClass.SuccessResponse, request.transactionId, 96);
  b.addAddress(Attr.XorMappedAddress, mapped);
  if (software) b.addString(Attr.Software, software);
  return b.finish({ integrity: key, fingerprint: true });
}

export function buildRoleConflict(request: StunMessage, key: StunKey, software: string | undefined): Uint8Array {
  return buildErrorResponse(request, 487, "Role Conflict", { integrity: key, fingerprint: true, software });
}

export function buildBindingRequest(tid: Uint8Array): Uint8Array {
  return new StunBuilder(StunMethod.Binding, StunClass.Request, tid, 32).finish({ fingerprint: true });
}

const ICE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** A random string of ice-chars (6 bits of entropy each). */
export function randomIceString(random: Random, length: number): string {
  const bytes = random.bytes(length);
  let s = "";
  for (let i = 0; i < length; i++) s += ICE_CHARS[bytes[i]! & 63];
  return s;
}
