// The demo end to end: the demo server (HTTP + WebSocket signaling + a Petrel peer in Node) and
// its page driven in headless Chromium. A chat message goes to Node and the bot's reply comes
// back; a 2 MiB random file uploaded through the page's file input arrives intact in Node
// (SHA-256 computed on the Node side equals the test's); a file downloaded from Node verifies in
// the page; both stats panels fill in. Skips without Chromium (fails under PETREL_REQUIRE_INTEROP=1).
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { describe, it } from "node:test";
import { chromium } from "playwright-core";
import { startDemoServer } from "../../demo/server.js";
import { CHROMIUM_ARGS, CHROMIUM_PATHS, requireTool } from "../interop/tools.js";

let describePage: () => Promise<string> = async () => "";

function within<T>(p: Promise<T>, ms: number, what: string, log: string[]): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      describePage().then((state) =>
        reject(new Error(`${what} did not happen within ${ms} ms\n${state}\n${log.join("\n")}`)),
      );
    }, ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

describe("demo", () => {
  it("chat round trip, 2 MiB upload verified in Node, download verified in the page", {
    timeout: 90_000,
  }, async (t) => {
    const path = requireTool(t, "chromium", CHROMIUM_PATHS);
    if (!path) return;
    const server = await startDemoServer({ port: 0, host: "127.0.0.1" });
    const browser = await chromium.launch({ executablePath: path, args: CHROMIUM_ARGS });
    const log: string[] = [];
    server.events.on("state", (e: { state: string }) => log.push(`node peer: ${e.state}`));
    try {
      const page = await browser.newPage();
      page.on("console", (m) => log.push(`page ${m.type()}: ${m.text()}`));
      page.on("pageerror", (e) => log.push(`page error: ${e.message}`));
      // On a timeout, say what the page shows (states, and errors the Node peer reported in the chat).
      describePage = () =>
        page
          .evaluate(
            () =>
              `page: ${document.querySelector(".states")?.textContent?.replace(/\s+/g, " ")} | chat: ${document.querySelector("#chat-log")?.textContent}`,
          )
          .catch(() => "(page gone)");
      await page.goto(`http://127.0.0.1:${server.port}/`);
      await within(page.waitForSelector('body[data-ready="true"]', { timeout: 0 }), 30_000, "data channel open", log);

      const chat = once(server.events, "chat");
      await page.fill("#chat-input", "hello petrel");
      await page.click("#chat-send");
      const [said] = (await within(chat, 10_000, "chat at Node", log)) as [{ text: string }];
      assert.equal(said.text, "hello petrel");
      await within(
        page.waitForFunction(
          () =>
            Array.from(document.querySelectorAll("#chat-log li.petrel")).some((li) =>
              (li.textContent ?? "").includes('"hello petrel"'),
            ),
          undefined,
          { timeout: 0 },
        ),
        10_000,
        "bot reply in the page",
        log,
      );

      const data = randomBytes(2 * 1024 * 1024);
      const expected = createHash("sha256").update(data).digest("hex");
      const uploaded = once(server.events, "upload");
      await page.setInputFiles("#file-input", {
        name: "random.bin",
        mimeType: "application/octet-stream",
        buffer: data,
      });
      const [got] = (await within(uploaded, 60_000, "upload at Node", log)) as [
        { size: number; sha256: string; name: string },
      ];
      assert.equal(got.name, "random.bin");
      assert.equal(got.size, data.length);
      assert.equal(got.sha256, expected);
      await within(
        page.waitForSelector('#upload-result[data-ok="true"]', { timeout: 0 }),
        10_000,
        "upload result",
        log,
      );

      await page.selectOption("#download-size", "1048576");
      await page.click("#download-button");
      await within(page.waitForSelector('#download-result[data-ok="true"]', { timeout: 0 }), 60_000, "download", log);

      // The stats panel shows Node's side too (it arrives over the control channel every second).
      await within(
        page.waitForFunction(() => (document.querySelector("#stats-node")?.children.length ?? 0) > 0, undefined, {
          timeout: 0,
        }),
        10_000,
        "Node stats",
        log,
      );
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
