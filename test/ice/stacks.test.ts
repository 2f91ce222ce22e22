// ICE against other stacks over real UDP on 127.0.0.1 (ICE only: the SDP carries a dummy DTLS
// fingerprint): libdatachannel/libjuice (node-datachannel) and werift, each once as the
// controlling offerer and once as the controlled answerer to our offer. Both ends must report
// connected (and, where the stack tells, agree on the selected pair). The peers run in a child
// process (stack-peers.ts) because neither tears down cleanly with DTLS left unfinished.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

interface Selected {
  local: { address: string; port: number };
  remote: { address: string; port: number };
}
interface PeerResult {
  name: string;
  ok: boolean;
  error?: string;
  theirs?: Selected;
  theirState?: string;
  ours?: Selected;
  controlling?: boolean;
}

let results: PeerResult[] | undefined;
function run(): PeerResult[] {
  if (results) return results;
  const child = fileURLToPath(new URL("./stack-peers.js", import.meta.url));
  const r = spawnSync(process.execPath, [child], { encoding: "utf8", timeout: 30_000 });
  results = r.stdout
    .split("\n")
    .filter((l) => l.startsWith("RESULT "))
    .map((l) => JSON.parse(l.slice(7)) as PeerResult);
  return results;
}

describe("ICE with other stacks", () => {
  for (const [name, title, controlling] of [
    ["ndc-offers", "libdatachannel offers (controlling), we answer", false],
    ["ndc-answers", "we offer (controlling), libdatachannel answers", true],
    ["werift-offers", "werift offers (controlling), we answer", false],
    ["werift-answers", "we offer (controlling), werift answers", true],
  ] as const) {
    it(title, () => {
      const r = run().find((x) => x.name === name);
      assert.ok(r, `no result from the child process for ${name}`);
      assert.ok(r.ok, r.error);
      assert.equal(r.controlling, controlling);
      assert.equal(r.ours!.remote.address, "127.0.0.1");
      if (r.theirs) {
        assert.equal(r.theirs.remote.port, r.ours!.local.port, "both ends agree on the pair");
        assert.equal(r.theirs.local.port, r.ours!.remote.port, "both ends agree on the pair");
      } else {
        assert.ok(r.theirState === "connected" || r.theirState === "completed", r.theirState);
      }
    });
  }
});
