// H.264 (RFC 6184): Annex B split/join, STAP-A (5.7.1) and FU-A (5.8) byte layouts,
// packetization-mode 0, SPS/PPS repeated before an IDR, malformed aggregates and fragment runs
// dropped, and the shared video checks.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fromHex, toHex } from "../../../src/bytes/index.js";
import {
  H264Depayloader,
  H264Payloader,
  joinAnnexB,
  PKT_MALFORMED,
  PKT_NOT_START,
  PKT_START,
  RtpDepacketizer,
  RtpPacketizer,
  splitAnnexB,
} from "../../../src/media/codecs/index.js";
import { SeededRandom } from "../../../src/random.js";
import { assertBytes, h264AccessUnit, run } from "./harness.js";
import { checkAll } from "./video-checks.js";

const hx = (s: string): Uint8Array => fromHex(s)!;

test("Annex B split and join", () => {
  const nals = splitAnnexB(hx("ffff 00000001 67aa 000001 68bb 00000001 65cc00 000001 000001 41dd"));
  assert.deepEqual(nals.map(toHex), ["67aa", "68bb", "65cc", "41dd"]);
  assert.deepEqual(splitAnnexB(hx("00000001")), []);
  assert.deepEqual(splitAnnexB(new Uint8Array(0)), []);
  assert.deepEqual(splitAnnexB(hx("000001 6500 0003 01")).map(toHex), ["65000003 01".replace(" ", "")]);
  assert.equal(toHex(joinAnnexB([hx("67aa"), hx("68bb")])), "0000000167aa0000000168bb");
});

test("STAP-A and FU-A layouts", () => {
  const p = new H264Payloader();
  const stap = p.payloadNals([hx("670102"), hx("6803"), hx("0601")], 100);
  assert.deepEqual(stap.map(toHex), ["78 0003 670102 0002 6803 0002 0601".replace(/ /g, "")]);
  const fu = new H264Payloader().payloadNals([hx("65 01020304 05060708 090a")], 6);
  assert.deepEqual(fu.map(toHex), ["7c8501020304", "7c0505060708", "7c45090a"]);
  // A NAL that fits goes alone; small ones after it are aggregated.
  const mixed = p.payloadNals([hx(`41${"ab".repeat(20)}`), hx("0601"), hx("0602")], 21);
  assert.deepEqual(mixed.map(toHex), [`41${"ab".repeat(20)}`, "18000206010002" + "0602"]);
  const depay = new H264Depayloader();
  assert.equal(depay.inspect(stap[0]!), PKT_START);
  assert.equal(depay.inspect(fu[0]!), 0);
  assert.equal(depay.inspect(fu[1]!), PKT_NOT_START);
  const au = depay.assemble(fu, 3)!;
  assert.equal(toHex(au.data), "0000000165 01020304 05060708 090a".replace(/ /g, ""));
  assert.equal(au.keyframe, true);
  const ps = depay.assemble(stap, 1)!;
  assert.equal(toHex(ps.data), "00000001670102 000000016803 000000010601".replace(/ /g, ""));
  assert.equal(ps.keyframe, false);
});

test("malformed H.264 payloads are refused", () => {
  const d = new H264Depayloader();
  for (const bad of [
    "",
    "78",
    "780005670102",
    "7800",
    "780000",
    "7c",
    "7c85",
    "7cc501",
    "00",
    "19aa",
    "1aaa",
    "1daa",
    "1eaa",
  ])
    assert.equal(d.inspect(hx(bad)), PKT_MALFORMED, bad);
  // FU-A run without start, a start without end, or broken by another packet.
  assert.equal(d.assemble([hx("7c0501"), hx("7c4502")], 2), undefined);
  assert.equal(d.assemble([hx("7c8501"), hx("7c0502")], 2), undefined);
  assert.equal(d.assemble([hx("7c8501"), hx("4101"), hx("7c4502")], 3), undefined);
  assert.equal(d.assemble([hx("7c8501"), hx("7c8502")], 2), undefined);
});

test("packetization-mode 0: one NAL per packet, oversized NAL refused", () => {
  const rnd = new SeededRandom(5);
  const p = new H264Payloader({ packetizationMode: 0 });
  const au = h264AccessUnit(rnd, [100, 200, 50], true);
  const out = p.payload(au, 300);
  assert.equal(out.length, 5);
  assert.deepEqual(
    out.map((x) => x[0]! & 0x1f),
    [7, 8, 5, 5, 5],
  );
  assert.throws(() => p.payload(h264AccessUnit(rnd, [400], false), 300), { code: "ERR_CODEC_FRAME_TOO_LARGE" });
  assert.throws(() => p.payload(hx("ffff"), 300), { code: "ERR_CODEC_EMPTY_FRAME" });
  const tx = new RtpPacketizer({ payloader: new H264Payloader({ packetizationMode: 0 }), payloadType: 97, ssrc: 1 });
  const rx = new RtpDepacketizer(new H264Depayloader());
  const frames = [0, 1, 2, 3].map((i) => ({ data: h264AccessUnit(rnd, [300, 300, 20], i === 0), ticks: i * 3000 }));
  const r = run(tx, rx, frames, rnd, { jitterMs: 10 });
  assert.equal(r.frames.length, 4);
  for (let i = 0; i < 4; i++) assertBytes(r.frames[i]!.data, frames[i]!.data, `frame ${i}`);
});

test("SPS and PPS are sent again before an IDR that lacks them", () => {
  const rnd = new SeededRandom(6);
  const tx = new RtpPacketizer({ payloader: new H264Payloader(), payloadType: 97, ssrc: 1 });
  const rx = new RtpDepacketizer(new H264Depayloader());
  const first = h264AccessUnit(rnd, [2000], true);
  const later = h264AccessUnit(rnd, [2000], true, false);
  const r = run(
    tx,
    rx,
    [
      { data: first, ticks: 0 },
      { data: h264AccessUnit(rnd, [500], false), ticks: 3000 },
      { data: later, ticks: 6000 },
    ],
    rnd,
  );
  assert.equal(r.sent[2]![0]!.payload[0]! & 0x1f, 24, "STAP-A with SPS+PPS first");
  const nals = splitAnnexB(r.frames[2]!.data);
  const params = splitAnnexB(first).slice(0, 2);
  assert.deepEqual(nals.map(toHex), [...params.map(toHex), ...splitAnnexB(later).map(toHex)]);
  assert.equal(r.frames[2]!.keyframe, true);
  const off = new H264Payloader({ repeatParameterSets: false });
  off.payload(first, 1000);
  assert.equal(off.payload(later, 1000)[0]![0]! & 0x1f, 28);
});

checkAll(
  {
    name: "H.264",
    payloader: () => new H264Payloader(),
    depayloader: () => new H264Depayloader(),
    // An access unit of about `size` bytes in Annex B: one slice NAL of size - 4.
    frame: (rnd, size, key) => h264AccessUnit(rnd, [Math.max(2, size - 4)], key),
    // A non-key access unit of `size` bytes is one NAL of size - 4 sent as is.
    overhead: () => -4,
  },
  test,
);
