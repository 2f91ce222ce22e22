// SRTP over the simulated network: a sender core protecting an RTP stream (100 packets/s,
// starting just below the sequence number wrap) and RTCP (5/s), and a receiver core
// unprotecting them, over a link with loss, duplication, jitter and reordering. Every packet that
// arrives decrypts once, every duplicate is refused as a replay, and nothing fails
// authentication, for each profile and several seeds.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SeededRandom } from "../../src/random.js";
import { parseRtcp, parseRtp, serializeRtcp, serializeRtp } from "../../src/rtp/index.js";
import {
  SRTP_PROFILES,
  type SrtpProfile,
  SrtpSession,
  srtpKeyingMaterialLength,
  srtpKeysFromExporter,
} from "../../src/srtp/index.js";
import { connectPair, Network, type PacketCore } from "../sim/network.js";

const SSRC = 0x5eed5eed;

class MediaSender implements PacketCore {
  private readonly out: Uint8Array[] = [];
  private next = 0;
  private seq: number;
  sent = 0;
  sentRtcp = 0;
  constructor(
    private readonly srtp: SrtpSession,
    private readonly random: SeededRandom,
    private readonly count: number,
  ) {
    this.seq = 65536 - 300;
  }
  handleDatagram(): void {}
  handleTimeout(now: number): void {
    while (now >= this.next && this.sent < this.count) {
      const payload = this.random.bytes(50 + this.random.int(1100));
      payload[0] = this.sent & 0xff;
      const rtp = serializeRtp({
        payloadType: 96,
        sequenceNumber: this.seq,
        timestamp: this.sent * 900,
        ssrc: SSRC,
        payload,
      });
      this.out.push(this.srtp.protectRtp(rtp)!);
      this.seq = (this.seq + 1) & 0xffff;
      this.sent++;
      if (this.sent % 20 === 0) {
        const rr = serializeRtcp([
          { type: "rr", ssrc: SSRC, reports: [] },
          { type: "bye", ssrcs: [this.sent] },
        ]);
        this.out.push(this.srtp.protectRtcp(rr)!);
        this.sentRtcp++;
      }
      this.next += 10;
    }
  }
  pollTransmit(): Uint8Array | undefined {
    return this.out.shift();
  }
  nextTimeout(): number | undefined {
    return this.sent < this.count ? this.next : undefined;
  }
}

class MediaReceiver implements PacketCore {
  readonly rtpSeen = new Set<number>();
  readonly rtcpSeen = new Set<number>();
  deliveries = 0;
  duplicatesDecrypted = 0;
  constructor(readonly srtp: SrtpSession) {}
  handleDatagram(data: Uint8Array): void {
    this.deliveries++;
    const isRtcp = data[1]! >= 192 && data[1]! <= 223;
    const r = isRtcp ? this.srtp.unprotectRtcp(data) : this.srtp.unprotectRtp(data);
    if (!r.ok) return;
    if (isRtcp) {
      const bye = parseRtcp(r.packet)![1]!;
      assert.equal(bye.type, "bye");
      if (bye.type === "bye") this.rtcpSeen.add(bye.ssrcs[0]!);
      return;
    }
    const p = parseRtp(r.packet)!;
    const n = p.timestamp / 900;
    assert.equal(p.payload[0], n & 0xff, "payload matches its packet");
    if (this.rtpSeen.has(n)) this.duplicatesDecrypted++;
    this.rtpSeen.add(n);
  }
  handleTimeout(): void {}
  pollTransmit(): Uint8Array | undefined {
    return undefined;
  }
  nextTimeout(): number | undefined {
    return undefined;
  }
}

for (const profile of Object.keys(SRTP_PROFILES) as SrtpProfile[]) {
  test(`${profile} over a lossy, duplicating, reordering link`, () => {
    for (const seed of [1, 2, 3]) {
      const material = new SeededRandom(seed).bytes(srtpKeyingMaterialLength(profile));
      const tx = new SrtpSession({ profile, ...srtpKeysFromExporter(profile, material, true).local });
      const rx = new SrtpSession({ profile, ...srtpKeysFromExporter(profile, material, false).remote });
      const net = new Network({ seed });
      const sender = new MediaSender(tx, new SeededRandom(seed + 100), 700);
      const receiver = new MediaReceiver(rx);
      connectPair(net, sender, receiver, {
        link: { latency: 20, jitter: 8, loss: 0.05, duplicate: 0.05, reorder: 0.1, reorderDelay: 40 },
      });
      net.run({ untilTime: 10_000 });
      const msg = `seed ${seed}`;
      assert.equal(sender.sent, 700, msg);
      assert.equal(receiver.duplicatesDecrypted, 0, msg);
      assert.equal(rx.stats.dropped.auth, 0, msg);
      assert.equal(rx.stats.dropped.too_old, 0, msg);
      assert.equal(rx.stats.dropped.too_short, 0, msg);
      assert.ok(net.stats.duplicated > 0 && net.stats.lost > 0, msg);
      // Every delivery either decrypted a new packet or was refused as a replay.
      assert.equal(receiver.rtpSeen.size + receiver.rtcpSeen.size + rx.stats.dropped.replay, receiver.deliveries, msg);
      const expected = 700 + sender.sentRtcp;
      assert.ok(receiver.rtpSeen.size + receiver.rtcpSeen.size >= expected * 0.85, msg);
      assert.equal(rx.receiveRoc(SSRC), 1, `${msg}: crossed the wrap`);
    }
  });
}
