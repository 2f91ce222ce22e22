// Candidate lines (RFC 8839 5.1 plus browser extensions): every a=candidate line captured from
// Chromium and Firefox round-trips byte for byte; srflx/relay/tcp forms; rejection of malformed
// lines; priorities per RFC 8445 5.1.2 with distinct local preferences.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  candidatePriority,
  formatCandidate,
  isMdnsName,
  isUdp,
  localPreference,
  parseCandidate,
} from "../../src/ice/index.js";

const lines = readFileSync("test/fixtures/ice/browser-candidates.txt", "utf8")
  .split("\n")
  .filter((l) => l.startsWith("chromium") || l.startsWith("firefox"))
  .map((l) => l.split("\t") as [string, string]);

test("every browser candidate line round-trips exactly", () => {
  assert.ok(lines.length > 100);
  for (const [file, line] of lines) {
    const c = parseCandidate(line);
    assert.ok(c, `${file}: ${line}`);
    assert.equal(`a=${formatCandidate(c)}`, line, file);
  }
});

test("Chrome and Firefox fields are parsed", () => {
  const chrome = parseCandidate(
    "a=candidate:1133758485 1 tcp 1518288127 ::1 9 typ host tcptype active generation 0 network-id 4 network-cost 50",
  )!;
  assert.equal(chrome.foundation, "1133758485");
  assert.equal(chrome.protocol, "tcp");
  assert.equal(isUdp(chrome), false);
  assert.equal(chrome.tcpType, "active");
  assert.equal(chrome.generation, 0);
  assert.equal(chrome.networkId, 4);
  assert.equal(chrome.networkCost, 50);
  const ff = parseCandidate("candidate:0 1 UDP 2122187007 3bd84cde-e727-47dc-b338-83aeceae0da9.local 48202 typ host")!;
  assert.equal(ff.protocol, "UDP");
  assert.ok(isUdp(ff));
  assert.ok(isMdnsName(ff.address));
  assert.equal(ff.priority, 2122187007);
  const srflx =
    "candidate:842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx raddr 192.168.1.5 rport 61665 generation 0 ufrag EsAw network-id 1 network-cost 10";
  const s = parseCandidate(srflx)!;
  assert.equal(s.type, "srflx");
  assert.equal(s.relatedAddress, "192.168.1.5");
  assert.equal(s.relatedPort, 61665);
  assert.equal(s.ufrag, "EsAw");
  assert.equal(formatCandidate(s), srflx);
  const ext = "candidate:1 1 udp 1 198.51.100.1 3478 typ relay raddr 0.0.0.0 rport 0 x-custom value";
  assert.equal(formatCandidate(parseCandidate(ext)!), ext);
  // A trailing CRLF and the a= prefix are tolerated.
  assert.ok(parseCandidate("a=candidate:1 1 udp 1 1.2.3.4 5 typ host\r\n"));
});

test("malformed candidate lines are rejected", () => {
  const bad = [
    "",
    "candidate:",
    "candidate:1 1 udp 1 1.2.3.4 5 host",
    "candidate:1 1 udp 1 1.2.3.4 5 typ bogus",
    "candidate:1 0 udp 1 1.2.3.4 5 typ host",
    "candidate:1 1 udp 99999999999 1.2.3.4 5 typ host",
    "candidate:1 1 udp 1 1.2.3.4 70000 typ host",
    "candidate:1 1 udp 1 1.2.3.4 5 typ host generation",
    "candidate:1 1 udp 1 1.2.3.4 5 typ host rport x",
    "candidate:1 1 udp 1 1.2.3.4 5 typ host tcptype sideways",
    "candidate:f@o 1 udp 1 1.2.3.4 5 typ host",
    "m=audio 9 UDP/TLS/RTP/SAVPF 0",
  ];
  for (const l of bad) assert.equal(parseCandidate(l), undefined, l);
});

test("priorities: type preference, distinct local preferences, IPv6 above IPv4", () => {
  assert.equal(candidatePriority("host", 65535, 1), 2130706431);
  assert.equal(candidatePriority("srflx", 65535, 1), 1694498815);
  assert.equal(candidatePriority("relay", 0, 1), 255);
  const v6a = localPreference(true, 0);
  const v6b = localPreference(true, 1);
  const v4a = localPreference(false, 0);
  const v4b = localPreference(false, 1);
  assert.ok(v6a > v6b && v6b > v4a && v4a > v4b);
  const p = new Set([v6a, v6b, v4a, v4b].map((lp) => candidatePriority("host", lp)));
  assert.equal(p.size, 4);
  assert.ok(candidatePriority("host", 0) > candidatePriority("prflx", 65535));
  assert.ok(candidatePriority("prflx", 0) > candidatePriority("srflx", 65535));
});
