// Cross-check of the RTX payload format (RFC 4588 4) with another implementation: werift's
// wrapRtx/unwrapRtx (the werift devDependency). Packets wrapped by one side are unwrapped by the
// other. Skipped without werift.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import { SeededRandom } from "../../../src/random.js";
import { unwrapRtx, wrapRtx } from "../../../src/rtp/feedback/index.js";
import { parseRtp, serializeRtp } from "../../../src/rtp/index.js";

// biome-ignore lint/suspicious/noExplicitAny: werift's classes are used untyped here.
type Any = any;
let werift: Any;
try {
  werift = createRequire(import.meta.url)("werift");
} catch {
  werift = undefined;
}
const skip = !werift && "werift not installed";

test("RTX packets wrapped by Petrel unwrap in werift, and the other way round", { skip }, () => {
  const rng = new SeededRandom(42);
  for (let i = 0; i < 50; i++) {
    const payload = rng.bytes(1 + rng.int(1200));
    const seq = rng.int(0x10000);
    const original = serializeRtp({
      marker: rng.float() < 0.5,
      payloadType: 96,
      sequenceNumber: seq,
      timestamp: rng.u32(),
      ssrc: 0x11111111,
      extensions: [{ id: 1, data: Uint8Array.of(rng.int(256), rng.int(256)) }],
      payload,
    });
    const rtxSeq = rng.int(0x10000);
    // Petrel wraps, werift unwraps.
    const mine = wrapRtx(original, parseRtp(original)!, 0x22222222, rtxSeq, 97);
    const theirPacket = werift.RtpPacket.deSerialize(Buffer.from(mine));
    assert.equal(theirPacket.header.payloadType, 97);
    assert.equal(theirPacket.header.sequenceNumber, rtxSeq);
    assert.equal(theirPacket.header.ssrc, 0x22222222);
    const back = werift.unwrapRtx(theirPacket, 96, 0x11111111);
    assert.equal(back.header.sequenceNumber, seq);
    assert.deepEqual(new Uint8Array(back.payload), payload);
    // werift wraps, Petrel unwraps.
    const theirRtx = werift.wrapRtx(werift.RtpPacket.deSerialize(Buffer.from(original)), 97, rtxSeq, 0x22222222);
    const parsed = parseRtp(new Uint8Array(theirRtx.serialize()))!;
    assert.equal(parsed.payloadType, 97);
    assert.equal(parsed.sequenceNumber, rtxSeq);
    const restored = unwrapRtx(parsed, 0x11111111, 96)!;
    assert.equal(restored.sequenceNumber, seq);
    assert.equal(restored.ssrc, 0x11111111);
    assert.equal(restored.marker, parsed.marker);
    assert.deepEqual([...restored.payload], [...payload]);
  }
});
