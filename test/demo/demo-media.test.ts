// The demo's media end to end in headless Chromium with fake devices: "Start camera" sends the
// fake camera (VP8) and microphone (Opus) to the Node peer, which echoes both back; the page's
// remote <video> plays the echo (videoWidth > 0, inbound-rtp framesDecoded > 30), which needs the
// browser's keyframe requests to travel through the echo up to its own encoder. "Record" /
// "Stop recording" make the Node peer write one WebM; the test checks the file on the server,
// fetches it through the page's download link, and (with ffmpeg installed) that ffprobe sees VP8
// and Opus streams longer than 1.5 s and that ffmpeg decodes it without an error. Then the page
// pauses and resumes receiving the echo: Chromium's PLI for its new stream reaches its own
// encoder through the Node peer and the echo decodes again.
// Skips without Chromium (fails under PETREL_REQUIRE_INTEROP=1).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { chromium } from "playwright-core";
import { startDemoServer } from "../../demo/server.js";
import { CHROMIUM_ARGS, CHROMIUM_PATHS, requireTool } from "../interop/tools.js";

type Stat = Record<string, unknown> & { type: string; kind?: string };

function within<T>(p: Promise<T>, ms: number, what: string, describe: () => Promise<string>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      describe().then((state) => reject(new Error(`${what} did not happen within ${ms} ms\n${state}`)));
    }, ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function ffprobe(path: string): { streams: { codec_name: string; codec_type: string }[]; duration: number } {
  const out = execFileSync(
    "ffprobe",
    ["-v", "error", "-show_entries", "stream=codec_name,codec_type:format=duration", "-of", "json", path],
    { encoding: "utf8" },
  );
  const j = JSON.parse(out) as { streams: { codec_name: string; codec_type: string }[]; format: { duration: string } };
  return { streams: j.streams, duration: Number(j.format.duration) };
}

describe("demo media", () => {
  it("camera and microphone echoed by the Node peer, recorded to a WebM served for download", {
    timeout: 90_000,
  }, async (t) => {
    const path = requireTool(t, "chromium", CHROMIUM_PATHS);
    if (!path) return;
    const dir = mkdtempSync(join(tmpdir(), "petrel-demo-media-"));
    const server = await startDemoServer({ port: 0, host: "127.0.0.1", recordingsDir: dir });
    const browser = await chromium.launch({
      executablePath: path,
      args: [
        ...CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        "--autoplay-policy=no-user-gesture-required",
      ],
    });
    const log: string[] = [];
    server.events.on("state", (e: { state: string }) => log.push(`node peer: ${e.state}`));
    try {
      const page = await browser.newPage();
      page.on("console", (m) => log.push(`page ${m.type()}: ${m.text()}`));
      page.on("pageerror", (e) => log.push(`page error: ${e.message}`));
      const describePage = async () => {
        const state = await page
          .evaluate(
            () =>
              `page: ${document.querySelector(".states")?.textContent?.replace(/\s+/g, " ")} | chat: ${document.querySelector("#chat-log")?.textContent} | record: ${document.querySelector("#record-result")?.textContent} | stats: ${document.querySelector("#stats-browser")?.textContent} | node: ${document.querySelector("#stats-node")?.textContent}`,
          )
          .catch(() => "(page gone)");
        return `${state}\n${log.join("\n")}`;
      };
      await page.goto(`http://127.0.0.1:${server.port}/`);
      await within(
        page.waitForSelector('body[data-ready="true"]', { timeout: 0 }),
        30_000,
        "data channel open",
        describePage,
      );

      await page.click("#camera-button");
      // The echo plays: the remote <video> has a picture and Chromium decoded frames of it.
      const pageStats = () =>
        page.evaluate(async () => {
          const pc = (window as unknown as { petrelDemo: { pc: RTCPeerConnection } }).petrelDemo.pc;
          const list: unknown[] = [];
          (await pc.getStats()).forEach((s) => {
            list.push(s);
          });
          return list;
        }) as Promise<Stat[]>;
      let browserStats: Stat[] = [];
      const echoPlays = async () => {
        const end = Date.now() + 40_000;
        while (Date.now() < end) {
          browserStats = await pageStats();
          const decoded = browserStats
            .filter((s) => s.type === "inbound-rtp" && s.kind === "video")
            .reduce((n, s) => n + Number(s.framesDecoded ?? 0), 0);
          const width = await page.evaluate(
            () => (document.querySelector("#remote-video") as HTMLVideoElement).videoWidth,
          );
          if (width > 0 && decoded > 30) return;
          await page.waitForTimeout(250);
        }
        throw new Error(`the echo did not play in the remote <video> within 40 s\n${await describePage()}`);
      };
      await echoPlays();
      const inbound = (kind: string) => browserStats.filter((s) => s.type === "inbound-rtp" && s.kind === kind);
      assert.equal(inbound("video").length, 1, "one echoed video stream");
      assert.equal(inbound("audio").length, 1, "one echoed audio stream");
      assert.ok(Number(inbound("audio")[0]!.packetsReceived) > 0, "echoed audio arrives");

      // Both stats panels show the media rows (Node's arrive over the control channel).
      await within(
        page.waitForFunction(
          () =>
            /video in/.test(document.querySelector("#stats-browser")?.textContent ?? "") &&
            /video out/.test(document.querySelector("#stats-node")?.textContent ?? "") &&
            /video in/.test(document.querySelector("#stats-node")?.textContent ?? ""),
          undefined,
          { timeout: 0 },
        ),
        10_000,
        "media rows in both stats panels",
        describePage,
      );

      const recorded = once(server.events, "recording");
      await page.click("#record-button");
      await within(
        page.waitForSelector("#record-stop-button:not([disabled])", { timeout: 0 }),
        10_000,
        "recording started",
        describePage,
      );
      await page.waitForTimeout(2500);
      await page.click("#record-stop-button");
      const [info] = (await within(recorded, 15_000, "the recording at Node", describePage)) as [
        { name: string; path: string; size: number; durationMs: number; videoFrames: number; audioFrames: number },
      ];
      assert.ok(existsSync(info.path), `${info.path} exists`);
      assert.equal(join(dir, info.name), info.path);
      assert.ok(info.size > 10_000, `size ${info.size}`);
      assert.ok(info.videoFrames > 30, `video frames ${info.videoFrames}`);
      assert.ok(info.audioFrames > 50, `audio frames ${info.audioFrames}`);
      assert.ok(info.durationMs > 1500, `duration ${info.durationMs} ms`);

      // The page links to the file; the server hands out exactly its bytes.
      await within(
        page.waitForSelector('#record-result[data-ok="true"] a', { timeout: 0 }),
        10_000,
        "link",
        describePage,
      );
      const href = await page.getAttribute("#record-result a", "href");
      assert.equal(href, `recordings/${info.name}`);
      const res = await fetch(`http://127.0.0.1:${server.port}/${href}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "video/webm");
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), readFileSync(info.path));
      // Recording asked the browser's encoder for a keyframe through the echo's remote track:
      // Chromium counts the PLI it received on what it sends.
      const sent = (await pageStats()).filter((s) => s.type === "outbound-rtp" && s.kind === "video");
      assert.ok(Number(sent[0]?.pliCount ?? 0) > 0, `Chromium received a PLI (${JSON.stringify(sent[0])})`);

      // The page stops receiving the echo and asks for it again (sendonly, then sendrecv). Its new
      // receive stream starts mid-stream, so Chromium sends PLI to the Node peer; the echo's sender
      // passes it up its remote track to Chromium's own encoder, whose keyframe comes back through
      // the echo. Without that the picture stays frozen. (The Node peer's sequence numbers must go
      // on where they stopped, or Chromium's SRTP drops the resumed packets as replays.)
      const sum = (list: Stat[], type: string, field: string) =>
        list.filter((s) => s.type === type && s.kind === "video").reduce((n, s) => n + Number(s[field] ?? 0), 0);
      const setEchoDirection = async (direction: string) => {
        await page.evaluate((d) => {
          const pc = (window as unknown as { petrelDemo: { pc: RTCPeerConnection } }).petrelDemo.pc;
          const t = pc.getTransceivers().find((x) => x.receiver.track.kind === "video");
          if (t) t.direction = d as RTCRtpTransceiverDirection;
        }, direction);
        await within(
          page.waitForFunction(
            (d) =>
              (window as unknown as { petrelDemo: { pc: RTCPeerConnection } }).petrelDemo.pc
                .getTransceivers()
                .find((x) => x.receiver.track.kind === "video")?.currentDirection === d,
            direction,
            { timeout: 0 },
          ),
          10_000,
          `echo transceiver ${direction}`,
          describePage,
        );
      };
      const keyframesBefore = sum(await pageStats(), "outbound-rtp", "keyFramesEncoded");
      await setEchoDirection("sendonly");
      await setEchoDirection("sendrecv");
      const decodedAtResume = sum(await pageStats(), "inbound-rtp", "framesDecoded");
      const resumed = async () => {
        const end = Date.now() + 20_000;
        while (Date.now() < end) {
          const list = await pageStats();
          const keyframes = sum(list, "outbound-rtp", "keyFramesEncoded");
          if (keyframes > keyframesBefore && sum(list, "inbound-rtp", "framesDecoded") > decodedAtResume + 20) return;
          await page.waitForTimeout(250);
        }
        throw new Error(`the echo did not resume within 20 s\n${await describePage()}`);
      };
      await resumed();

      if (existsSync("/usr/bin/ffprobe")) {
        const probe = ffprobe(info.path);
        const codecs = probe.streams.map((s) => `${s.codec_type}/${s.codec_name}`).sort();
        assert.deepEqual(codecs, ["audio/opus", "video/vp8"]);
        assert.ok(probe.duration > 1.5, `ffprobe duration ${probe.duration}`);
        // -enc_time_base -1: the null output keeps the file's 1 ms time base. Otherwise ffmpeg picks
        // one from a guessed frame rate (60/1 when the camera once delivered two frames 7 ms apart,
        // as a loaded machine's fake capturer does) and reports two frames falling on one tick
        // as "non monotonically increasing dts", an output-side complaint about a valid file.
        const decode = spawnSync(
          "ffmpeg",
          ["-v", "error", "-i", info.path, "-enc_time_base", "-1", "-f", "null", "-"],
          { encoding: "utf8" },
        );
        assert.equal(decode.status, 0, decode.stderr);
        assert.equal(decode.stderr.trim(), "", "ffmpeg decodes without errors");
      } else {
        t.diagnostic("ffprobe not installed: the file's streams were not checked");
      }
    } finally {
      await browser.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
