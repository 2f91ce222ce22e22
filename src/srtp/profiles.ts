// SRTP protection profiles and their parameters (RFC 3711 section 8.2, RFC 5764 section 4.1.2,
// RFC 7714 sections 12 and 14.2), and the split of DTLS exporter output into the client and
// server master keys and salts (RFC 5764 section 4.2).

/** The SRTP protection profiles Petrel implements, by their DTLS-SRTP names. */
export type SrtpProfile =
  | "AES_CM_128_HMAC_SHA1_80"
  | "AES_CM_128_HMAC_SHA1_32"
  | "AEAD_AES_128_GCM"
  | "AEAD_AES_256_GCM";

export interface SrtpProfileParams {
  readonly name: SrtpProfile;
  /** The DTLS use_srtp protection profile identifier (RFC 5764 4.1.2, RFC 7714 14.2). */
  readonly id: number;
  readonly aead: boolean;
  /** Master key and session encryption key length in bytes. */
  readonly keyLength: number;
  /** Master salt and session salt length in bytes (14 for AES-CM, 12 for GCM). */
  readonly saltLength: number;
  /** Session authentication key length in bytes (HMAC-SHA1: 20; 0 for AEAD). */
  readonly authKeyLength: number;
  /** Authentication tag length appended to SRTP packets. */
  readonly rtpTagLength: number;
  /** Authentication tag length appended to SRTCP packets. */
  readonly rtcpTagLength: number;
}

export const SRTP_PROFILES: Readonly<Record<SrtpProfile, SrtpProfileParams>> = {
  AES_CM_128_HMAC_SHA1_80: {
    name: "AES_CM_128_HMAC_SHA1_80",
    id: 0x0001,
    aead: false,
    keyLength: 16,
    saltLength: 14,
    authKeyLength: 20,
    rtpTagLength: 10,
    rtcpTagLength: 10,
  },
  // RFC 5764 4.1.2: the 32-bit tag is for SRTP only; SRTCP keeps the 80-bit tag.
  AES_CM_128_HMAC_SHA1_32: {
    name: "AES_CM_128_HMAC_SHA1_32",
    id: 0x0002,
    aead: false,
    keyLength: 16,
    saltLength: 14,
    authKeyLength: 20,
    rtpTagLength: 4,
    rtcpTagLength: 10,
  },
  AEAD_AES_128_GCM: {
    name: "AEAD_AES_128_GCM",
    id: 0x0007,
    aead: true,
    keyLength: 16,
    saltLength: 12,
    authKeyLength: 0,
    rtpTagLength: 16,
    rtcpTagLength: 16,
  },
  AEAD_AES_256_GCM: {
    name: "AEAD_AES_256_GCM",
    id: 0x0008,
    aead: true,
    keyLength: 32,
    saltLength: 12,
    authKeyLength: 0,
    rtpTagLength: 16,
    rtcpTagLength: 16,
  },
};

/** An API misuse in the SRTP layer (bad key length, unknown profile). `code` is stable. */
export class SrtpError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "SrtpError";
    this.code = code;
  }
}

export function srtpProfileParams(profile: SrtpProfile): SrtpProfileParams {
  const p = SRTP_PROFILES[profile];
  if (!p) throw new SrtpError("ERR_SRTP_PROFILE", `unknown SRTP profile ${String(profile)}`);
  return p;
}

/** The profile for a DTLS use_srtp identifier, or undefined when Petrel does not implement it. */
export function srtpProfileFromId(id: number): SrtpProfile | undefined {
  for (const p of Object.values(SRTP_PROFILES)) if (p.id === id) return p.name;
  return undefined;
}

/** Bytes to request from the DTLS exporter ("EXTRACTOR-dtls_srtp") for this profile: 2 * (key + salt). */
export function srtpKeyingMaterialLength(profile: SrtpProfile): number {
  const p = srtpProfileParams(profile);
  return 2 * (p.keyLength + p.saltLength);
}

export interface SrtpMasterKeys {
  masterKey: Uint8Array;
  masterSalt: Uint8Array;
}

export interface SrtpKeyPair {
  /** Keys this endpoint protects its outgoing packets with. */
  local: SrtpMasterKeys;
  /** Keys the peer protects with: this endpoint unprotects incoming packets with them. */
  remote: SrtpMasterKeys;
}

/**
 * Splits the DTLS exporter output (RFC 5764 4.2): client_write_SRTP_master_key,
 * server_write_SRTP_master_key, client_write_SRTP_master_salt, server_write_SRTP_master_salt.
 * The returned arrays are copies.
 */
export function srtpKeysFromExporter(profile: SrtpProfile, keyingMaterial: Uint8Array, isClient: boolean): SrtpKeyPair {
  const p = srtpProfileParams(profile);
  const need = 2 * (p.keyLength + p.saltLength);
  if (keyingMaterial.length !== need) {
    throw new SrtpError(
      "ERR_SRTP_KEY_LENGTH",
      `${profile} needs ${need} bytes of keying material, got ${keyingMaterial.length}`,
    );
  }
  const k = p.keyLength;
  const s = p.saltLength;
  const client: SrtpMasterKeys = {
    masterKey: keyingMaterial.slice(0, k),
    masterSalt: keyingMaterial.slice(2 * k, 2 * k + s),
  };
  const server: SrtpMasterKeys = {
    masterKey: keyingMaterial.slice(k, 2 * k),
    masterSalt: keyingMaterial.slice(2 * k + s, 2 * k + 2 * s),
  };
  return isClient ? { local: client, remote: server } : { local: server, remote: client };
}
