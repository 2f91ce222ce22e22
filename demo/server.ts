// The Petrel demo: an HTTP server for the page in demo/public, WebSocket signaling on /signal
// (src/signaling), and a Node RTCPeerConnection (demo/bot.ts) that answers every browser that
// joins. `npm start` runs this file; PORT (default 8080) and HOST override where it listens.
// Recordings the bot makes (demo/media.ts) are served from /recordings/<name> (names checked
// against a strict pattern, so no path can leave the recordings folder).
// startDemoServer() is also what test/demo/demo.test.ts drives.
import { EventEmitter } from "node:events";
import { createReadStream, existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { SignalingServer } from "../src/signaling/index.js";
import { DemoBot } from "./bot.js";
import { RECORDING_NAME } from "./media.js";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
};

export interface DemoServerOptions {
  port?: number;
  host?: string;
  /** Folder with index.html and app.js (default: demo/public of the repository). */
  publicDir?: string;
  /** Where the bot writes recordings (default: demo/recordings next to publicDir). */
  recordingsDir?: string;
}

export interface DemoServer {
  url: string;
  port: number;
  http: Server;
  signaling: SignalingServer;
  /** "upload", "chat", "state", "recording" from the bots (demo/bot.ts BotEvents), and "bot" (DemoBot). */
  events: EventEmitter;
  recordingsDir: string;
  close(): Promise<void>;
}

/** Finds demo/public whether running from the sources, dist/ or a .build/ folder. */
function findPublicDir(): string {
  const here = fileURLToPath(new URL(".", import.meta.url));
  const candidates = [
    join(here, "public"),
    join(here, "..", "..", "demo", "public"),
    join(process.cwd(), "demo", "public"),
  ];
  for (const c of candidates) if (existsSync(join(c, "index.html"))) return c;
  return candidates[candidates.length - 1]!;
}

export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const publicDir = resolve(options.publicDir ?? findPublicDir());
  const recordingsDir = resolve(options.recordingsDir ?? join(publicDir, "..", "recordings"));
  const events = new EventEmitter();
  const http = createServer((req, res) => {
    const serve = req.url?.startsWith("/recordings/")
      ? serveRecording(recordingsDir, req, res)
      : serveStatic(publicDir, req, res);
    serve.catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  const signaling = new SignalingServer({ server: http, path: "/signal" });
  const bots = new Set<DemoBot>();
  signaling.on("join", (e: { room: string; id: string; local: boolean }) => {
    if (e.local) return;
    // Every browser gets its own Node peer in its room.
    const bot = new DemoBot(e.id, events, recordingsDir, () => bots.delete(bot));
    bots.add(bot);
    try {
      bot.attach(signaling.join(e.room, (msg) => bot.receive(msg)));
    } catch {
      bot.close();
      return;
    }
    events.emit("bot", bot);
  });
  await new Promise<void>((resolveListen, reject) => {
    http.once("error", reject);
    http.listen(options.port ?? 8080, options.host, () => resolveListen());
  });
  const port = (http.address() as AddressInfo).port;
  return {
    url: `http://localhost:${port}/`,
    port,
    http,
    signaling,
    events,
    recordingsDir,
    async close() {
      for (const bot of bots) bot.close();
      bots.clear();
      await signaling.close();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}

/** GET /recordings/<name>: a WebM the bot recorded, as a download. */
async function serveRecording(dir: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const notFound = () => {
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found");
  };
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD" });
    res.end();
    return;
  }
  let name: string;
  try {
    name = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname.slice("/recordings/".length));
  } catch {
    return notFound();
  }
  // Only names the bot makes: letters, digits and dashes, then .webm (no slash, no "..").
  if (!RECORDING_NAME.test(name)) return notFound();
  const file = join(dir, name);
  let size: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) return notFound();
    size = st.size;
  } catch {
    return notFound();
  }
  res.writeHead(200, {
    "content-type": "video/webm",
    "content-length": size,
    "content-disposition": `attachment; filename="${name}"`,
    "cache-control": "no-cache",
  });
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on("error", () => res.destroy());
  stream.pipe(res);
}

async function serveStatic(dir: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD" });
    res.end();
    return;
  }
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
  } catch {
    res.writeHead(400, { "content-type": "text/plain" });
    res.end("bad request");
    return;
  }
  if (path.endsWith("/")) path += "index.html";
  const file = normalize(join(dir, path));
  const type = TYPES[extname(file)];
  if (!file.startsWith(dir + sep) || !type) {
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found");
    return;
  }
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found");
    return;
  }
  res.writeHead(200, { "content-type": type, "content-length": body.length, "cache-control": "no-cache" });
  res.end(req.method === "HEAD" ? undefined : body);
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (isMain) {
  const port = Number(process.env.PORT ?? 8080);
  startDemoServer({ port, host: process.env.HOST }).then(
    (s) => {
      console.log(`Petrel demo: open ${s.url} in a browser (WebSocket signaling on /signal)`);
      s.events.on("state", (e: { state: string }) => console.log(`peer connection: ${e.state}`));
      s.events.on("recording", (e: { name: string; size: number; durationMs: number }) =>
        console.log(`recorded ${e.name}: ${e.size} bytes, ${(e.durationMs / 1000).toFixed(1)} s`),
      );
      s.events.on("upload", (e: { name: string; size: number; sha256: string; ms: number }) =>
        console.log(`received ${e.name}: ${e.size} bytes in ${e.ms} ms, sha256 ${e.sha256}`),
      );
      const stop = () => {
        s.close().then(() => process.exit(0));
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    },
    (err: unknown) => {
      console.error(`Petrel demo could not start: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
