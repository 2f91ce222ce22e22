// Runs the ICE scenarios against libdatachannel (libjuice) and werift in a child process (see
// stacks.test.ts): with DTLS left unfinished (dummy fingerprint), libdatachannel's native teardown
// can crash the process and werift keeps it alive for ~30 s, so this process prints one
// "RESULT <json>" line per scenario and then kills itself.
import ndc from "node-datachannel";
import { RTCPeerConnection as WeriftPeerConnection } from "werift";
import type { IceEvent } from "../../src/ice/index.js";
import type { UdpDriver } from "../../src/net/index.js";
import { connected, parseSdp, sdpFor, startOurs, waitFor } from "./stack-helpers.js";

const drivers: UdpDriver<IceEvent>[] = [];

function makePc(): { pc: ndc.PeerConnection; local: () => Promise<string> } {
  const pc = new ndc.PeerConnection("petrel-ice", { iceServers: [], bindAddress: "127.0.0.1" });
  // Polled rather than through callbacks: no native-to-JS callback can outlive the process.
  const local = async () => {
    await waitFor(() => pc.gatheringState() === "complete", "libdatachannel gathering");
    return pc.localDescription()!.sdp;
  };
  return { pc, local };
}

async function theyOffer(): Promise<object> {
  const { pc, local } = makePc();
  pc.createDataChannel("x");
  const theirs = parseSdp(await local());
  const ours = await startOurs(false, drivers);
  ours.feed(theirs);
  const { ufrag, pwd } = ours.agent.localCredentials;
  pc.setRemoteDescription(sdpFor("answer", ufrag, pwd, ours.lines), "answer");
  await waitFor(() => connected(ours.agent.state) && connected(pc.iceState()), "both connected");
  return {
    theirs: pc.getSelectedCandidatePair(),
    ours: ours.agent.getSelectedPair(),
    controlling: ours.agent.controlling,
  };
}

async function weOffer(): Promise<object> {
  const ours = await startOurs(true, drivers);
  const { pc, local } = makePc();
  const { ufrag, pwd } = ours.agent.localCredentials;
  pc.setRemoteDescription(sdpFor("offer", ufrag, pwd, ours.lines), "offer");
  ours.feed(parseSdp(await local()));
  await waitFor(() => connected(ours.agent.state) && connected(pc.iceState()), "both connected");
  return {
    theirs: pc.getSelectedCandidatePair(),
    ours: ours.agent.getSelectedPair(),
    controlling: ours.agent.controlling,
  };
}

function weriftPc(): WeriftPeerConnection {
  return new WeriftPeerConnection({ iceServers: [], iceUseIpv6: false, iceAdditionalHostAddresses: ["127.0.0.1"] });
}
async function weriftLocal(pc: WeriftPeerConnection): Promise<{ ufrag: string; pwd: string; candidates: string[] }> {
  await waitFor(() => pc.iceGatheringState === "complete", "werift gathering");
  const s = parseSdp(pc.localDescription!.sdp);
  return { ...s, candidates: s.candidates.filter((c) => c.includes(" 127.0.0.1 ")) };
}

async function weriftOffers(): Promise<object> {
  const pc = weriftPc();
  pc.createDataChannel("x");
  await pc.setLocalDescription(await pc.createOffer());
  const theirs = await weriftLocal(pc);
  const ours = await startOurs(false, drivers);
  ours.feed(theirs);
  const { ufrag, pwd } = ours.agent.localCredentials;
  await pc.setRemoteDescription({ type: "answer", sdp: sdpFor("answer", ufrag, pwd, ours.lines) });
  await waitFor(() => connected(ours.agent.state) && connected(pc.iceConnectionState), "both connected");
  return { theirState: pc.iceConnectionState, ours: ours.agent.getSelectedPair(), controlling: ours.agent.controlling };
}

async function weriftAnswers(): Promise<object> {
  const ours = await startOurs(true, drivers);
  const pc = weriftPc();
  const { ufrag, pwd } = ours.agent.localCredentials;
  await pc.setRemoteDescription({ type: "offer", sdp: sdpFor("offer", ufrag, pwd, ours.lines) });
  await pc.setLocalDescription(await pc.createAnswer());
  ours.feed(await weriftLocal(pc));
  await waitFor(() => connected(ours.agent.state) && connected(pc.iceConnectionState), "both connected");
  return { theirState: pc.iceConnectionState, ours: ours.agent.getSelectedPair(), controlling: ours.agent.controlling };
}

for (const [name, run] of [
  ["ndc-offers", theyOffer],
  ["ndc-answers", weOffer],
  ["werift-offers", weriftOffers],
  ["werift-answers", weriftAnswers],
] as const) {
  try {
    process.stdout.write(`RESULT ${JSON.stringify({ name, ok: true, ...(await run()) })}\n`);
  } catch (e) {
    process.stdout.write(`RESULT ${JSON.stringify({ name, ok: false, error: String(e) })}\n`);
  }
}
process.kill(process.pid, "SIGKILL");
