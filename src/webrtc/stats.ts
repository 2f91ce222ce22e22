// getStats() (webrtc-pc 8, webrtc-stats): an RTCStatsReport (a Map of id -> stats dictionary)
// with the peer-connection, data-channel, transport, candidate-pair, local-candidate,
// remote-candidate and certificate objects, read from the Peer core and its layers.
import { createHash, X509Certificate } from "node:crypto";
import type { Peer } from "../peer/peer.js";
import { RTCIceCandidate } from "./candidate.js";
import type { RTCCertificate } from "./certificate.js";
import type { RTCDataChannel } from "./datachannel.js";

export type RTCStats = Record<string, unknown> & { id: string; type: string; timestamp: number };
export type RTCStatsReport = Map<string, RTCStats>;

export interface StatsInput {
  peer: Peer;
  channels: Map<number, RTCDataChannel>;
  certificate: RTCCertificate;
  remoteCertificate: Uint8Array | undefined;
  timestamp: number;
  dataChannelsOpened: number;
  dataChannelsClosed: number;
  iceRole: "controlling" | "controlled" | "unknown";
  selectedPair: { local: string; remote: string } | null;
}

function num(o: Record<string, unknown> | undefined, key: string): number {
  const v = o?.[key];
  return typeof v === "number" ? v : 0;
}

function candidateStats(id: string, line: string, transportId: string, timestamp: number, type: string): RTCStats {
  const c = new RTCIceCandidate({ candidate: line, sdpMLineIndex: 0 });
  return {
    id,
    type,
    timestamp,
    transportId,
    address: c.address,
    port: c.port,
    protocol: c.protocol,
    candidateType: c.type,
    priority: c.priority,
    foundation: c.foundation,
    usernameFragment: c.usernameFragment,
    relatedAddress: c.relatedAddress,
    relatedPort: c.relatedPort,
    tcpType: c.tcpType,
  };
}

function certificateStats(id: string, der: Uint8Array, timestamp: number): RTCStats {
  const hex = createHash("sha256").update(der).digest("hex").toUpperCase();
  let issuerCertificateId: string | undefined;
  try {
    const x = new X509Certificate(der);
    if (x.issuer !== x.subject) issuerCertificateId = undefined;
  } catch {
    // not parseable: still report the fingerprint
  }
  const s: RTCStats = {
    id,
    type: "certificate",
    timestamp,
    fingerprint: hex.match(/../g)!.join(":"),
    fingerprintAlgorithm: "sha-256",
    base64Certificate: Buffer.from(der).toString("base64"),
  };
  if (issuerCertificateId) s.issuerCertificateId = issuerCertificateId;
  return s;
}

export function buildStats(input: StatsInput): RTCStatsReport {
  const { peer, timestamp } = input;
  const report: RTCStatsReport = new Map();
  report.set("P", {
    id: "P",
    type: "peer-connection",
    timestamp,
    dataChannelsOpened: input.dataChannelsOpened,
    dataChannelsClosed: input.dataChannelsClosed,
  });
  for (const ch of input.channels.values()) {
    const id = `D${ch.handle}`;
    const c = ch.counters;
    report.set(id, {
      id,
      type: "data-channel",
      timestamp,
      label: ch.label,
      protocol: ch.protocol,
      dataChannelIdentifier: ch.id ?? undefined,
      state: ch.readyState,
      messagesSent: c.messagesSent,
      bytesSent: c.bytesSent,
      messagesReceived: c.messagesReceived,
      bytesReceived: c.bytesReceived,
    });
  }
  const ice = peer.ice.stats();
  const transportId = "T01";
  const localCertId = "CFlocal";
  const remoteCertId = "CFremote";
  report.set(localCertId, certificateStats(localCertId, input.certificate.material.der, timestamp));
  if (input.remoteCertificate)
    report.set(remoteCertId, certificateStats(remoteCertId, input.remoteCertificate, timestamp));
  const localIds = new Map<string, string>();
  peer.ice.localCandidates().forEach((line, i) => {
    const id = `I-local-${i}`;
    localIds.set(line, id);
    report.set(id, candidateStats(id, line, transportId, timestamp, "local-candidate"));
  });
  const remoteIds = new Map<string, string>();
  peer.ice.remoteCandidates().forEach((line, i) => {
    const id = `I-remote-${i}`;
    remoteIds.set(line, id);
    report.set(id, candidateStats(id, line, transportId, timestamp, "remote-candidate"));
  });
  let selectedId: string | undefined;
  const sel = input.selectedPair;
  if (sel) {
    selectedId = "CP-selected";
    const localCandidateId = localIds.get(sel.local) ?? "I-local-selected";
    const remoteCandidateId = remoteIds.get(sel.remote) ?? "I-remote-selected";
    if (!localIds.has(sel.local)) {
      report.set(
        localCandidateId,
        candidateStats(localCandidateId, sel.local, transportId, timestamp, "local-candidate"),
      );
    }
    if (!remoteIds.has(sel.remote)) {
      report.set(
        remoteCandidateId,
        candidateStats(remoteCandidateId, sel.remote, transportId, timestamp, "remote-candidate"),
      );
    }
    const pair = (ice.selectedPair ?? {}) as Record<string, unknown>;
    const rtt = pair.currentRoundTripTime ?? pair.rtt;
    report.set(selectedId, {
      id: selectedId,
      type: "candidate-pair",
      timestamp,
      transportId,
      localCandidateId,
      remoteCandidateId,
      state: "succeeded",
      nominated: true,
      packetsSent: num(pair, "packetsSent"),
      packetsReceived: num(pair, "packetsReceived"),
      bytesSent: num(pair, "bytesSent") || num(ice, "bytesSent"),
      bytesReceived: num(pair, "bytesReceived") || num(ice, "bytesReceived"),
      requestsSent: num(pair, "requestsSent"),
      requestsReceived: num(pair, "requestsReceived"),
      responsesSent: num(pair, "responsesSent"),
      responsesReceived: num(pair, "responsesReceived"),
      totalRoundTripTime: num(pair, "totalRoundTripTime"),
      currentRoundTripTime: typeof rtt === "number" ? rtt : undefined,
    });
  }
  const dtls = peer.dtls;
  report.set(transportId, {
    id: transportId,
    type: "transport",
    timestamp,
    bytesSent: num(ice, "bytesSent"),
    bytesReceived: num(ice, "bytesReceived"),
    packetsSent: num(ice, "packetsSent"),
    packetsReceived: num(ice, "packetsReceived"),
    iceRole: input.iceRole,
    iceLocalUsernameFragment: peer.localUfrag,
    iceState: peer.iceState,
    dtlsState: peer.dtlsState,
    dtlsRole: peer.dtlsRole ?? "unknown",
    tlsVersion: dtls && peer.dtlsState === "connected" ? "FEFD" : undefined,
    dtlsCipher: dtls?.cipherSuite(),
    selectedCandidatePairId: selectedId,
    localCertificateId: localCertId,
    remoteCertificateId: input.remoteCertificate ? remoteCertId : undefined,
  });
  return report;
}
