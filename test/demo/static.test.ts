// The demo server without a browser: it serves the page and script, refuses paths outside
// demo/public and unknown methods, serves recordings by name only (no path leaves the recordings
// folder), and a WebSocket client that joins a room gets a Node peer.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "ws";
import { type DemoServer, startDemoServer } from "../../demo/server.js";

function get(port: number, path: string, method = "GET"): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    // A raw path (no URL normalisation by the client) so traversal attempts reach the server as written.
    const req = request({ host: "127.0.0.1", port, path, method }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("demo server", () => {
  let server: DemoServer;
  let recordings: string;
  before(async () => {
    recordings = mkdtempSync(join(tmpdir(), "petrel-demo-static-"));
    server = await startDemoServer({ port: 0, host: "127.0.0.1", recordingsDir: recordings });
  });
  after(async () => {
    await server.close();
    rmSync(recordings, { recursive: true, force: true });
  });

  it("serves the page, its script and its styles", async () => {
    const page = await get(server.port, "/");
    assert.equal(page.status, 200);
    assert.match(page.type, /text\/html/);
    assert.match(page.body, /<script type="module" src="app.js">/);
    const js = await get(server.port, "/app.js");
    assert.equal(js.status, 200);
    assert.match(js.type, /javascript/);
    assert.match(js.body, /new RTCPeerConnection\(\)/);
    assert.equal((await get(server.port, "/style.css")).status, 200);
  });

  it("refuses anything outside demo/public and other methods", async () => {
    for (const path of [
      "/../package.json",
      "/..%2fpackage.json",
      "/%2e%2e/%2e%2e/package.json",
      "/nope.html",
      "/server.ts",
    ]) {
      const r = await get(server.port, path);
      assert.equal(r.status, 404, path);
      assert.doesNotMatch(r.body, /"name": "petrel"/, path);
    }
    assert.equal((await get(server.port, "/", "POST")).status, 405);
    assert.equal((await get(server.port, "/%zz")).status, 400);
  });

  it("serves recordings by name from the recordings folder, nothing else", async () => {
    const name = "petrel-2026-01-01T00-00-00-000Z-abcdef.webm";
    writeFileSync(join(recordings, name), "webm bytes");
    writeFileSync(join(recordings, "secret.txt"), "not a recording");
    const ok = await get(server.port, `/recordings/${name}`);
    assert.equal(ok.status, 200);
    assert.equal(ok.type, "video/webm");
    assert.equal(ok.body, "webm bytes");
    assert.equal((await get(server.port, `/recordings/${name}`, "HEAD")).status, 200);
    for (const path of [
      "/recordings/secret.txt",
      "/recordings/../package.json",
      "/recordings/..%2f..%2fpackage.json",
      "/recordings/%2e%2e%2fsecret.txt",
      "/recordings/petrel-x%2f..%2f..%2fpackage.webm",
      "/recordings/petrel-missing.webm",
      "/recordings/",
      "/recordings/%zz",
    ]) {
      const r = await get(server.port, path);
      assert.equal(r.status, 404, path);
      assert.doesNotMatch(r.body, /not a recording|"name": "petrel"/, path);
    }
    assert.equal((await get(server.port, `/recordings/${name}`, "POST")).status, 405);
  });

  it("puts a Node peer in the room of every client that joins", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/signal`);
    const messages: { type: string; id?: string }[] = [];
    const joined = new Promise<void>((resolve) => {
      ws.on("message", (d) => {
        const m = JSON.parse(d.toString());
        messages.push(m);
        if (m.type === "peer-joined") resolve();
      });
    });
    await new Promise((resolve) => ws.once("open", resolve));
    ws.send(JSON.stringify({ type: "join", room: "static-test" }));
    await joined;
    assert.equal(messages[0]?.type, "welcome");
    assert.equal(server.signaling.peersIn("static-test").length, 2);
    ws.close();
    await new Promise((resolve) => ws.once("close", resolve));
  });
});
