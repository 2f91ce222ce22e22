// VP9 (RFC 9628): descriptor bytes in non-flexible and flexible mode, the scalability structure
// (4.2.1), truncation, the uncompressed header fields (key frame, size), the payloader's SS on
// key frames, and the shared video checks in both modes.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  parseVp9Descriptor,
  parseVp9FrameHeader,
  sizeVp9Descriptor,
  Vp9Depayloader,
  type Vp9DescriptorInit,
  Vp9Payloader,
  writeVp9Descriptor,
} from "../../../src/media/codecs/index.js";
import { SeededRandom } from "../../../src/random.js";
import { vp9Frame } from "./harness.js";
import { checkAll } from "./video-checks.js";

function hex(d: Vp9DescriptorInit): string {
  const out = new Uint8Array(sizeVp9Descriptor(d));
  assert.equal(writeVp9Descriptor(d, out, 0), out.length);
  return Buffer.from(out).toString("hex");
}

test("VP9 descriptor layouts", () => {
  assert.equal(
    hex({
      interPicturePredicted: true,
      beginningOfFrame: true,
      endOfFrame: false,
      pictureId: 0x1234,
      temporalId: 1,
      switchingUp: true,
      spatialId: 0,
      tl0PicIdx: 5,
    }),
    "e892343005",
  );
  assert.equal(
    hex({
      interPicturePredicted: true,
      flexible: true,
      beginningOfFrame: true,
      endOfFrame: true,
      pictureId: 5,
      pictureIdBits: 7,
      pDiffs: [1, 3],
    }),
    "dc050306",
  );
  assert.equal(
    hex({
      interPicturePredicted: false,
      beginningOfFrame: true,
      endOfFrame: true,
      ss: {
        spatialLayers: 2,
        resolutions: [
          { width: 320, height: 180 },
          { width: 640, height: 360 },
        ],
        pictureGroup: [{ temporalId: 0, switchingUp: false, pDiffs: [1] }],
      },
    }),
    "0e38014000b40280016801" + "0401",
  );
  assert.equal(
    hex({ interPicturePredicted: false, beginningOfFrame: true, endOfFrame: false, notRefForUpperLayers: true }),
    "09",
  );
  assert.throws(
    () =>
      writeVp9Descriptor(
        { interPicturePredicted: true, flexible: true, beginningOfFrame: true, endOfFrame: true, pDiffs: [1, 2, 3, 4] },
        new Uint8Array(16),
        0,
      ),
    { code: "ERR_CODEC_VP9" },
  );
});

test("VP9 descriptor parse, SS and truncation", () => {
  const d = parseVp9Descriptor(Buffer.from("e892343005ff", "hex"))!;
  assert.equal(d.pictureId, 0x1234);
  assert.equal(d.pictureIdBits, 15);
  assert.equal(d.interPicturePredicted, true);
  assert.equal(d.temporalId, 1);
  assert.equal(d.switchingUp, true);
  assert.equal(d.spatialId, 0);
  assert.equal(d.tl0PicIdx, 5);
  assert.equal(d.length, 5);
  const f = parseVp9Descriptor(Buffer.from("dc050306ff", "hex"))!;
  assert.deepEqual(f.pDiffs, [1, 3]);
  assert.equal(f.flexible, true);
  assert.equal(f.length, 4);
  const s = parseVp9Descriptor(Buffer.from("0e38014000b4028001680104" + "01ff", "hex"))!;
  assert.equal(s.ss?.spatialLayers, 2);
  assert.deepEqual(s.ss?.resolutions, [
    { width: 320, height: 180 },
    { width: 640, height: 360 },
  ]);
  assert.deepEqual(s.ss?.pictureGroup, [{ temporalId: 0, switchingUp: false, pDiffs: [1] }]);
  assert.equal(s.length, 13);
  // Flexible mode with L: no TL0PICIDX.
  const fl = parseVp9Descriptor(Buffer.from("b8052a", "hex"))!;
  assert.equal(fl.temporalId, 1);
  assert.equal(fl.spatialId, 5);
  assert.equal(fl.tl0PicIdx, -1);
  assert.equal(fl.length, 3);
  for (const bad of ["", "80", "8080", "a0", "a005", "dc05", "dc050303", "dc05030303", "0e38014000b4", "0e0801"]) {
    assert.equal(parseVp9Descriptor(Buffer.from(bad, "hex")), undefined, bad);
  }
});

test("VP9 uncompressed header: key frame and size; payloader sends SS with the resolution on key frames", () => {
  const rnd = new SeededRandom(3);
  const key = vp9Frame(rnd, 50, true, 1280, 720);
  assert.deepEqual(parseVp9FrameHeader(key), {
    profile: 0,
    showExistingFrame: false,
    keyframe: true,
    width: 1280,
    height: 720,
  });
  assert.equal(parseVp9FrameHeader(vp9Frame(rnd, 50, false))?.keyframe, false);
  assert.equal(parseVp9FrameHeader(Uint8Array.of(0x40)), undefined);
  assert.equal(parseVp9FrameHeader(Uint8Array.of(0x88))?.showExistingFrame, true);
  assert.equal(parseVp9FrameHeader(Uint8Array.of(0x82, 0x49, 0x83)), undefined);

  const p = new Vp9Payloader({ initialPictureId: 7 });
  const kp = p.payload(vp9Frame(rnd, 2500, true, 1280, 720), 1000).map((x) => parseVp9Descriptor(x)!);
  assert.equal(kp.length, 3);
  assert.deepEqual(kp[0]!.ss?.resolutions, [{ width: 1280, height: 720 }]);
  assert.equal(kp[0]!.interPicturePredicted, false);
  assert.deepEqual(
    kp.map((d) => [d.beginningOfFrame, d.endOfFrame, d.ss !== undefined, d.pictureId]),
    [
      [true, false, true, 7],
      [false, false, false, 7],
      [false, true, false, 7],
    ],
  );
  const dp = p.payload(vp9Frame(rnd, 100, false), 1000).map((x) => parseVp9Descriptor(x)!);
  assert.equal(dp.length, 1);
  assert.equal(dp[0]!.interPicturePredicted, true);
  assert.equal(dp[0]!.ss, undefined);
  assert.equal(dp[0]!.pictureId, 8);
  const flex = new Vp9Payloader({ flexible: true }).payload(vp9Frame(rnd, 100, false), 1000);
  assert.deepEqual(parseVp9Descriptor(flex[0]!)!.pDiffs, [1]);
});

checkAll(
  {
    name: "VP9 non-flexible",
    payloader: () => new Vp9Payloader(),
    depayloader: () => new Vp9Depayloader(),
    frame: vp9Frame,
    overhead: () => 3,
  },
  test,
);

checkAll(
  {
    name: "VP9 flexible",
    payloader: () => new Vp9Payloader({ flexible: true }),
    depayloader: () => new Vp9Depayloader(),
    frame: vp9Frame,
    overhead: () => 4,
  },
  test,
);

test("VP9 spatial layers: the layer frames of one picture come out as a superframe", () => {
  const rnd = new SeededRandom(8);
  const l0 = vp9Frame(rnd, 300, true, 320, 180);
  const l1 = rnd.bytes(700);
  const packet = (sid: number, b: boolean, e: boolean, part: Uint8Array): Uint8Array => {
    const d = {
      interPicturePredicted: false,
      beginningOfFrame: b,
      endOfFrame: e,
      pictureId: 3,
      temporalId: 0,
      spatialId: sid,
      tl0PicIdx: 0,
    };
    const out = new Uint8Array(sizeVp9Descriptor(d) + part.length);
    out.set(part, writeVp9Descriptor(d, out, 0));
    return out;
  };
  const packets = [
    packet(0, true, true, l0),
    packet(1, true, false, l1.subarray(0, 400)),
    packet(1, false, true, l1.subarray(400)),
  ];
  const depay = new Vp9Depayloader();
  assert.deepEqual(
    packets.map((p) => depay.inspect(p)),
    [1, 2, 2],
  );
  const f = depay.assemble(packets, 3)!;
  assert.equal(f.keyframe, true);
  const n = l0.length + l1.length;
  assert.equal(f.data.length, n + 2 + 2 * 2);
  assert.equal(Buffer.from(f.data.subarray(0, l0.length)).equals(Buffer.from(l0)), true);
  // Index: marker 0b110 01 001 (2-byte sizes, 2 frames), sizes little-endian, marker again.
  const idx = f.data.subarray(n);
  assert.deepEqual([...idx], [0xc9, l0.length & 0xff, l0.length >> 8, l1.length & 0xff, l1.length >> 8, 0xc9]);
});
