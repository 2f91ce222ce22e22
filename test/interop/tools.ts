// Finding the real peers that interop tests run against (chromium, openssl, turnserver, ...).
// Without the tool a test skips with a clear message; with PETREL_REQUIRE_INTEROP=1 (set by CI)
// the missing tool is a failure instead.
import { execFileSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync } from "node:fs";
import type { TestContext } from "node:test";

export const REQUIRE_INTEROP = process.env.PETREL_REQUIRE_INTEROP === "1";

/** Returns the tool's path, or undefined after skipping the test (throws under CI instead). */
export function requireTool(t: TestContext, name: string, candidates: string[]): string | undefined {
  for (const c of candidates) {
    if (c.includes("/")) {
      if (existsSync(c)) return c;
    } else {
      try {
        const p = execFileSync("sh", ["-c", `command -v ${c}`], { encoding: "utf8" }).trim();
        if (p) return p;
      } catch {
        // not on PATH
      }
    }
  }
  const msg = `skipped: ${name} not installed (looked for ${candidates.join(", ")})`;
  if (REQUIRE_INTEROP) throw new Error(`${msg}; PETREL_REQUIRE_INTEROP=1 makes this a failure`);
  t.skip(msg);
  return undefined;
}

export const CHROMIUM_PATHS = ["/usr/bin/chromium", "chromium"];
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A UDP port on 127.0.0.1 that was free a moment ago (for a child process to bind). */
export async function freePort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
