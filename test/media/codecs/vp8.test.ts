// VP8 (RFC 7741): payload descriptor bytes for given fields (section 4.2 figures), key frame
// test (4.3), and the shared video checks (round trips, loss, reordering).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  isVp8Keyframe,
  parseVp8Descriptor,
  sizeVp8Descriptor,
  Vp8Depayloader,
  type Vp8DescriptorInit,
  Vp8Payloader,
  writeVp8Descriptor,
} from "../../../src/media/codecs/index.js";
import { vp8Frame } from "./harness.js";
import { checkAll } from "./video-checks.js";

function bytes(d: Vp8DescriptorInit): string {
  const out = new Uint8Array(sizeVp8Descriptor(d));
  assert.equal(writeVp8Descriptor(d, out, 0), out.length);
  return Buffer.from(out).toString("hex");
}

test("VP8 descriptor layouts", () => {
  assert.equal(bytes({ start: true }), "10");
  assert.equal(bytes({ start: false, partitionIndex: 2, nonReference: true }), "22");
  assert.equal(bytes({ start: true, pictureId: 17, pictureIdBits: 7 }), "908011");
  assert.equal(bytes({ start: true, pictureId: 0x1234 }), "90809234");
  assert.equal(
    bytes({
      nonReference: true,
      start: false,
      partitionIndex: 3,
      pictureId: 0x7fff,
      tl0PicIdx: 0xab,
      temporalId: 2,
      layerSync: true,
      keyIdx: 17,
    }),
    "a3f0ffffabb1",
  );
  assert.equal(bytes({ start: true, keyIdx: 5 }), "901005");
  assert.equal(bytes({ start: true, temporalId: 1 }), "902040");
  assert.equal(bytes({ start: true, tl0PicIdx: 7 }), "904007");
});

test("VP8 descriptor parse", () => {
  const d = parseVp8Descriptor(Buffer.from("a3f0ffffabb1ff", "hex"))!;
  assert.equal(d.nonReference, true);
  assert.equal(d.start, false);
  assert.equal(d.partitionIndex, 3);
  assert.equal(d.pictureId, 0x7fff);
  assert.equal(d.pictureIdBits, 15);
  assert.equal(d.tl0PicIdx, 0xab);
  assert.equal(d.temporalId, 2);
  assert.equal(d.layerSync, true);
  assert.equal(d.keyIdx, 17);
  assert.equal(d.length, 6);
  const s = parseVp8Descriptor(Buffer.from("908011", "hex"))!;
  assert.equal(s.pictureId, 17);
  assert.equal(s.pictureIdBits, 7);
  assert.equal(s.start, true);
  assert.equal(s.temporalId, -1);
  assert.equal(s.keyIdx, -1);
  for (const bad of ["", "80", "9080", "908080", "90f0ffffab", "90f0ffffab"]) {
    assert.equal(parseVp8Descriptor(Buffer.from(bad, "hex")), undefined, bad);
  }
});

test("VP8 PictureID increments and wraps; key frame from the P bit", () => {
  const p = new Vp8Payloader({ initialPictureId: 0x7ffe });
  const ids = [0, 1, 2].map((_) => parseVp8Descriptor(p.payload(Uint8Array.of(0x11, 1, 2), 100)[0]!)!.pictureId);
  assert.deepEqual(ids, [0x7ffe, 0x7fff, 0]);
  const p7 = new Vp8Payloader({ pictureIdBits: 7, initialPictureId: 127 });
  const d7 = [0, 1].map((_) => parseVp8Descriptor(p7.payload(Uint8Array.of(0x11, 1, 2), 100)[0]!)!);
  assert.deepEqual(
    d7.map((d) => [d.pictureId, d.pictureIdBits]),
    [
      [127, 7],
      [0, 7],
    ],
  );
  const none = new Vp8Payloader({ pictureId: false }).payload(Uint8Array.of(0x10, 2, 3), 100)[0]!;
  assert.equal(Buffer.from(none).toString("hex"), "10100203");
  assert.equal(isVp8Keyframe(Uint8Array.of(0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a)), true);
  assert.equal(isVp8Keyframe(Uint8Array.of(0x11, 0x02, 0x00)), false);
  assert.throws(() => p.payload(new Uint8Array(0), 100), { code: "ERR_CODEC_EMPTY_FRAME" });
  assert.throws(() => p.payload(new Uint8Array(10), 4), { code: "ERR_CODEC_MTU" });
});

checkAll(
  {
    name: "VP8",
    payloader: () => new Vp8Payloader(),
    depayloader: () => new Vp8Depayloader(),
    frame: vp8Frame,
    overhead: () => 4,
  },
  test,
);
