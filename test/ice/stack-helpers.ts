// Helpers shared by the ICE interop tests against other stacks (stacks.test.ts and the
// libdatachannel child process, ndc-peer.ts): a minimal data-channel SDP carrying our ICE
// credentials and candidates, an SDP reader for the other side's, and our agent on real UDP.
import { IceAgent, type IceEvent } from "../../src/ice/index.js";
import { UdpDriver } from "../../src/net/index.js";

export const FINGERPRINT =
  "sha-256 0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9";

export function sdpFor(type: "offer" | "answer", ufrag: string, pwd: string, candidates: string[]): string {
  return [
    "v=0",
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
    "c=IN IP4 0.0.0.0",
    `a=ice-ufrag:${ufrag}`,
    `a=ice-pwd:${pwd}`,
    `a=fingerprint:${FINGERPRINT}`,
    `a=setup:${type === "offer" ? "actpass" : "active"}`,
    "a=mid:0",
    "a=sctp-port:5000",
    ...candidates.map((c) => `a=${c}`),
    "a=end-of-candidates",
    "",
  ].join("\r\n");
}

export function parseSdp(sdp: string): { ufrag: string; pwd: string; candidates: string[] } {
  const lines = sdp.split(/\r?\n/);
  const get = (p: string) => lines.find((l) => l.startsWith(p))?.slice(p.length) ?? "";
  return {
    ufrag: get("a=ice-ufrag:"),
    pwd: get("a=ice-pwd:"),
    candidates: lines.filter((l) => l.startsWith("a=candidate:")).map((l) => l.slice(2)),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export async function waitFor(pred: () => boolean, what: string, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
export const connected = (s: string) => s === "connected" || s === "completed";

export async function startOurs(controlling: boolean, drivers: UdpDriver<IceEvent>[]) {
  const agent = new IceAgent({ controlling, ta: 20 });
  const lines: string[] = [];
  const driver = new UdpDriver<IceEvent>(agent, {
    addresses: ["127.0.0.1"],
    unref: true,
    onBound: (b, now) => {
      agent.addLocalAddress(b.address, now);
    },
    onEvent: (e) => {
      if (e.type === "candidate") lines.push(e.line);
    },
  });
  drivers.push(driver);
  await driver.start();
  agent.endOfLocalAddresses(driver.now());
  driver.kick();
  await sleep(5);
  const feed = (remote: { ufrag: string; pwd: string; candidates: string[] }) => {
    const now = driver.now();
    agent.setRemoteCredentials(remote.ufrag, remote.pwd, now);
    for (const c of remote.candidates) agent.addRemoteCandidate(c, now);
    agent.addRemoteCandidate(null, now);
    driver.kick();
  };
  return { agent, driver, lines, feed };
}
