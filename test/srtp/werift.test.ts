// Cross-check with another implementation: werift's SrtpSession/SrtcpSession (the werift
// devDependency) decrypts what Petrel protects and Petrel decrypts what werift protects, for
// the two profiles werift implements, across a sequence number wrap. Skipped without werift.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import { toHex } from "../../src/bytes/index.js";
import { SeededRandom } from "../../src/random.js";
import { parseRtp, serializeRtp } from "../../src/rtp/index.js";
import { type SrtpProfile, SrtpSession } from "../../src/srtp/index.js";

interface WeriftSession {
  encrypt(...args: unknown[]): Buffer;
  decrypt(buf: Buffer): Buffer;
}
interface Werift {
  SrtpSession: new (c: unknown) => WeriftSession;
  SrtcpSession: new (c: unknown) => WeriftSession;
  RtpPacket: { deSerialize(b: Buffer): { header: unknown; payload: Buffer } };
}

let werift: Werift | undefined;
try {
  werift = createRequire(import.meta.url)("werift") as Werift;
} catch {
  werift = undefined;
}

const CASES: { profile: SrtpProfile; id: number; keyLen: number; saltLen: number }[] = [
  { profile: "AES_CM_128_HMAC_SHA1_80", id: 1, keyLen: 16, saltLen: 14 },
  { profile: "AEAD_AES_128_GCM", id: 7, keyLen: 16, saltLen: 12 },
];

for (const c of CASES) {
  test(`${c.profile}: Petrel and werift read each other's SRTP and SRTCP`, {
    skip: !werift && "werift not installed",
  }, () => {
    const w = werift!;
    for (const seed of [1, 2]) {
      const r = new SeededRandom(seed);
      const key = Buffer.from(r.bytes(c.keyLen));
      const salt = Buffer.from(r.bytes(c.saltLen));
      const keys = { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: key, remoteMasterSalt: salt };
      const wTx = new w.SrtpSession({ keys, profile: c.id });
      const wRx = new w.SrtpSession({ keys, profile: c.id });
      const pTx = new SrtpSession({ profile: c.profile, masterKey: key, masterSalt: salt });
      const pRx = new SrtpSession({ profile: c.profile, masterKey: key, masterSalt: salt });
      const ssrc = r.u32();
      for (let i = 0; i < 80; i++) {
        const seq = (65500 + i) & 0xffff;
        const plain = serializeRtp({
          payloadType: 96,
          sequenceNumber: seq,
          timestamp: i * 3000,
          ssrc,
          marker: i % 5 === 0,
          extensions: i % 2 ? [{ id: 3, data: Uint8Array.of(i >> 8, i) }] : undefined,
          payload: r.bytes(1 + r.int(1200)),
        });
        const ours = pTx.protectRtp(plain)!;
        assert.equal(toHex(wRx.decrypt(Buffer.from(ours))), toHex(plain), `seed ${seed} seq ${seq}: werift reads ours`);
        const parsed = w.RtpPacket.deSerialize(Buffer.from(plain));
        const theirs = wTx.encrypt(parsed.payload, parsed.header);
        assert.equal(toHex(theirs), toHex(ours), `seed ${seed} seq ${seq}: identical ciphertext`);
        const back = pRx.unprotectRtp(theirs);
        assert.ok(back.ok, `seed ${seed} seq ${seq}: ${back.ok ? "" : back.reason}`);
        assert.equal(toHex(back.packet), toHex(plain));
        assert.equal(parseRtp(back.packet)?.sequenceNumber, seq);
      }
      const wcTx = new w.SrtcpSession({ keys, profile: c.id });
      const wcRx = new w.SrtcpSession({ keys, profile: c.id });
      for (let i = 0; i < 10; i++) {
        const rr = Buffer.from(`81c90007${ssrc.toString(16).padStart(8, "0")}${toHex(r.bytes(24))}`, "hex");
        const ours = pTx.protectRtcp(rr)!;
        assert.equal(toHex(wcRx.decrypt(Buffer.from(ours))), toHex(rr), `seed ${seed} rtcp ${i}: werift reads ours`);
        const theirs = wcTx.encrypt(rr);
        const back = pRx.unprotectRtcp(theirs);
        assert.ok(back.ok, `seed ${seed} rtcp ${i}: ${back.ok ? "" : back.reason}`);
        assert.equal(toHex(back.packet), toHex(rr));
      }
    }
  });
}
