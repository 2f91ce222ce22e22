// Our JSEP output against a real browser's SDP checks: headless Chromium accepts our offers
// (initial, with candidates, ICE restart) and our answers to its offers, and its answers to our
// offers read back through parseRemoteDescription. Only signaling: no packets are exchanged.
// Skips without Chromium (fails under PETREL_REQUIRE_INTEROP=1).
import assert from "node:assert/strict";
import { after, describe, it, type TestContext } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { SeededRandom } from "../../src/random.js";
import {
  addCandidateToSdp,
  addEndOfCandidates,
  createAnswer,
  createOffer,
  generateIceCredentials,
  parseRemoteDescription,
} from "../../src/sdp/index.js";
import { CHROMIUM_ARGS, CHROMIUM_PATHS, requireTool } from "../interop/tools.js";
import { answerState, offerState } from "./helpers.js";

describe("Chromium accepts Petrel's SDP", () => {
  let browser: Browser | undefined;
  let page: Page;
  after(async () => {
    await browser?.close();
  });

  async function open(t: TestContext): Promise<boolean> {
    const path = requireTool(t, "chromium", CHROMIUM_PATHS);
    if (!path) return false;
    if (!browser) {
      browser = await chromium.launch({ executablePath: path, args: CHROMIUM_ARGS });
      page = await browser.newPage();
    }
    return true;
  }

  /** Chrome as answerer: setRemoteDescription(offer), createAnswer, setLocalDescription. */
  async function chromeAnswers(offers: string[]): Promise<string[]> {
    return page.evaluate(async (list) => {
      const pc = new RTCPeerConnection();
      const answers: string[] = [];
      try {
        for (const sdp of list) {
          await pc.setRemoteDescription({ type: "offer", sdp });
          const a = await pc.createAnswer();
          await pc.setLocalDescription(a);
          answers.push(a.sdp ?? "");
        }
      } finally {
        pc.close();
      }
      return answers;
    }, offers);
  }

  it("answers our data-channel offer; its answer reads back as the DTLS client", async (t) => {
    if (!(await open(t))) return;
    const offer = createOffer(offerState(1));
    const [answer] = await chromeAnswers([offer]);
    const r = parseRemoteDescription(answer!, "answer", { offer });
    assert.ok(r.ok, r.ok ? "" : r.reason);
    assert.equal(r.description.setup, "active");
    assert.equal(r.description.dtlsRole, "server");
    assert.deepEqual(r.description.bundle, ["0"]);
    assert.equal(r.description.sctp?.port, 5000);
  });

  it("accepts our offer with candidates and end-of-candidates, then an ICE restart offer", async (t) => {
    if (!(await open(t))) return;
    const s = offerState(2);
    let offer = createOffer(s);
    offer = addCandidateToSdp(offer, "0", "candidate:1 1 udp 2122194687 192.0.2.1 50000 typ host generation 0");
    offer = addEndOfCandidates(offer);
    const fresh = generateIceCredentials(new SeededRandom(3));
    const restart = createOffer({ ...s, iceUfrag: fresh.ufrag, icePwd: fresh.pwd }, offer);
    const [a1, a2] = await chromeAnswers([offer, restart]);
    const r1 = parseRemoteDescription(a1!, "answer", { offer });
    const r2 = parseRemoteDescription(a2!, "answer", { offer: restart });
    assert.ok(r1.ok && r2.ok);
    // Chrome restarts its own ICE credentials when we restart ours.
    assert.notEqual(r1.description.iceUfrag, r2.description.iceUfrag);
  });

  it("accepts our answer to its data-channel offer (and to its audio/video/data offer)", async (t) => {
    if (!(await open(t))) return;
    const result = await page.evaluate(async () => {
      const out: string[] = [];
      for (const withMedia of [false, true]) {
        const pc = new RTCPeerConnection();
        pc.createDataChannel("x");
        if (withMedia) {
          pc.addTransceiver("audio");
          pc.addTransceiver("video");
        }
        const offer = await pc.createOffer();
        await pc.setLocalDescription(offer);
        out.push(offer.sdp ?? "");
        (globalThis as unknown as Record<string, RTCPeerConnection>)[`pc${out.length}`] = pc;
      }
      return out;
    });
    for (let i = 0; i < result.length; i++) {
      const offer = result[i]!;
      const r = parseRemoteDescription(offer, "offer");
      assert.ok(r.ok, r.ok ? "" : r.reason);
      const answer = createAnswer(offer, answerState(10 + i));
      const outcome = await page.evaluate(
        async ({ n, sdp }) => {
          const pc = (globalThis as unknown as Record<string, RTCPeerConnection>)[`pc${n}`]!;
          try {
            await pc.setRemoteDescription({ type: "answer", sdp });
            const state = pc.signalingState;
            const tr = pc.getTransceivers().map((x) => x.currentDirection);
            pc.close();
            return { ok: true, state, tr, error: "" };
          } catch (e) {
            pc.close();
            return { ok: false, state: "", tr: [], error: String(e) };
          }
        },
        { n: i + 1, sdp: answer },
      );
      assert.ok(outcome.ok, outcome.error);
      assert.equal(outcome.state, "stable");
      // Rejected (port 0) audio and video transceivers are stopped and removed by Chrome.
      if (i === 1) assert.deepEqual(outcome.tr, [], "rejected audio/video transceivers are removed");
    }
  });
});
