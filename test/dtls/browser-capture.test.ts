// Real browser bytes: the ClientHellos Chrome 156 and Firefox 153 sent as DTLS clients (captured
// in test/fixtures/dtls/*-handshake.json, two fragments each, DTLS 1.3 offered, post-quantum key
// share, ALPN, record_size_limit...). Our server must reassemble them and answer correctly:
// a HelloVerifyRequest with cookies on, a DTLS 1.2 ServerHello flight with cookies off.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { DtlsEndpoint } from "../../src/dtls/endpoint.js";
import { EXT_SUPPORTED_VERSIONS, EXT_USE_SRTP, findExtension, parseUseSrtp } from "../../src/dtls/extensions.js";
import {
  HT_CERTIFICATE,
  HT_CERTIFICATE_REQUEST,
  HT_HELLO_VERIFY_REQUEST,
  HT_SERVER_HELLO,
  HT_SERVER_HELLO_DONE,
  HT_SERVER_KEY_EXCHANGE,
  parseClientHello,
  parseHelloVerifyRequest,
  parseServerHello,
  parseServerKeyExchange,
  readFragment,
} from "../../src/dtls/messages.js";
import { type HandshakeMessage, Reassembler } from "../../src/dtls/reassembly.js";
import { readRecordHeader } from "../../src/dtls/record.js";
import { GROUP_X25519, SRTP_AEAD_AES_128_GCM } from "../../src/dtls/suites.js";
import { SeededRandom } from "../../src/random.js";
import { ecdsaCert } from "./helpers.js";

interface Captured {
  from: "client" | "server";
  hex: string;
}

function load(name: string): Uint8Array[] {
  const list = JSON.parse(readFileSync(`test/fixtures/dtls/${name}-handshake.json`, "utf8")) as Captured[];
  return list.map((p) => Uint8Array.from(Buffer.from(p.hex, "hex")));
}

/** All plaintext handshake messages in the datagrams, reassembled in order. */
function messagesOf(datagrams: Uint8Array[]): HandshakeMessage[] {
  const r = new Reassembler(0);
  const out: HandshakeMessage[] = [];
  const h = { type: 0, version: 0, epoch: 0, sequence: 0, length: 0 };
  for (const d of datagrams) {
    for (let o = 0; readRecordHeader(d, o, d.length, h); o += 13 + h.length) {
      if (h.type !== 22 || h.epoch !== 0) continue;
      for (let p = o + 13; p < o + 13 + h.length; ) {
        const f = readFragment(d, p, o + 13 + h.length);
        assert.ok(f, "fragment parses");
        r.add(f, 0);
        p += 12 + f.fragmentLength;
      }
    }
    for (let m = r.poll(); m; m = r.poll()) out.push(m);
  }
  return out;
}

const BROWSERS = [
  { name: "chrome-client", sizes: [1175, 238] },
  { name: "firefox-client", sizes: [1383, 78] },
];

for (const b of BROWSERS) {
  test(`${b.name}: the two-fragment ClientHello reassembles and parses`, () => {
    const d = load(b.name);
    const [m] = messagesOf(d.slice(0, 2));
    assert.ok(m);
    assert.equal(m.msgType, 1);
    const ch = parseClientHello(m.body);
    assert.ok(ch);
    assert.equal(ch.version, 0xfefd);
    assert.ok(ch.cipherSuites.includes(0xc02b));
    assert.ok(findExtension(ch.extensions, EXT_SUPPORTED_VERSIONS), "offers DTLS 1.3");
    assert.ok(findExtension(ch.extensions, 51), "sends a key_share (ignored)");
    const srtp = parseUseSrtp(findExtension(ch.extensions, EXT_USE_SRTP)!);
    assert.ok(srtp?.profiles.includes(SRTP_AEAD_AES_128_GCM));
  });

  test(`${b.name}: our server answers the first fragment with a HelloVerifyRequest, statelessly`, () => {
    const d = load(b.name);
    const server = new DtlsEndpoint({ role: "server", certificate: ecdsaCert(1), random: new SeededRandom(1) });
    server.start(0);
    server.handleDatagram(d[0]!, 0);
    const out = server.pollTransmit();
    assert.ok(out);
    const [hvr] = messagesOf([out]);
    assert.equal(hvr?.msgType, HT_HELLO_VERIFY_REQUEST);
    assert.equal(hvr.messageSeq, 0);
    const parsed = parseHelloVerifyRequest(hvr.body);
    assert.equal(parsed?.cookie.length, 32);
    // Record sequence echoes the ClientHello's (RFC 6347 4.2.1).
    assert.equal(Buffer.from(out.subarray(3, 11)).toString("hex"), Buffer.from(d[0]!.subarray(3, 11)).toString("hex"));
    // The second fragment alone creates nothing.
    server.handleDatagram(d[1]!, 1);
    assert.equal(server.pollTransmit(), undefined);
    assert.equal(server.hasHandshakeState, false);
  });

  test(`${b.name}: with cookies off, our server answers with a DTLS 1.2 flight and picks x25519`, () => {
    const d = load(b.name);
    const server = new DtlsEndpoint({
      role: "server",
      certificate: ecdsaCert(1),
      random: new SeededRandom(2),
      cookies: false,
    });
    server.start(0);
    server.handleDatagram(d[0]!, 0);
    server.handleDatagram(d[1]!, 1);
    const out: Uint8Array[] = [];
    for (let x = server.pollTransmit(); x; x = server.pollTransmit()) out.push(x);
    for (const x of out) assert.ok(x.length <= 1200);
    const msgs = messagesOf(out);
    assert.deepEqual(
      msgs.map((m) => m.msgType),
      [HT_SERVER_HELLO, HT_CERTIFICATE, HT_SERVER_KEY_EXCHANGE, HT_CERTIFICATE_REQUEST, HT_SERVER_HELLO_DONE],
    );
    const sh = parseServerHello(msgs[0]!.body)!;
    assert.equal(sh.version, 0xfefd);
    assert.equal(sh.cipherSuite, 0xc02b);
    assert.equal(findExtension(sh.extensions, EXT_SUPPORTED_VERSIONS), undefined, "no supported_versions echo");
    assert.notEqual(Buffer.from(sh.random.subarray(24)).toString("latin1").slice(0, 7), "DOWNGRD");
    assert.ok(findExtension(sh.extensions, 23), "extended_master_secret");
    assert.deepEqual(parseUseSrtp(findExtension(sh.extensions, EXT_USE_SRTP)!)?.profiles, [SRTP_AEAD_AES_128_GCM]);
    assert.equal(parseServerKeyExchange(msgs[2]!.body)?.group, GROUP_X25519);
    assert.equal(server.state, "connecting");
  });
}

test("firefox capture: the other server's HelloVerifyRequest drives our client to resend with its cookie", () => {
  const d = load("firefox-client");
  const hvrDatagram = d.find((x) => x[13] === HT_HELLO_VERIFY_REQUEST)!;
  const [theirHvr] = messagesOf([hvrDatagram]);
  const cookie = parseHelloVerifyRequest(theirHvr!.body)!.cookie;
  const client = new DtlsEndpoint({ role: "client", certificate: ecdsaCert(0), random: new SeededRandom(3) });
  client.start(0);
  const first = client.pollTransmit()!;
  client.handleDatagram(hvrDatagram, 10);
  const second = client.pollTransmit()!;
  const [ch1] = messagesOf([first]);
  const r = new Reassembler(1);
  const f = readFragment(second, 13, second.length)!;
  assert.equal(f.messageSeq, 1);
  r.add(f, 0);
  const ch2 = parseClientHello(r.poll()!.body)!;
  assert.deepEqual(ch2.cookie, cookie);
  assert.deepEqual(ch2.random, parseClientHello(ch1!.body)!.random);
  // Firefox as DTLS client later sent a ClientHello with the server's cookie: it parses too.
  const hvrIndex = d.indexOf(hvrDatagram);
  const r2 = new Reassembler(1);
  for (const x of d.slice(hvrIndex + 1, hvrIndex + 3)) r2.add(readFragment(x, 13, x.length)!, 0);
  const ffCh2 = parseClientHello(r2.poll()!.body);
  assert.deepEqual(ffCh2?.cookie, cookie);
});
