// ICE against a real browser: headless Chromium and our IceAgent on real UDP sockets (UdpDriver)
// on this machine's interface addresses (Chrome gathers no loopback candidates). Only ICE is exercised: the SDP carries a dummy DTLS fingerprint, so DTLS never
// completes, but Chrome's iceConnectionState and selected pair show whether ICE worked.
// 1. Chrome offers (controlling, regular nomination), we answer (controlled).
// 2. We offer (controlling: we nominate), Chrome answers; its DTLS ClientHello reaches us as data.
// 3. Chrome hides its addresses behind mDNS names we cannot resolve: we still connect (prflx).
// 4. ICE restart both ways: Chrome restarts (restartIce) and we follow; we restart and Chrome
//    follows. A pair of the new generation is selected, consent holds, nobody disconnects.
// Skips without Chromium (fails under PETREL_REQUIRE_INTEROP=1).
import assert from "node:assert/strict";
import { after, describe, it, type TestContext } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { IceAgent, type IceEvent } from "../../src/ice/index.js";
import { UdpDriver } from "../../src/net/index.js";
import { CHROMIUM_ARGS, CHROMIUM_PATHS, requireTool } from "../interop/tools.js";

const FINGERPRINT =
  "sha-256 0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9";

function sdpFor(type: "offer" | "answer", ufrag: string, pwd: string, candidates: string[]): string {
  return [
    "v=0",
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0",
    "a=msid-semantic: WMS",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
    "c=IN IP4 0.0.0.0",
    `a=ice-ufrag:${ufrag}`,
    `a=ice-pwd:${pwd}`,
    "a=ice-options:trickle",
    `a=fingerprint:${FINGERPRINT}`,
    `a=setup:${type === "offer" ? "actpass" : "active"}`,
    "a=mid:0",
    "a=sctp-port:5000",
    "a=max-message-size:262144",
    ...candidates.map((c) => `a=${c}`),
    "a=end-of-candidates",
    "",
  ].join("\r\n");
}

function parseSdp(sdp: string): { ufrag: string; pwd: string; candidates: string[] } {
  const lines = sdp.split(/\r?\n/);
  const get = (p: string) => lines.find((l) => l.startsWith(p))?.slice(p.length) ?? "";
  return {
    ufrag: get("a=ice-ufrag:"),
    pwd: get("a=ice-pwd:"),
    candidates: lines.filter((l) => l.startsWith("a=candidate:")).map((l) => l.slice(2)),
  };
}

interface Ours {
  agent: IceAgent;
  driver: UdpDriver<IceEvent>;
  events: IceEvent[];
  lines: string[];
  waitFor(pred: () => boolean, what: string, ms?: number): Promise<void>;
}

async function startOurs(controlling: boolean): Promise<Ours> {
  // Consent every ~1 s so that the tests see it work within their few seconds.
  const agent = new IceAgent({ controlling, ta: 20, consentInterval: 1000 });
  const events: IceEvent[] = [];
  const lines: string[] = [];
  const driver = new UdpDriver<IceEvent>(agent, {
    unref: true,
    onBound: (b, now) => {
      agent.addLocalAddress(b.address, now);
    },
    onEvent: (e) => {
      events.push(e);
      if (e.type === "candidate") lines.push(e.line);
      if (e.type === "mdns-query") {
        // Pretend the multicast lookup failed: the connection must come through prflx.
        agent.resolveMdns(e.name, undefined, driver.now());
        driver.kick();
      }
    },
  });
  await driver.start();
  agent.endOfLocalAddresses(driver.now());
  driver.kick();
  await new Promise((r) => setTimeout(r, 10));
  const waitFor = async (pred: () => boolean, what: string, ms = 5000): Promise<void> => {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what} (state ${agent.state})`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { agent, driver, events, lines, waitFor };
}

const connected = (s: string) => s === "connected" || s === "completed";

async function chromeSelectedPair(page: Page): Promise<{ state: string; local: string; remote: string }> {
  return page.evaluate(async () => {
    const pc = (globalThis as unknown as { pc: RTCPeerConnection }).pc;
    const stats = (await pc.getStats()) as unknown as Map<string, Record<string, string>>;
    let pairId = "";
    for (const s of stats.values()) {
      if (s.type === "transport" && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
    }
    const pair = stats.get(pairId);
    const l = pair ? stats.get(pair.localCandidateId!) : undefined;
    const r = pair ? stats.get(pair.remoteCandidateId!) : undefined;
    return {
      state: pc.iceConnectionState,
      local: l ? `${l.address}:${l.port}` : "",
      remote: r ? `${r.address}:${r.port}` : "",
    };
  });
}

describe("ICE with headless Chromium", () => {
  const browsers: Browser[] = [];
  const drivers: UdpDriver<IceEvent>[] = [];
  after(async () => {
    for (const d of drivers) d.close();
    for (const b of browsers) await b.close();
  });

  async function open(t: TestContext, hideIps: boolean): Promise<Page | undefined> {
    const path = requireTool(t, "chromium", CHROMIUM_PATHS);
    if (!path) return undefined;
    const args = hideIps ? CHROMIUM_ARGS : [...CHROMIUM_ARGS, "--disable-features=WebRtcHideLocalIpsWithMdns"];
    const browser = await chromium.launch({ executablePath: path, args });
    browsers.push(browser);
    return browser.newPage();
  }

  for (const hideIps of [false, true]) {
    it(`Chrome offers and controls; we answer${hideIps ? " (Chrome's addresses hidden by mDNS)" : ""}`, async (t) => {
      const page = await open(t, hideIps);
      if (!page) return;
      const offer = await page.evaluate(async () => {
        const pc = new RTCPeerConnection();
        (globalThis as unknown as { pc: RTCPeerConnection }).pc = pc;
        pc.createDataChannel("x");
        await pc.setLocalDescription(await pc.createOffer());
        await new Promise<void>((resolve) => {
          if (pc.iceGatheringState === "complete") resolve();
          pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && resolve();
          setTimeout(resolve, 3000);
        });
        return pc.localDescription!.sdp;
      });
      const chrome = parseSdp(offer);
      assert.ok(chrome.candidates.length > 0, offer);
      const ours = await startOurs(false);
      drivers.push(ours.driver);
      const now = ours.driver.now();
      ours.agent.setRemoteCredentials(chrome.ufrag, chrome.pwd, now);
      for (const c of chrome.candidates) ours.agent.addRemoteCandidate(c, now);
      ours.agent.addRemoteCandidate(null, now);
      ours.driver.kick();
      const { ufrag, pwd } = ours.agent.localCredentials;
      await page.evaluate(
        (sdp) => (globalThis as unknown as { pc: RTCPeerConnection }).pc.setRemoteDescription({ type: "answer", sdp }),
        sdpFor("answer", ufrag, pwd, ours.lines),
      );
      await ours.waitFor(() => connected(ours.agent.state), "our agent to connect");
      await page.waitForFunction(
        () => (globalThis as unknown as { pc: RTCPeerConnection }).pc.iceConnectionState === "connected",
        undefined,
        { timeout: 5000 },
      );
      const sel = await chromeSelectedPair(page);
      const mine = ours.agent.getSelectedPair()!;
      assert.equal(sel.remote, `${mine.local.address}:${mine.local.port}`);
      if (!hideIps) assert.equal(sel.local, `${mine.remote.address}:${mine.remote.port}`);
      assert.equal(ours.agent.controlling, false);
      if (hideIps) {
        assert.equal(mine.remote.type, "prflx");
        assert.ok((ours.agent.stats.dropped["mdns-unresolved"] ?? 0) >= 1);
      } else {
        assert.equal(mine.remote.type, "host");
      }
      assert.equal(ours.agent.stats.dropped["bad-integrity"] ?? 0, 0);
      if (hideIps) return;

      // ICE restart initiated by Chrome (restartIce): new credentials both ways, and the
      // connection carries on without Chrome ever reporting disconnected or failed.
      const offer2 = await page.evaluate(async () => {
        const g = globalThis as unknown as { pc: RTCPeerConnection; iceStates: string[] };
        const pc = g.pc;
        g.iceStates = [];
        pc.addEventListener("iceconnectionstatechange", () => g.iceStates.push(pc.iceConnectionState));
        // Gathering of the new generation ends with a null candidate (the state may still read
        // "complete" from the previous generation right after setLocalDescription).
        const done = new Promise<void>((resolve) => {
          pc.addEventListener("icecandidate", (e) => e.candidate === null && resolve());
          setTimeout(resolve, 3000);
        });
        pc.restartIce();
        await pc.setLocalDescription(await pc.createOffer());
        await done;
        return pc.localDescription!.sdp;
      });
      const chrome2 = parseSdp(offer2);
      assert.notEqual(chrome2.ufrag, chrome.ufrag);
      assert.ok(chrome2.candidates.length > 0, offer2);
      const linesBefore = ours.lines.length;
      const now2 = ours.driver.now();
      ours.agent.restart(now2);
      ours.agent.setRemoteCredentials(chrome2.ufrag, chrome2.pwd, now2);
      for (const c of chrome2.candidates) ours.agent.addRemoteCandidate(c, now2);
      ours.agent.addRemoteCandidate(null, now2);
      ours.driver.kick();
      await ours.waitFor(() => ours.lines.length > linesBefore, "our new candidates");
      const creds2 = ours.agent.localCredentials;
      assert.notEqual(creds2.ufrag, ufrag);
      await page.evaluate(
        (sdp) => (globalThis as unknown as { pc: RTCPeerConnection }).pc.setRemoteDescription({ type: "answer", sdp }),
        sdpFor("answer", creds2.ufrag, creds2.pwd, ours.lines.slice(linesBefore)),
      );
      try {
        await ours.waitFor(
          () => ours.agent.stats.selectedPairChanges === 2 && connected(ours.agent.state),
          "a pair of the new generation",
        );
      } catch (e) {
        if (process.env.DEBUG_ICE) {
          console.log(JSON.stringify(ours.agent.stats), JSON.stringify(ours.agent.getPairStats(), null, 1));
          console.log(
            await page.evaluate(async () => {
              const pc = (globalThis as unknown as { pc: RTCPeerConnection }).pc;
              const out: unknown[] = [];
              (await pc.getStats()).forEach((s) => {
                if (s.type === "candidate-pair" || s.type === "transport") out.push(s);
              });
              return JSON.stringify(out, null, 1);
            }),
          );
        }
        throw e;
      }
      await page.waitForFunction(
        () => (globalThis as unknown as { pc: RTCPeerConnection }).pc.iceConnectionState === "connected",
        undefined,
        { timeout: 5000 },
      );
      // Consent on the new pair holds for a few intervals (both ways).
      const consentBefore = ours.agent.stats.consentRequestsSent;
      await new Promise((r) => setTimeout(r, 3000));
      assert.ok(ours.agent.stats.consentRequestsSent >= consentBefore + 2);
      assert.ok(connected(ours.agent.state), ours.agent.state);
      assert.ok(!ours.events.some((e) => e.type === "state" && e.state === "disconnected"));
      const iceStates = await page.evaluate(() => (globalThis as unknown as { iceStates: string[] }).iceStates);
      assert.ok(!iceStates.includes("failed") && !iceStates.includes("disconnected"), iceStates.join(","));
      const sel2 = await chromeSelectedPair(page);
      const mine2 = ours.agent.getSelectedPair()!;
      assert.equal(sel2.remote, `${mine2.local.address}:${mine2.local.port}`);
      assert.equal(mine2.remote.ufrag ?? chrome2.ufrag, chrome2.ufrag);
      assert.equal(ours.agent.stats.dropped["bad-integrity"] ?? 0, 0);
    });
  }

  it("we offer and control (regular nomination); Chrome answers and its DTLS ClientHello reaches us", async (t) => {
    const page = await open(t, false);
    if (!page) return;
    const ours = await startOurs(true);
    drivers.push(ours.driver);
    const { ufrag, pwd } = ours.agent.localCredentials;
    const answer = await page.evaluate(
      async (sdp) => {
        const pc = new RTCPeerConnection();
        (globalThis as unknown as { pc: RTCPeerConnection }).pc = pc;
        await pc.setRemoteDescription({ type: "offer", sdp });
        await pc.setLocalDescription(await pc.createAnswer());
        await new Promise<void>((resolve) => {
          if (pc.iceGatheringState === "complete") resolve();
          pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && resolve();
          setTimeout(resolve, 3000);
        });
        return pc.localDescription!.sdp;
      },
      sdpFor("offer", ufrag, pwd, ours.lines),
    );
    const chrome = parseSdp(answer);
    const now = ours.driver.now();
    ours.agent.setRemoteCredentials(chrome.ufrag, chrome.pwd, now);
    for (const c of chrome.candidates) ours.agent.addRemoteCandidate(c, now);
    ours.agent.addRemoteCandidate(null, now);
    ours.driver.kick();
    await ours.waitFor(() => connected(ours.agent.state), "our agent to connect");
    await page.waitForFunction(
      () => (globalThis as unknown as { pc: RTCPeerConnection }).pc.iceConnectionState === "connected",
      undefined,
      { timeout: 5000 },
    );
    // Chrome answered setup:active, so it is the DTLS client: its ClientHello (content type 22)
    // arrives on the selected pair and is handed up as data.
    await ours.waitFor(
      () => ours.events.some((e) => e.type === "data" && e.data[0] === 22),
      "Chrome's DTLS ClientHello",
    );
    // Chrome may start sending on a pair it validated first; as the controlled side it moves to
    // the pair we nominated once its own check on it succeeds.
    const mine = ours.agent.getSelectedPair()!;
    let sel = await chromeSelectedPair(page);
    for (let i = 0; i < 100 && sel.remote !== `${mine.local.address}:${mine.local.port}`; i++) {
      await new Promise((r) => setTimeout(r, 50));
      sel = await chromeSelectedPair(page);
    }
    assert.equal(sel.remote, `${mine.local.address}:${mine.local.port}`);
    assert.equal(sel.local, `${mine.remote.address}:${mine.remote.port}`);
    assert.equal(ours.agent.controlling, true);
    const pairs = ours.agent.getPairStats().filter((p) => p.nominated);
    assert.equal(pairs.length, 1);
    assert.ok(pairs[0]!.responsesReceived >= 1);
    assert.ok(pairs[0]!.currentRoundTripTime !== undefined && pairs[0]!.currentRoundTripTime < 1);

    // We restart ICE (a new offer with new credentials); Chrome answers with its own new ones.
    const linesBefore = ours.lines.length;
    ours.agent.restart(ours.driver.now());
    ours.driver.kick();
    await ours.waitFor(() => ours.lines.length > linesBefore, "our new candidates");
    const creds2 = ours.agent.localCredentials;
    const answer2 = await page.evaluate(
      async (sdp) => {
        const g = globalThis as unknown as { pc: RTCPeerConnection; iceStates: string[] };
        const pc = g.pc;
        g.iceStates = [];
        pc.addEventListener("iceconnectionstatechange", () => g.iceStates.push(pc.iceConnectionState));
        const done = new Promise<void>((resolve) => {
          pc.addEventListener("icecandidate", (e) => e.candidate === null && resolve());
          setTimeout(resolve, 3000);
        });
        await pc.setRemoteDescription({ type: "offer", sdp });
        await pc.setLocalDescription(await pc.createAnswer());
        await done;
        return pc.localDescription!.sdp;
      },
      sdpFor("offer", creds2.ufrag, creds2.pwd, ours.lines.slice(linesBefore)),
    );
    const chrome2 = parseSdp(answer2);
    assert.notEqual(chrome2.ufrag, chrome.ufrag);
    const now2 = ours.driver.now();
    ours.agent.setRemoteCredentials(chrome2.ufrag, chrome2.pwd, now2);
    for (const c of chrome2.candidates) ours.agent.addRemoteCandidate(c, now2);
    ours.agent.addRemoteCandidate(null, now2);
    ours.driver.kick();
    await ours.waitFor(() => ours.agent.stats.selectedPairChanges === 2, "a pair of the new generation");
    await new Promise((r) => setTimeout(r, 2500));
    assert.ok(connected(ours.agent.state), ours.agent.state);
    assert.ok(!ours.events.some((e) => e.type === "state" && e.state === "disconnected"));
    const iceStates = await page.evaluate(() => (globalThis as unknown as { iceStates: string[] }).iceStates);
    assert.ok(!iceStates.includes("failed") && !iceStates.includes("disconnected"), iceStates.join(","));
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as { pc: RTCPeerConnection }).pc.iceConnectionState),
      "connected",
    );
  });
});
