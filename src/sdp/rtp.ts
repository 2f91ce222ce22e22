// A typed view of an RTP media section (audio/video) for the media layer to negotiate from:
// codecs with their rtpmap (RFC 8866 6.6), fmtp (6.15) and rtcp-fb (RFC 4585 4.2) lines joined by
// payload type, header extensions (RFC 8285), direction, rtcp-mux (RFC 5761) / rtcp-rsize (RFC 5506),
// msid (RFC 8830), SSRCs and SSRC groups (RFC 5576); rid (RFC 8851) and simulcast (RFC 8853)
// lines are passed through raw. Malformed lines are skipped and counted, never thrown.
import {
  type Direction,
  type Extmap,
  findDirection,
  type Msid,
  parseExtmap,
  parseFmtp,
  parseMsid,
  parseRtcpFb,
  parseRtpmap,
  parseSsrc,
  parseSsrcGroup,
  type RtcpFb,
  type SsrcGroup,
} from "./attributes.js";
import { getAttribute, type SdpMedia } from "./model.js";

export interface RtpCodec {
  payloadType: number;
  /** From a=rtpmap; for static payload types without one (RFC 3551), undefined. */
  name: string | undefined;
  clockRate: number | undefined;
  channels: number | undefined;
  /** The a=fmtp parameters (empty when none). */
  parameters: Map<string, string>;
  feedback: RtcpFb[];
}

export interface RtpSectionInfo {
  kind: string;
  mid: string | undefined;
  direction: Direction;
  rtcpMux: boolean;
  rtcpRsize: boolean;
  /** In m-line order. */
  codecs: RtpCodec[];
  /** rtcp-fb lines for "*" (every codec). */
  wildcardFeedback: RtcpFb[];
  extensions: Extmap[];
  extmapAllowMixed: boolean;
  msids: Msid[];
  /** a=ssrc attributes by SSRC, in order (e.g. cname, msid). */
  ssrcs: Map<number, { attribute: string; value: string | undefined }[]>;
  ssrcGroups: SsrcGroup[];
  /** Raw a=rid values. */
  rids: string[];
  /** Raw a=simulcast value. */
  simulcast: string | undefined;
  /** Lines that did not parse (skipped). */
  malformed: number;
}

/** Reads an audio/video section. `sessionDirection`: the session-level direction, if any. */
export function readRtpSection(m: SdpMedia, sessionDirection: Direction = "sendrecv"): RtpSectionInfo {
  const codecs = new Map<number, RtpCodec>();
  for (const f of m.formats) {
    const pt = Number(f);
    if (Number.isInteger(pt) && pt >= 0 && pt <= 127 && /^[0-9]+$/.test(f)) {
      codecs.set(pt, {
        payloadType: pt,
        name: undefined,
        clockRate: undefined,
        channels: undefined,
        parameters: new Map(),
        feedback: [],
      });
    }
  }
  const info: RtpSectionInfo = {
    kind: m.kind,
    mid: getAttribute(m.attributes, "mid"),
    direction: findDirection(m.attributes) ?? sessionDirection,
    rtcpMux: false,
    rtcpRsize: false,
    codecs: [],
    wildcardFeedback: [],
    extensions: [],
    extmapAllowMixed: false,
    msids: [],
    ssrcs: new Map(),
    ssrcGroups: [],
    rids: [],
    simulcast: undefined,
    malformed: 0,
  };
  for (const a of m.attributes) {
    const v = a.value ?? "";
    switch (a.key) {
      case "rtcp-mux":
        info.rtcpMux = true;
        break;
      case "rtcp-rsize":
        info.rtcpRsize = true;
        break;
      case "extmap-allow-mixed":
        info.extmapAllowMixed = true;
        break;
      case "rtpmap": {
        const r = parseRtpmap(v);
        const c = r ? codecs.get(r.payloadType) : undefined;
        if (!r || !c) info.malformed++;
        else {
          c.name = r.encodingName;
          c.clockRate = r.clockRate;
          c.channels = r.channels;
        }
        break;
      }
      case "fmtp": {
        const f = parseFmtp(v);
        const c = f ? codecs.get(Number(f.format)) : undefined;
        if (!f || !c) info.malformed++;
        else for (const [k, val] of f.params) c.parameters.set(k, val);
        break;
      }
      case "rtcp-fb": {
        const fb = parseRtcpFb(v);
        if (!fb) info.malformed++;
        else if (fb.format === "*") info.wildcardFeedback.push(fb);
        else {
          const c = codecs.get(Number(fb.format));
          if (c) c.feedback.push(fb);
          else info.malformed++;
        }
        break;
      }
      case "extmap": {
        const e = parseExtmap(v);
        if (e) info.extensions.push(e);
        else info.malformed++;
        break;
      }
      case "msid": {
        const x = parseMsid(v);
        if (x) info.msids.push(x);
        else info.malformed++;
        break;
      }
      case "ssrc": {
        const x = parseSsrc(v);
        if (!x) {
          info.malformed++;
          break;
        }
        let list = info.ssrcs.get(x.ssrc);
        if (!list) info.ssrcs.set(x.ssrc, (list = []));
        list.push({ attribute: x.attribute, value: x.value });
        break;
      }
      case "ssrc-group": {
        const g = parseSsrcGroup(v);
        if (g) info.ssrcGroups.push(g);
        else info.malformed++;
        break;
      }
      case "rid":
        info.rids.push(v);
        break;
      case "simulcast":
        info.simulcast = v;
        break;
    }
  }
  info.codecs = [...codecs.values()];
  return info;
}
