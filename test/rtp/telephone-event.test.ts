// RFC 4733 telephone-event payloads (section 2.3): the 4-byte block, byte for byte; the DTMF
// event codes of section 3.2 (Table 7); several blocks (2.5.1.5: the last is current); bad sizes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeTelephoneEvent, dtmfEventCode, dtmfTone, encodeTelephoneEvent } from "../../src/rtp/telephone-event.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("RFC 4733 telephone-event payload", () => {
  it("encodes the block: event | E R volume | duration", () => {
    // Digit 9 (code 9) at -10 dBm0, 400 ticks into the event (50 ms at 8 kHz), not ended.
    assert.equal(hex(encodeTelephoneEvent({ event: 9, end: false, volume: 10, duration: 400 })), "090a0190");
    // The end packets of a 200 ms digit at 8 kHz: E set, duration 1600.
    assert.equal(hex(encodeTelephoneEvent({ event: 9, end: true, volume: 10, duration: 1600 })), "098a0640");
    // '#' (11), volume 63, the largest duration.
    assert.equal(hex(encodeTelephoneEvent({ event: 11, end: true, volume: 63, duration: 0xffff })), "0bbfffff");
  });

  it("decodes, ignoring R, and reads the last of several blocks", () => {
    assert.deepEqual(decodeTelephoneEvent(Buffer.from("098a0640", "hex")), {
      event: 9,
      end: true,
      volume: 10,
      duration: 1600,
    });
    assert.deepEqual(decodeTelephoneEvent(Buffer.from("05400320", "hex")), {
      event: 5,
      end: false,
      volume: 0,
      duration: 800,
    });
    assert.equal(decodeTelephoneEvent(Buffer.from("018a0640" + "020a0190", "hex"))?.event, 2);
    assert.equal(decodeTelephoneEvent(Buffer.from("098a06", "hex")), undefined);
    assert.equal(decodeTelephoneEvent(Buffer.from("098a064000", "hex")), undefined);
    assert.equal(decodeTelephoneEvent(new Uint8Array(0)), undefined);
  });

  it("maps DTMF tones to event codes and back (RFC 4733 Table 7)", () => {
    const tones = "0123456789*#ABCD";
    for (let i = 0; i < 16; i++) {
      assert.equal(dtmfEventCode(tones[i]!), i);
      assert.equal(dtmfTone(i), tones[i]);
    }
    assert.equal(dtmfEventCode("a"), 12);
    assert.equal(dtmfEventCode("E"), -1);
    assert.equal(dtmfEventCode(","), -1);
    assert.equal(dtmfEventCode("12"), -1);
    assert.equal(dtmfTone(16), undefined);
  });
});
