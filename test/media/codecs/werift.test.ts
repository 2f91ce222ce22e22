// Our payloaders read by another stack's independent depacketizers (werift, a devDependency):
// VP8 (RFC 7741) descriptors and key frames, VP9 (RFC 9628) descriptors with flexible P_DIFFs
// and the SS resolution, and AV1 aggregation headers with fragmented OBUs, over real AV1 key
// and inter frames when ffmpeg with libaom is present (synthetic temporal units otherwise).
import assert from "node:assert/strict";
import { test } from "node:test";
import { AV1RtpPayload, Vp8RtpPayload, Vp9RtpPayload } from "werift";
import { Av1Payloader, parseObus, Vp8Payloader, Vp9Payloader } from "../../../src/media/codecs/index.js";
import { SeededRandom } from "../../../src/random.js";
import { assertBytes, av1TemporalUnit, concat, vp8Frame, vp9Frame } from "./harness.js";

test("werift reads our VP8 packets: PictureID, start bit, key frames, the frame bytes", () => {
  const rnd = new SeededRandom(1);
  const pay = new Vp8Payloader({ initialPictureId: 0x7ff0 });
  for (let i = 0; i < 40; i++) {
    const key = i % 10 === 0;
    const frame = vp8Frame(rnd, 1 + rnd.int(5000), key);
    const packets = pay.payload(frame, 1000).map((p) => Vp8RtpPayload.deSerialize(Buffer.from(p)));
    assert.equal(packets[0]!.sBit, 1);
    assert.equal(packets[0]!.pid, 0);
    assert.equal(packets[0]!.isKeyframe, key, `frame ${i}`);
    for (const p of packets) assert.equal(p.pictureId, (0x7ff0 + i) & 0x7fff);
    for (const p of packets.slice(1)) assert.equal(p.sBit, 0);
    assertBytes(concat(packets.map((p) => p.payload)), frame, `frame ${i}`);
  }
});

test("werift reads our VP9 packets: B/E bits, P and P_DIFF, SS resolution, the frame bytes", () => {
  const rnd = new SeededRandom(2);
  for (const flexible of [false, true]) {
    const pay = new Vp9Payloader({ flexible });
    for (let i = 0; i < 30; i++) {
      const key = i % 10 === 0;
      const frame = vp9Frame(rnd, 1 + rnd.int(5000), key, 1280, 720);
      const packets = pay.payload(frame, 1000).map((p) => Vp9RtpPayload.deSerialize(Buffer.from(p)));
      const first = packets[0]!;
      assert.equal(first.bBit, 1);
      assert.equal(packets[packets.length - 1]!.eBit, 1);
      assert.equal(first.pBit, key ? 0 : 1);
      assert.equal(first.isKeyframe, key, `flexible ${flexible} frame ${i}`);
      assert.equal(first.pictureId, i);
      if (key) {
        assert.equal(first.vBit, 1);
        assert.deepEqual([first.width, first.height], [[1280], [720]]);
      }
      if (flexible && !key) assert.deepEqual(first.pDiff, [1]);
      assertBytes(concat(packets.map((p) => p.payload)), frame, `flexible ${flexible} frame ${i}`);
    }
  }
});

test("werift reassembles our AV1 packets: fragments over packets, W and N bits", () => {
  const rnd = new SeededRandom(3);
  const pay = new Av1Payloader();
  for (let i = 0; i < 30; i++) {
    const key = i % 10 === 0;
    const tu = av1TemporalUnit(rnd, 1 + rnd.int(4000), key);
    const packets = pay.payload(tu, 200 + rnd.int(1000)).map((p) => AV1RtpPayload.deSerialize(Buffer.from(p)));
    assert.equal(packets[0]!.isKeyframe, key, `frame ${i}`);
    const frame = AV1RtpPayload.getFrame(packets);
    // werift returns the OBUs (with obu_size) without a temporal delimiter.
    const want = parseObus(tu)!.filter((o) => o.type !== 2);
    const got = parseObus(frame)!;
    assert.deepEqual(
      got.map((o) => o.type),
      want.map((o) => o.type),
    );
    for (let k = 0; k < want.length; k++) assertBytes(got[k]!.payload, want[k]!.payload, `frame ${i} OBU ${k}`);
  }
});
