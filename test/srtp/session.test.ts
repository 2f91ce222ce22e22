// SrtpSession behaviour: round trips for every profile, rollover counter across 65535 -> 0,
// reordering around the wrap, replay and too-old rejection, tampering, truncation, SRTCP
// indices and replay, per-SSRC contexts and their cap, and DTLS exporter key splitting.
import assert from "node:assert/strict";
import { createCipheriv, createHmac } from "node:crypto";
import { test } from "node:test";
import { toHex } from "../../src/bytes/index.js";
import { SeededRandom } from "../../src/random.js";
import {
  deriveSessionKeys,
  estimateRoc,
  REPLAY_DUPLICATE,
  REPLAY_OK,
  REPLAY_TOO_OLD,
  ReplayWindow,
  SRTP_PROFILES,
  type SrtpProfile,
  SrtpSession,
  srtpKeyingMaterialLength,
  srtpKeysFromExporter,
} from "../../src/srtp/index.js";

const PROFILES = Object.keys(SRTP_PROFILES) as SrtpProfile[];

function rtp(seq: number, ssrc: number, payload: Uint8Array, opts: { csrc?: number; ext?: boolean } = {}): Uint8Array {
  const cc = opts.csrc ?? 0;
  const extLen = opts.ext ? 8 : 0;
  const p = new Uint8Array(12 + cc * 4 + extLen + payload.length);
  p[0] = 0x80 | (opts.ext ? 0x10 : 0) | cc;
  p[1] = 96;
  p[2] = seq >>> 8;
  p[3] = seq;
  p[4] = 0x12;
  p[8] = ssrc >>> 24;
  p[9] = ssrc >>> 16;
  p[10] = ssrc >>> 8;
  p[11] = ssrc;
  let o = 12;
  for (let i = 0; i < cc; i++, o += 4) p[o + 3] = i + 1;
  if (opts.ext) {
    p.set([0xbe, 0xde, 0x00, 0x01, 0x10, 0xaa, 0x00, 0x00], o);
    o += 8;
  }
  p.set(payload, o);
  return p;
}

function rtcp(ssrc: number, bodyWords: number, fill: number): Uint8Array {
  const p = new Uint8Array(8 + bodyWords * 4).fill(fill);
  p[0] = 0x80;
  p[1] = 200;
  p[2] = 0;
  p[3] = 1 + bodyWords;
  p[4] = ssrc >>> 24;
  p[5] = ssrc >>> 16;
  p[6] = ssrc >>> 8;
  p[7] = ssrc;
  return p;
}

function pair(profile: SrtpProfile, seed: number, opts: { replayWindow?: number; maxStreams?: number } = {}) {
  const r = new SeededRandom(seed);
  const material = r.bytes(srtpKeyingMaterialLength(profile));
  const client = srtpKeysFromExporter(profile, material, true);
  const server = srtpKeysFromExporter(profile, material, false);
  const tx = new SrtpSession({ profile, ...client.local, ...opts });
  const rx = new SrtpSession({ profile, ...server.remote, ...opts });
  return { tx, rx, r };
}

test("srtpKeysFromExporter splits client key, server key, client salt, server salt (RFC 5764 4.2)", () => {
  const m = Uint8Array.from({ length: 60 }, (_, i) => i);
  const c = srtpKeysFromExporter("AES_CM_128_HMAC_SHA1_80", m, true);
  assert.deepEqual([...c.local.masterKey], [...m.subarray(0, 16)]);
  assert.deepEqual([...c.remote.masterKey], [...m.subarray(16, 32)]);
  assert.deepEqual([...c.local.masterSalt], [...m.subarray(32, 46)]);
  assert.deepEqual([...c.remote.masterSalt], [...m.subarray(46, 60)]);
  const s = srtpKeysFromExporter("AES_CM_128_HMAC_SHA1_80", m, false);
  assert.deepEqual(s.local, c.remote);
  assert.deepEqual(s.remote, c.local);
  assert.equal(srtpKeyingMaterialLength("AEAD_AES_128_GCM"), 56);
  assert.equal(srtpKeyingMaterialLength("AEAD_AES_256_GCM"), 88);
  const g = srtpKeysFromExporter(
    "AEAD_AES_256_GCM",
    new Uint8Array(88).map((_, i) => i),
    true,
  );
  assert.equal(g.local.masterKey.length, 32);
  assert.equal(g.remote.masterSalt[0], 76);
  assert.throws(() => srtpKeysFromExporter("AES_CM_128_HMAC_SHA1_80", m.subarray(1), true), {
    code: "ERR_SRTP_KEY_LENGTH",
  });
  assert.throws(() => new SrtpSession({ profile: "AEAD_AES_128_GCM", masterKey: m.subarray(0, 16) }), {
    code: "ERR_SRTP_NO_KEYS",
  });
  assert.throws(
    () => new SrtpSession({ profile: "AEAD_AES_128_GCM", masterKey: m.subarray(0, 16), masterSalt: m.subarray(0, 14) }),
    {
      code: "ERR_SRTP_KEY_LENGTH",
    },
  );
  assert.throws(() => new SrtpSession({ profile: "NOPE" as SrtpProfile }), { code: "ERR_SRTP_PROFILE" });
});

for (const profile of PROFILES) {
  test(`${profile}: round trips with CSRCs, extensions, odd sizes; keys differ per direction`, () => {
    for (const seed of [1, 2, 3]) {
      const { tx, rx, r } = pair(profile, seed);
      for (let i = 0; i < 60; i++) {
        const payload = r.bytes(r.int(1400));
        const p = rtp(1000 + i, 0x11223344, payload, { csrc: i % 3, ext: i % 2 === 0 });
        const wire = tx.protectRtp(p)!;
        assert.equal(wire.length, p.length + SRTP_PROFILES[profile].rtpTagLength, `seed ${seed}`);
        if (payload.length > 16) assert.notEqual(toHex(wire.subarray(p.length - 16, p.length)), toHex(p.subarray(-16)));
        const back = rx.unprotectRtp(wire);
        assert.ok(back.ok, `seed ${seed} packet ${i}: ${back.ok ? "" : back.reason}`);
        assert.equal(toHex(back.packet), toHex(p), `seed ${seed} packet ${i}`);
        const c = rtcp(0x11223344, i % 7, i);
        const cw = tx.protectRtcp(c)!;
        const cb = rx.unprotectRtcp(cw);
        assert.ok(cb.ok, `seed ${seed} rtcp ${i}: ${cb.ok ? "" : cb.reason}`);
        assert.equal(toHex(cb.packet), toHex(c));
      }
      assert.equal(rx.stats.rtpUnprotected, 60);
      assert.equal(rx.stats.rtcpUnprotected, 60);
      // The peer's own keys cannot read this direction.
      const wrongSide = new SrtpSession({
        profile,
        ...srtpKeysFromExporter(profile, new SeededRandom(seed).bytes(srtpKeyingMaterialLength(profile)), true).remote,
      });
      const res = wrongSide.unprotectRtp(tx.protectRtp(rtp(5, 1, new Uint8Array(50)))!);
      assert.deepEqual(res, { ok: false, reason: "auth" });
    }
  });

  test(`${profile}: rollover counter across 65535 -> 0 with reordering and loss`, () => {
    for (const seed of [4, 5]) {
      const { tx, rx, r } = pair(profile, seed);
      const seqs: number[] = [];
      for (let s = 65500; s < 65536 + 300; s++) seqs.push(s & 0xffff);
      const wires = seqs.map((s) => ({
        s,
        w: tx.protectRtp(rtp(s, 0xabcdef01, Uint8Array.of(s & 255, s >> 8, 1, 2)))!,
      }));
      assert.equal(tx.sendRoc(0xabcdef01), 1, `seed ${seed}`);
      // Reorder within small distances and lose 10%.
      for (let i = 0; i < wires.length - 1; i++) {
        if (r.float() < 0.3) [wires[i], wires[i + 1]] = [wires[i + 1]!, wires[i]!];
      }
      let got = 0;
      for (const { s, w } of wires) {
        if (r.float() < 0.1) continue;
        const res = rx.unprotectRtp(w);
        assert.ok(res.ok, `seed ${seed} seq ${s}: ${res.ok ? "" : res.reason}`);
        assert.equal(res.packet[12], s & 255);
        got++;
      }
      assert.equal(rx.stats.rtpUnprotected, got);
      assert.equal(rx.receiveRoc(0xabcdef01), 1, `seed ${seed}`);
    }
  });

  test(`${profile}: replayed and too-old packets are rejected, tampering fails auth`, () => {
    const { tx, rx } = pair(profile, 9, { replayWindow: 64 });
    const wires: Uint8Array[] = [];
    for (let s = 0; s < 200; s++) wires.push(tx.protectRtp(rtp(s, 7, new Uint8Array(40).fill(s)))!);
    assert.ok(rx.unprotectRtp(wires[100]!).ok);
    assert.deepEqual(rx.unprotectRtp(wires[100]!), { ok: false, reason: "replay" });
    assert.ok(rx.unprotectRtp(wires[199]!).ok);
    assert.ok(rx.unprotectRtp(wires[150]!).ok, "inside the window");
    assert.deepEqual(rx.unprotectRtp(wires[150]!), { ok: false, reason: "replay" });
    assert.deepEqual(rx.unprotectRtp(wires[120]!), { ok: false, reason: "too_old" });
    // Every single-bit flip anywhere in the packet is caught (header, payload or tag).
    const w = wires[198]!;
    for (let i = 0; i < w.length; i++) {
      const bad = Uint8Array.from(w);
      bad[i]! ^= 1 << (i % 8);
      const res = rx.unprotectRtp(bad);
      assert.equal(res.ok, false, `flip at ${i}`);
    }
    assert.ok(rx.unprotectRtp(w).ok, "the untouched packet still verifies after the failures");
    // Truncation and garbage.
    assert.deepEqual(rx.unprotectRtp(w.subarray(0, 12)), { ok: false, reason: "too_short" });
    assert.deepEqual(rx.unprotectRtp(new Uint8Array(0)), { ok: false, reason: "too_short" });
    assert.equal(rx.unprotectRtp(w.subarray(0, w.length - 1)).ok, false);
    // SRTCP replay and tampering.
    const c1 = tx.protectRtcp(rtcp(7, 6, 1))!;
    const c2 = tx.protectRtcp(rtcp(7, 6, 2))!;
    assert.ok(rx.unprotectRtcp(c2).ok);
    assert.ok(rx.unprotectRtcp(c1).ok);
    assert.deepEqual(rx.unprotectRtcp(c1), { ok: false, reason: "replay" });
    const badC = Uint8Array.from(tx.protectRtcp(rtcp(7, 6, 3))!);
    badC[10]! ^= 0x40;
    assert.deepEqual(rx.unprotectRtcp(badC), { ok: false, reason: "auth" });
    assert.deepEqual(rx.unprotectRtcp(c2.subarray(0, 20)), { ok: false, reason: "too_short" });
    assert.ok(rx.stats.dropped.auth > w.length);
    assert.ok(rx.stats.dropped.replay >= 3);
  });
}

test("unprotect never throws on random and mutated input", () => {
  for (const profile of PROFILES) {
    const { tx, rx, r } = pair(profile, 11);
    const valid = tx.protectRtp(rtp(1, 2, new Uint8Array(100)))!;
    const validC = tx.protectRtcp(rtcp(2, 4, 0))!;
    for (let i = 0; i < 3000; i++) {
      const base = i % 2 ? valid : validC;
      const m = r.float() < 0.5 ? Uint8Array.from(base.subarray(0, r.int(base.length + 1))) : r.bytes(r.int(200));
      for (let k = 0; k < 3; k++) if (m.length) m[r.int(m.length)] = r.u32() & 255;
      if (r.float() < 0.5) m[0] = 0x80 | (m[0]! & 0x3f);
      const a = rx.unprotectRtp(m);
      const b = rx.unprotectRtcp(m);
      assert.equal(typeof a.ok, "boolean");
      assert.equal(typeof b.ok, "boolean");
    }
  }
});

test("contexts are per SSRC, created on demand, capped with LRU eviction; unknown SSRCs can be refused", () => {
  const { tx, rx } = pair("AES_CM_128_HMAC_SHA1_80", 12, { maxStreams: 4 });
  // Receiving: ten SSRCs (from a sender without the cap) leave the four most recent contexts.
  const uncapped = pair("AES_CM_128_HMAC_SHA1_80", 12, { maxStreams: 100 }).tx;
  for (let ssrc = 1; ssrc <= 10; ssrc++)
    assert.ok(rx.unprotectRtp(uncapped.protectRtp(rtp(5, ssrc, new Uint8Array(20)))!).ok);
  assert.equal(rx.streamCount, 4);
  assert.equal(rx.stats.evicted, 6);
  assert.equal(rx.receiveRoc(10), 0);
  assert.equal(rx.receiveRoc(1), undefined);
  // An unauthenticated packet never creates a context.
  const forged = rtp(5, 99, new Uint8Array(30));
  const fw = new Uint8Array(forged.length + 10);
  fw.set(forged);
  assert.deepEqual(rx.unprotectRtp(fw), { ok: false, reason: "auth" });
  assert.equal(rx.receiveRoc(99), undefined);
  // Sending contexts are never evicted (a new one would reuse keystream): new SSRCs are refused.
  for (let ssrc = 1; ssrc <= 4; ssrc++) assert.ok(tx.protectRtp(rtp(5, ssrc, new Uint8Array(20))));
  assert.equal(tx.protectRtp(rtp(6, 5, new Uint8Array(20))), undefined);
  assert.equal(tx.stats.protectRejected, 1);
  assert.ok(tx.protectRtp(rtp(6, 4, new Uint8Array(20))), "known SSRCs still work");
  tx.removeStream(1);
  assert.ok(tx.protectRtp(rtp(6, 5, new Uint8Array(20))), "room after removeStream");

  const strict = new SrtpSession({
    profile: "AES_CM_128_HMAC_SHA1_80",
    masterKey: new Uint8Array(16),
    masterSalt: new Uint8Array(14),
    acceptUnknownSsrc: false,
  });
  const sender = new SrtpSession({
    profile: "AES_CM_128_HMAC_SHA1_80",
    masterKey: new Uint8Array(16),
    masterSalt: new Uint8Array(14),
  });
  // A stream joined mid-way with a known rollover counter.
  sender.protectRtp(rtp(65535, 42, new Uint8Array(8)));
  const late = sender.protectRtp(rtp(3, 42, new Uint8Array(8)))!;
  assert.deepEqual(strict.unprotectRtp(late), { ok: false, reason: "unknown_ssrc" });
  strict.addReceiveStream(42, 1);
  assert.ok(strict.unprotectRtp(late).ok);
  strict.removeStream(42);
  assert.deepEqual(strict.unprotectRtp(late), { ok: false, reason: "unknown_ssrc" });
});

test("protect refuses non-RTP input and counts it", () => {
  const { tx } = pair("AEAD_AES_128_GCM", 13);
  assert.equal(tx.protectRtp(new Uint8Array(11)), undefined);
  assert.equal(tx.protectRtp(Uint8Array.of(0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), undefined);
  assert.equal(tx.protectRtp(Uint8Array.of(0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0, 5)), undefined);
  assert.equal(tx.protectRtcp(new Uint8Array(7)), undefined);
  assert.equal(tx.stats.protectRejected, 4);
});

test("estimateRoc follows RFC 3711 appendix A", () => {
  assert.equal(estimateRoc(0, 100, 200), 0);
  assert.equal(estimateRoc(0, 100, 50), 0);
  assert.equal(estimateRoc(1, 100, 65500), 0);
  assert.equal(estimateRoc(0, 100, 65500), -1);
  assert.equal(estimateRoc(0, 65500, 10), 1);
  assert.equal(estimateRoc(0, 65500, 40000), 0);
  assert.equal(estimateRoc(5, 40000, 7232), 5);
  assert.equal(estimateRoc(5, 40000, 7231), 6);
});

test("ReplayWindow: sliding bitmap", () => {
  const w = new ReplayWindow(64);
  assert.equal(w.check(0), REPLAY_OK);
  w.accept(0);
  assert.equal(w.check(0), REPLAY_DUPLICATE);
  w.accept(10);
  assert.equal(w.check(5), REPLAY_OK);
  w.accept(5);
  assert.equal(w.check(5), REPLAY_DUPLICATE);
  w.accept(73);
  assert.equal(w.check(9), REPLAY_TOO_OLD);
  assert.equal(w.check(10), REPLAY_DUPLICATE);
  assert.equal(w.check(11), REPLAY_OK);
  w.accept(1000);
  assert.equal(w.check(73), REPLAY_TOO_OLD);
  assert.equal(w.check(999), REPLAY_OK);
  assert.equal(w.check(1000), REPLAY_DUPLICATE);
  // Slots reused after the window moved are clear.
  for (let i = 1001; i < 1064; i++) assert.equal(w.check(i), REPLAY_OK);
  const big = 2 ** 40;
  w.accept(big);
  assert.equal(w.check(big), REPLAY_DUPLICATE);
  assert.equal(w.check(big - 1), REPLAY_OK);
  assert.throws(() => new ReplayWindow(100), { code: "ERR_SRTP_REPLAY_WINDOW" });
  assert.throws(() => new ReplayWindow(32), { code: "ERR_SRTP_REPLAY_WINDOW" });
});

test("SRTCP packets sent without encryption (E = 0) authenticate and pass through", () => {
  const masterKey = new SeededRandom(21).bytes(16);
  const rtcpPlain = rtcp(0x55, 6, 9);
  const word = Uint8Array.of(0x00, 0x00, 0x00, 0x07); // E = 0, index 7
  // AES-CM/HMAC: tag over packet || E+index.
  {
    const masterSalt = new SeededRandom(22).bytes(14);
    const keys = deriveSessionKeys("AES_CM_128_HMAC_SHA1_80", masterKey, masterSalt);
    const tag = createHmac("sha1", keys.rtcpAuthKey).update(rtcpPlain).update(word).digest().subarray(0, 10);
    const wire = new Uint8Array([...rtcpPlain, ...word, ...tag]);
    const rx = new SrtpSession({ profile: "AES_CM_128_HMAC_SHA1_80", masterKey, masterSalt });
    const r = rx.unprotectRtcp(wire);
    assert.ok(r.ok, r.ok ? "" : r.reason);
    assert.equal(toHex(r.packet), toHex(rtcpPlain));
    assert.deepEqual(rx.unprotectRtcp(wire), { ok: false, reason: "replay" });
  }
  // AES-GCM (RFC 7714 9.2): the whole packet and E+index are associated data; only a tag.
  {
    const masterSalt = new SeededRandom(23).bytes(12);
    const keys = deriveSessionKeys("AEAD_AES_128_GCM", masterKey, masterSalt);
    const iv = Uint8Array.from(keys.rtcpSalt);
    iv[2]! ^= 0;
    iv[5]! ^= 0x55;
    iv[11]! ^= 7;
    const c = createCipheriv("aes-128-gcm", keys.rtcpKey, iv);
    c.setAAD(rtcpPlain);
    c.setAAD(word);
    c.final();
    const wire = new Uint8Array([...rtcpPlain, ...c.getAuthTag(), ...word]);
    const rx = new SrtpSession({ profile: "AEAD_AES_128_GCM", masterKey, masterSalt });
    const r = rx.unprotectRtcp(wire);
    assert.ok(r.ok, r.ok ? "" : r.reason);
    assert.equal(toHex(r.packet), toHex(rtcpPlain));
    const bad = Uint8Array.from(wire);
    bad[9]! ^= 1;
    assert.deepEqual(new SrtpSession({ profile: "AEAD_AES_128_GCM", masterKey, masterSalt }).unprotectRtcp(bad), {
      ok: false,
      reason: "auth",
    });
  }
});

test("SRTCP refuses to protect past index 2^31 - 1 (no keystream reuse, RFC 3711 9.2)", () => {
  const { tx, rx } = pair("AES_CM_128_HMAC_SHA1_80", 30);
  const first = tx.protectRtcp(rtcp(77, 1, 0))!;
  assert.ok(rx.unprotectRtcp(first).ok);
  // Jump the sender's counter to the end of the index space (internal state, for the test only).
  const contexts = (tx as unknown as { sendRtcp: Map<number, { rtcpIndex: number }> }).sendRtcp;
  contexts.get(77)!.rtcpIndex = 0x7ffffffe;
  const last = tx.protectRtcp(rtcp(77, 1, 0))!;
  assert.equal(last[last.length - 14]! & 0x7f, 0x7f);
  assert.ok(rx.unprotectRtcp(last).ok);
  assert.equal(tx.protectRtcp(rtcp(77, 1, 0)), undefined);
  assert.equal(tx.stats.protectRejected, 1);
});
