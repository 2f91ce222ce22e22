// Media section builders for JSEP offers and answers, one per m-line kind (RFC 8829 5.2.1, 5.3.1).
// Every section starts with the same transport block (RFC 8839 5: c=, candidates, ice-ufrag,
// ice-pwd, ice-options; RFC 8122: fingerprint; RFC 4145: setup); the kind's builder adds the rest.
// `application` (RFC 8841: UDP/DTLS/SCTP webrtc-datachannel, sctp-port, max-message-size) is
// built here; audio and video by src/sdp/media.ts (registered beside this table in jsep.ts).
import { type Fingerprint, formatFingerprint, type SetupRole } from "./attributes.js";
import type { MediaAnswerPolicy, MediaSectionConfig } from "./media.js";
import { newMedia, type SdpAttribute, type SdpMedia } from "./model.js";

/** ICE and DTLS parameters written into every bundled section. */
export interface LocalTransport {
  iceUfrag: string;
  icePwd: string;
  /** `a=ice-options` tokens (default ["trickle"]). */
  iceOptions: string[];
  fingerprints: Fingerprint[];
  setup: SetupRole;
  /** Gathered local candidates as "candidate:..." strings. */
  candidates: string[];
  endOfCandidates: boolean;
  /** The default candidate for the m= port and c= line (RFC 8839 4.2.1.1); port 9 / 0.0.0.0 when absent. */
  defaultCandidate: { address: string; port: number } | undefined;
}

/** A data channel m-line in our offers. */
export interface DataSectionConfig {
  kind: "application";
  mid: string;
  /** Default 5000 (RFC 8841 5.1 default, and what browsers use). */
  sctpPort?: number;
  /** What we can receive, in bytes (default 262144 like Chrome; 0 = no limit). */
  maxMessageSize?: number;
}

/** One m-line of a local offer. */
export type LocalSectionConfig = DataSectionConfig | MediaSectionConfig;

/** What the answering side of a builder may accept. */
export interface AnswerPreferences {
  sctpPort: number;
  maxMessageSize: number;
  /** How to answer audio/video sections; without it they are rejected. */
  media?: MediaAnswerPolicy;
}

export const DEFAULT_SCTP_PORT = 5000;
export const DEFAULT_MAX_MESSAGE_SIZE = 262144;
export const DATA_PROTOCOL = "UDP/DTLS/SCTP";
export const DATA_FORMAT = "webrtc-datachannel";

export interface SectionBuilder {
  /** The offered section for a local configuration. */
  offer(config: LocalSectionConfig, transport: LocalTransport): SdpMedia;
  /**
   * The answer to an offered section that the offerer did not reject, or undefined to reject it.
   * `alreadyAccepted` counts the sections of this kind accepted so far in the same answer.
   */
  answer(
    offered: SdpMedia,
    mid: string | undefined,
    transport: LocalTransport,
    prefs: AnswerPreferences,
    alreadyAccepted: number,
  ): SdpMedia | undefined;
}

/** Appends the shared transport block (everything up to and including a=setup) to a section. */
export function writeTransport(m: SdpMedia, t: LocalTransport): void {
  const d = t.defaultCandidate;
  m.port = d ? d.port : 9;
  m.connection = {
    netType: "IN",
    addrType: d?.address.includes(":") ? "IP6" : "IP4",
    address: d ? d.address : "0.0.0.0",
  };
  const a = m.attributes;
  for (const c of t.candidates) a.push({ key: "candidate", value: c.startsWith("candidate:") ? c.slice(10) : c });
  if (t.endOfCandidates) a.push({ key: "end-of-candidates", value: undefined });
  a.push({ key: "ice-ufrag", value: t.iceUfrag });
  a.push({ key: "ice-pwd", value: t.icePwd });
  if (t.iceOptions.length) a.push({ key: "ice-options", value: t.iceOptions.join(" ") });
  for (const f of t.fingerprints) a.push({ key: "fingerprint", value: formatFingerprint(f) });
  a.push({ key: "setup", value: t.setup });
}

/** A rejected section in an answer: port 0, the offer's kind, protocol and formats, and its mid. */
export function rejectedSection(offered: SdpMedia, mid: string | undefined): SdpMedia {
  const m = newMedia(offered.kind, 0, offered.protocol, [...offered.formats]);
  m.connection = { netType: "IN", addrType: "IP4", address: "0.0.0.0" };
  if (mid !== undefined) m.attributes.push({ key: "mid", value: mid });
  return m;
}

/**
 * How a section carries data channels: RFC 8841 (`UDP/DTLS/SCTP webrtc-datachannel` with
 * a=sctp-port) or the pre-RFC form of draft-ietf-mmusic-sctp-sdp-05 that old stacks still send
 * (`DTLS/SCTP 5000` with `a=sctpmap:5000 webrtc-datachannel 1024`); undefined for neither.
 */
export function dataSectionFormat(m: SdpMedia): "rfc8841" | "legacy" | undefined {
  if (m.kind !== "application") return undefined;
  if ((m.protocol === "UDP/DTLS/SCTP" || m.protocol === "TCP/DTLS/SCTP") && m.formats.includes(DATA_FORMAT)) {
    return "rfc8841";
  }
  if (m.protocol === "DTLS/SCTP" && m.formats.length > 0) {
    const prefix = `${m.formats[0]} ${DATA_FORMAT}`;
    for (const a of m.attributes) if (a.key === "sctpmap" && a.value?.startsWith(prefix)) return "legacy";
  }
  return undefined;
}

function dataAttributes(a: SdpAttribute[], mid: string | undefined, sctpPort: number, maxMessageSize: number): void {
  // An offer without mids (pre-RFC 5888 stacks, no BUNDLE) gets an answer without them.
  if (mid !== undefined) a.push({ key: "mid", value: mid });
  a.push({ key: "sctp-port", value: String(sctpPort) });
  a.push({ key: "max-message-size", value: String(maxMessageSize) });
}

const applicationBuilder: SectionBuilder = {
  offer(config, transport) {
    if (config.kind !== "application") throw new Error("not a data section config");
    const m = newMedia("application", 9, DATA_PROTOCOL, [DATA_FORMAT]);
    writeTransport(m, transport);
    dataAttributes(
      m.attributes,
      config.mid,
      config.sctpPort ?? DEFAULT_SCTP_PORT,
      config.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
    );
    return m;
  },
  answer(offered, mid, transport, prefs, alreadyAccepted) {
    // One SCTP association per connection: the first usable data section only (RFC 8841 4).
    if (alreadyAccepted > 0) return undefined;
    const format = dataSectionFormat(offered);
    if (format === undefined) return undefined;
    if (format === "legacy") {
      const m = newMedia("application", 9, "DTLS/SCTP", [String(prefs.sctpPort)]);
      writeTransport(m, transport);
      if (mid !== undefined) m.attributes.push({ key: "mid", value: mid });
      m.attributes.push({ key: "sctpmap", value: `${prefs.sctpPort} ${DATA_FORMAT} 1024` });
      m.attributes.push({ key: "max-message-size", value: String(prefs.maxMessageSize) });
      return m;
    }
    const m = newMedia("application", 9, offered.protocol, [DATA_FORMAT]);
    writeTransport(m, transport);
    dataAttributes(m.attributes, mid, prefs.sctpPort, prefs.maxMessageSize);
    return m;
  },
};

/** The builders by m-line kind. A kind without a builder is rejected in answers. */
export const SECTION_BUILDERS: Readonly<Record<string, SectionBuilder>> = {
  application: applicationBuilder,
};
