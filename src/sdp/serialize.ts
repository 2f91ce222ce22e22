// The structured SDP model to text (RFC 8866 section 5 and the line order of section 9):
// v o s i u e p c b t r z k a at session level, then per media section m i c b k a.
// CRLF after every line, including the last. Parsing then serialising text that already follows
// this order gives the identical text.
import type { SdpAttribute, SdpBandwidth, SdpConnection, SdpMedia, SessionDescription } from "./model.js";

export function serializeSdp(s: SessionDescription): string {
  const out: string[] = [];
  out.push(`v=${s.version}`);
  const o = s.origin;
  out.push(`o=${o.username} ${o.sessionId} ${o.sessionVersion} ${o.netType} ${o.addrType} ${o.address}`);
  out.push(`s=${s.sessionName}`);
  if (s.information !== undefined) out.push(`i=${s.information}`);
  if (s.uri !== undefined) out.push(`u=${s.uri}`);
  for (const e of s.emails) out.push(`e=${e}`);
  for (const p of s.phones) out.push(`p=${p}`);
  if (s.connection) out.push(connectionLine(s.connection));
  for (const b of s.bandwidths) out.push(bandwidthLine(b));
  for (const t of s.timings) {
    out.push(`t=${t.start} ${t.stop}`);
    for (const r of t.repeats) out.push(`r=${r}`);
  }
  if (s.zone !== undefined) out.push(`z=${s.zone}`);
  if (s.key !== undefined) out.push(`k=${s.key}`);
  for (const a of s.attributes) out.push(attributeLine(a));
  for (const m of s.media) pushMedia(out, m);
  out.push("");
  return out.join("\r\n");
}

/** One media section as text (used by tests and by callers that splice sections). */
export function serializeMedia(m: SdpMedia): string {
  const out: string[] = [];
  pushMedia(out, m);
  out.push("");
  return out.join("\r\n");
}

function pushMedia(out: string[], m: SdpMedia): void {
  const port = m.portCount === undefined ? `${m.port}` : `${m.port}/${m.portCount}`;
  out.push(
    m.formats.length ? `m=${m.kind} ${port} ${m.protocol} ${m.formats.join(" ")}` : `m=${m.kind} ${port} ${m.protocol}`,
  );
  if (m.title !== undefined) out.push(`i=${m.title}`);
  if (m.connection) out.push(connectionLine(m.connection));
  for (const b of m.bandwidths) out.push(bandwidthLine(b));
  if (m.key !== undefined) out.push(`k=${m.key}`);
  for (const a of m.attributes) out.push(attributeLine(a));
}

export function attributeLine(a: SdpAttribute): string {
  return a.value === undefined ? `a=${a.key}` : `a=${a.key}:${a.value}`;
}

function connectionLine(c: SdpConnection): string {
  return `c=${c.netType} ${c.addrType} ${c.address}`;
}

function bandwidthLine(b: SdpBandwidth): string {
  return `b=${b.type}:${b.value}`;
}
