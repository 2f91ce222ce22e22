// Interop with headless Chromium when it hides its host addresses behind mDNS names (RFC 8828
// mode 2 / draft-ietf-mmusic-mdns-ice-candidates: no media permission, the default). Its
// candidates are `<uuid>.local`: the connection must still come up, through our mDNS resolution
// or through the peer-reflexive candidates its checks create (RFC 8445 7.3.1.3), in both roles.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type RTCDataChannel, type RTCDataChannelEvent, RTCPeerConnection } from "../../src/index.js";
import { collect, once, opened, until } from "../webrtc/helpers.js";
import { BrowserPeer, launchBrowser } from "./browser.js";

test("Chromium with mDNS host candidates", { timeout: 90_000 }, async (t) => {
  const session = await launchBrowser(t, { mediaPermission: false });
  if (!session) return;
  try {
    await t.test("Petrel offers", async () => {
      const browser = await BrowserPeer.open(session);
      const pc = new RTCPeerConnection();
      try {
        const dc = pc.createDataChannel("echo");
        await browser.nodeOffers(pc);
        await opened(dc, 20_000);
        assert.ok(
          browser.candidates.length > 0 &&
            browser.candidates.every((c) => c.includes(".local ") || !/ typ host/.test(c)),
          `Chromium's host candidates are mDNS names: ${browser.candidates.join(" | ")}`,
        );
        assert.deepEqual(browser.addErrors, [], "every Chromium candidate is accepted");
        const got = collect(dc, 2);
        dc.send("over mDNS-hidden candidates");
        dc.send(new Uint8Array(40_000).fill(7));
        const [s, b] = await got;
        assert.equal(s, "over mDNS-hidden candidates");
        assert.equal((b as ArrayBuffer).byteLength, 40_000);
        const pair = pc.sctp?.transport.iceTransport.getSelectedCandidatePair();
        assert.ok(pair, "a selected pair");
        assert.ok(!pair.remote.address?.endsWith(".local"), `the pair uses an IP: ${pair.remote.address}`);
      } finally {
        pc.close();
        await browser.page.close();
      }
    });

    await t.test("Chromium offers", async () => {
      const browser = await BrowserPeer.open(session);
      const pc = new RTCPeerConnection();
      try {
        const remote = once<RTCDataChannelEvent<RTCDataChannel>>(pc, "datachannel", 20_000);
        await browser.browserOffers(pc, "from-chrome");
        const rc = (await remote).channel;
        await until(() => pc.connectionState === "connected", "connected");
        assert.ok(
          browser.candidates.some((c) => / [0-9a-f-]+\.local \d+ typ host/.test(c)),
          `mDNS candidates: ${browser.candidates.join(" | ")}`,
        );
        const got = collect(rc, 1);
        rc.send("hello");
        assert.deepEqual(await got, ["hello"]);
      } finally {
        pc.close();
        await browser.page.close();
      }
    });
  } finally {
    await session.close();
  }
});
