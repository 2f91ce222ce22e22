// Driving a browser RTCPeerConnection in headless Chromium (playwright-core) for interop tests.
// A page served from http://localhost (a secure context, so getUserMedia works with fake devices)
// holds one RTCPeerConnection whose data channels echo every message back; signaling runs through
// page.evaluate and an exposed function for the browser's trickled candidates.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestContext } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import type { RTCIceCandidateInit, RTCPeerConnection, RTCSessionDescriptionInit } from "../../src/index.js";
import { CHROMIUM_ARGS, CHROMIUM_PATHS, requireTool } from "./tools.js";

const PAGE = `<!doctype html><meta charset="utf-8"><title>petrel interop</title><script>
window.pc = null;
window.channels = [];
window.log = [];
function hook(ch) {
  ch.binaryType = "arraybuffer";
  window.channels.push(ch);
  ch.onmessage = (e) => { if (ch.readyState === "open") ch.send(e.data); };
  ch.onclose = () => window.log.push("close:" + ch.label);
  ch.onerror = () => window.log.push("error:" + ch.label);
}
window.setup = (config) => {
  const pc = new RTCPeerConnection(config || {});
  window.pc = pc;
  pc.onicecandidate = (e) => window.nodeCandidate(e.candidate ? e.candidate.toJSON() : null);
  pc.ondatachannel = (e) => hook(e.channel);
  pc.onconnectionstatechange = () => window.log.push("conn:" + pc.connectionState);
};
window.createChannel = (label, init) => { const ch = window.pc.createDataChannel(label, init || {}); hook(ch); return ch.id; };
window.channelState = (label) => { const c = window.channels.find((x) => x.label === label); return c ? c.readyState : "none"; };
window.closeChannel = (label) => { for (const c of window.channels) if (c.label === label) c.close(); };
</script>`;

/** The browser's RTCPeerConnection as seen from page.evaluate callbacks. */
interface BrowserPc {
  setRemoteDescription(d: unknown): Promise<void>;
  setLocalDescription(d?: unknown): Promise<void>;
  createOffer(): Promise<unknown>;
  createAnswer(): Promise<unknown>;
  localDescription: { toJSON(): RTCSessionDescriptionInit };
  addIceCandidate(c: unknown): Promise<void>;
  getStats(): Promise<Map<string, Record<string, unknown>>>;
}

export interface BrowserSession {
  browser: Browser;
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Launches Chromium (skips the test without it) and serves the interop page. */
export async function launchBrowser(
  t: TestContext,
  opts: { mediaPermission?: boolean; args?: string[] } = {},
): Promise<BrowserSession | undefined> {
  const path = requireTool(t, "chromium", CHROMIUM_PATHS);
  if (!path) return undefined;
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(PAGE);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://localhost:${(server.address() as AddressInfo).port}/`;
  const browser = await chromium.launch({
    executablePath: path,
    // Fake media UI grants camera/microphone, and with that permission Chromium gathers raw host
    // IPs; without it, host candidates are hidden behind random mDNS names (.local).
    args: [
      ...CHROMIUM_ARGS,
      ...(opts.mediaPermission === false
        ? []
        : ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]),
      ...(opts.args ?? []),
    ],
  });
  return {
    browser,
    server,
    url,
    async close() {
      await browser.close().catch(() => {});
      server.close();
    },
  };
}

/** One browser RTCPeerConnection in its own page, wired to a Node one by trickle signaling. */
export class BrowserPeer {
  readonly page: Page;
  private node: RTCPeerConnection | undefined;
  /** Candidates the browser gathered (for tests about mDNS names). */
  readonly candidates: string[] = [];
  /** Browser candidates our addIceCandidate refused (every real one must be accepted). */
  readonly addErrors: string[] = [];
  private constructor(page: Page) {
    this.page = page;
  }

  /** Opens a page; with `media` it first calls getUserMedia, which makes Chromium reveal host IPs. */
  static async open(session: BrowserSession, opts: { media?: boolean } = {}): Promise<BrowserPeer> {
    const page = await session.browser.newPage();
    const peer = new BrowserPeer(page);
    await page.exposeFunction("nodeCandidate", (c: RTCIceCandidateInit | null) => {
      if (c?.candidate) peer.candidates.push(c.candidate);
      const node = peer.node;
      if (node && c?.candidate) {
        void node.addIceCandidate(c).catch((e: Error) => peer.addErrors.push(`${c.candidate}: ${e.message}`));
      }
    });
    await page.goto(session.url);
    if (opts.media) {
      await page.evaluate(async () => {
        const s = await navigator.mediaDevices.getUserMedia({ audio: true });
        for (const tr of s.getTracks()) tr.stop();
      });
    }
    await page.evaluate(() => (window as unknown as { setup(c?: unknown): void }).setup());
    return peer;
  }

  /** Our candidates go to the browser as they are gathered. */
  attach(node: RTCPeerConnection): void {
    this.node = node;
    node.addEventListener("icecandidate", (e) => {
      const c = (e as unknown as { candidate: { toJSON(): RTCIceCandidateInit } | null }).candidate;
      if (c) void this.page.evaluate((x) => (window as unknown as { pc: BrowserPc }).pc.addIceCandidate(x), c.toJSON());
    });
  }

  /** Node offers, the browser answers. */
  async nodeOffers(node: RTCPeerConnection): Promise<void> {
    this.attach(node);
    await node.setLocalDescription(await node.createOffer());
    const answer = await this.page.evaluate(async (offer: RTCSessionDescriptionInit) => {
      const pc = (window as unknown as { pc: BrowserPc }).pc;
      await pc.setRemoteDescription(offer);
      await pc.setLocalDescription(await pc.createAnswer());
      return pc.localDescription.toJSON() as RTCSessionDescriptionInit;
    }, node.localDescription!.toJSON());
    await node.setRemoteDescription(answer);
  }

  /**
   * The browser offers (with a channel it creates first, if `label`; with audio and video
   * transceivers before it, if `media`), Node answers.
   */
  async browserOffers(node: RTCPeerConnection, label?: string, media = false): Promise<void> {
    this.attach(node);
    const offer = await this.page.evaluate(
      async ([l, m]: [string | undefined, boolean]) => {
        const w = window as unknown as {
          pc: BrowserPc & { addTransceiver(kind: string): unknown };
          createChannel(l: string): void;
        };
        if (m) {
          w.pc.addTransceiver("audio");
          w.pc.addTransceiver("video");
        }
        if (l) w.createChannel(l);
        await w.pc.setLocalDescription(await w.pc.createOffer());
        return w.pc.localDescription.toJSON() as RTCSessionDescriptionInit;
      },
      [label, media] as [string | undefined, boolean],
    );
    await node.setRemoteDescription(offer);
    await node.setLocalDescription(await node.createAnswer());
    await this.page.evaluate(
      (a: RTCSessionDescriptionInit) => (window as unknown as { pc: BrowserPc }).pc.setRemoteDescription(a),
      node.localDescription!.toJSON(),
    );
  }

  createChannel(label: string, init?: Record<string, unknown>): Promise<number | null> {
    return this.page.evaluate(
      ([l, i]) => (window as unknown as { createChannel(l: string, i: unknown): number | null }).createChannel(l, i),
      [label, init ?? {}] as const,
    );
  }

  channelState(label: string): Promise<string> {
    return this.page.evaluate((l) => (window as unknown as { channelState(l: string): string }).channelState(l), label);
  }

  closeChannel(label: string): Promise<void> {
    return this.page.evaluate((l) => (window as unknown as { closeChannel(l: string): void }).closeChannel(l), label);
  }

  connectionState(): Promise<string> {
    return this.page.evaluate(() => (window as unknown as { pc: { connectionState: string } }).pc.connectionState);
  }

  closePc(): Promise<void> {
    return this.page.evaluate(() => (window as unknown as { pc: { close(): void } }).pc.close());
  }

  stats(): Promise<Record<string, unknown>[]> {
    return this.page.evaluate(async () => {
      const r = await (window as unknown as { pc: BrowserPc }).pc.getStats();
      const out: Record<string, unknown>[] = [];
      for (const s of r.values()) out.push(s);
      return out;
    });
  }
}
