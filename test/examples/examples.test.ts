// The README's examples run: each file in examples/ is executed as a user would (importing
// "petrel" through the package's own exports) and must print what the README says, and the README
// must contain each example's code verbatim so the two cannot drift apart.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { promisify } from "node:util";

const run = promisify(execFile);
const readme = readFileSync("README.md", "utf8");

const expected: Record<string, RegExp> = {
  "datachannel.mjs": /^echo: hello$/m,
  "dtls-echo.mjs": /^hello over DTLS TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256$/m,
  "stun-binding.mjs": /address: '203\.0\.113\.5', port: 40000/,
  "media.mjs": /^video: 10 frames recorded\naudio: 51 frames recorded$/m,
};

for (const [file, pattern] of Object.entries(expected)) {
  test(`examples/${file} runs, prints what it should, and is in the README verbatim`, async () => {
    const code = readFileSync(`examples/${file}`, "utf8");
    const body = code.split("\n").slice(1).join("\n").trim(); // the README block omits the first comment line
    assert.ok(readme.includes(body), `README.md does not contain examples/${file}`);
    const { stdout } = await run(process.execPath, [`examples/${file}`], { timeout: 20_000 });
    assert.match(stdout, pattern);
  });
}
