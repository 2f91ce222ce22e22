// Tests of one-shot mDNS resolution (RFC 6762): the query's bytes, answer parsing with name
// compression and malformed input, a fuzz run that must never throw, and resolution against a
// hand-built responder on loopback (unicast, as RFC 6762 6.7 answers one-shot queries). Tests never
// send to the real multicast group: traffic stays on this machine's loopback.
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { test } from "node:test";
import { parseIP } from "../../src/address.js";
import { MDNS_IPV4, resolveMdns } from "../../src/net/mdns.js";
import { buildMdnsQuery, parseMdnsResponse, readDnsName } from "../../src/net/mdns-wire.js";
import { SeededRandom } from "../../src/random.js";

const NAME = "1f4712db-ea17-4bcf-a596-105139dfd8bf.local";

function labels(name: string): number[] {
  const out: number[] = [];
  for (const l of name.split(".")) out.push(l.length, ...Buffer.from(l));
  out.push(0);
  return out;
}
const u16 = (v: number): number[] => [v >> 8, v & 255];
const u32 = (v: number): number[] => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];

/** A response: optional echoed question, then records (name bytes, type, class, ttl, rdata). */
function response(opts: {
  question?: string;
  answers: { name: number[]; type: number; cls?: number; ttl?: number; rdata: number[] }[];
  additional?: number;
}): Uint8Array {
  const bytes: number[] = [0, 0, 0x84, 0x00];
  const q = opts.question ? 1 : 0;
  const add = opts.additional ?? 0;
  bytes.push(...u16(q), ...u16(opts.answers.length - add), ...u16(0), ...u16(add));
  if (opts.question) bytes.push(...labels(opts.question), ...u16(1), ...u16(0x8001));
  for (const a of opts.answers) {
    bytes.push(
      ...a.name,
      ...u16(a.type),
      ...u16(a.cls ?? 0x8001),
      ...u32(a.ttl ?? 120),
      ...u16(a.rdata.length),
      ...a.rdata,
    );
  }
  return Uint8Array.from(bytes);
}

test("the query: two questions (A, AAAA) with the QU bit, the second name compressed", () => {
  const q = buildMdnsQuery("Host.local");
  assert.deepEqual(
    [...q],
    [
      ...[0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0],
      ...labels("Host.local"),
      ...[0, 1, 0x80, 1],
      ...[0xc0, 12, 0, 28, 0x80, 1],
    ],
  );
  assert.deepEqual(readDnsName(q, 12), { name: "host.local", end: 12 + 12 });
  assert.deepEqual(readDnsName(q, 28), { name: "host.local", end: 30 });
  for (const bad of ["example.com", "local", "", `${"a".repeat(64)}.local`, "a..local", `${"abc.".repeat(64)}local`]) {
    assert.throws(() => buildMdnsQuery(bad), { code: "ERR_NET_MDNS_NAME" }, bad);
  }
  assert.equal(buildMdnsQuery("x.local.").length, buildMdnsQuery("x.local").length);
});

test("answers: A and AAAA, compressed names, case-insensitive match, cache-flush bit, other names skipped", () => {
  const r = response({
    question: NAME,
    answers: [
      { name: labels("other.local"), type: 1, rdata: [10, 0, 0, 9] },
      { name: [0xc0, 12], type: 1, rdata: [192, 168, 1, 20] },
      { name: labels(NAME.toUpperCase()), type: 28, cls: 1, rdata: [...parseIP("2001:db8::7")!] },
      { name: [0xc0, 12], type: 16, rdata: [3, 97, 98, 99] }, // TXT: skipped
    ],
    additional: 1,
  });
  assert.deepEqual(parseMdnsResponse(r, NAME), [
    { family: 4, address: "192.168.1.20", ttl: 120 },
    { family: 6, address: "2001:db8::7", ttl: 120 },
  ]);
  assert.deepEqual(parseMdnsResponse(r, `${NAME}.`), parseMdnsResponse(r, NAME));
  assert.deepEqual(parseMdnsResponse(r, "nobody.local"), []);
});

test("malformed responses yield no answer: queries, truncation, pointer loops, forward pointers, bad rdlength", () => {
  const good = response({ answers: [{ name: labels(NAME), type: 1, rdata: [1, 2, 3, 4] }] });
  assert.equal(parseMdnsResponse(good, NAME).length, 1);
  const query = Uint8Array.from(good);
  query[2] = 0; // QR bit clear: a query, not a response
  assert.deepEqual(parseMdnsResponse(query, NAME), []);
  for (let n = 0; n < good.length; n++)
    assert.deepEqual(parseMdnsResponse(good.subarray(0, n), NAME), [], `cut at ${n}`);
  const loop = response({ answers: [{ name: [0xc0, 12], type: 1, rdata: [1, 2, 3, 4] }] });
  assert.deepEqual(parseMdnsResponse(loop, NAME), []);
  const selfLoop = Uint8Array.from([...loop.subarray(0, 12), 1, 97, 0xc0, 12, ...loop.subarray(14)]);
  assert.equal(readDnsName(selfLoop, 12), undefined);
  const forward = response({ answers: [{ name: [0xc0, 40], type: 1, rdata: [1, 2, 3, 4] }] });
  assert.deepEqual(parseMdnsResponse(forward, NAME), []);
  const reserved = response({ answers: [{ name: [0x41, 0], type: 1, rdata: [1, 2, 3, 4] }] });
  assert.deepEqual(parseMdnsResponse(reserved, NAME), []);
  const shortA = response({ answers: [{ name: labels(NAME), type: 1, rdata: [1, 2, 3] }] });
  assert.deepEqual(parseMdnsResponse(shortA, NAME), []);
  const overlong = Uint8Array.from(good);
  overlong[good.length - 5] = 9; // rdlength past the end
  assert.deepEqual(parseMdnsResponse(overlong, NAME), []);
});

test("fuzz: random and mutated responses never throw", () => {
  const rnd = new SeededRandom(42);
  const base = response({
    question: NAME,
    answers: [
      { name: [0xc0, 12], type: 1, rdata: [192, 168, 1, 20] },
      { name: [0xc0, 12], type: 28, rdata: [...parseIP("2001:db8::7")!] },
    ],
  });
  for (let i = 0; i < 30_000; i++) {
    let b: Uint8Array;
    if (i % 3 === 0) b = rnd.bytes(rnd.int(120));
    else {
      b = Uint8Array.from(base);
      const flips = 1 + rnd.int(4);
      for (let f = 0; f < flips; f++) b[rnd.int(b.length)] = rnd.int(256);
      if (i % 3 === 2) b = b.subarray(0, rnd.int(b.length + 1));
    }
    try {
      const got = parseMdnsResponse(b, NAME);
      for (const a of got) assert.ok(a.family === 4 || a.family === 6);
      readDnsName(b, rnd.int(b.length + 2));
    } catch (err) {
      assert.fail(`input ${Buffer.from(b).toString("hex")} threw ${err}`);
    }
  }
});

/** A responder on loopback that answers queries for `names` with unicast replies to the querier. */
async function responder(answers: Record<string, { type: number; rdata: number[]; ttl?: number }[]>) {
  const s = createSocket("udp4");
  s.bind(0, "127.0.0.1");
  await once(s, "listening");
  const queries: Buffer[] = [];
  s.on("message", (msg, rinfo) => {
    queries.push(msg);
    const q = readDnsName(msg, 12);
    if (!q) return;
    const recs = answers[q.name];
    if (!recs) return;
    // A decoy for another name first, then the real answers with a compressed name.
    s.send(
      response({ answers: [{ name: labels("decoy.local"), type: 1, rdata: [9, 9, 9, 9] }] }),
      rinfo.port,
      rinfo.address,
    );
    const r = response({ question: q.name, answers: recs.map((a) => ({ name: [0xc0, 12], ...a })) });
    s.send(r, rinfo.port, rinfo.address);
  });
  return { socket: s, port: s.address().port, queries };
}

test("resolves against a responder on loopback; unknown names give undefined after the timeout", {
  timeout: 20_000,
}, async () => {
  const r = await responder({
    [NAME]: [{ type: 1, rdata: [192, 168, 1, 20] }],
    "v6only.local": [{ type: 28, rdata: [...parseIP("fd00::5")!] }],
    "goodbye.local": [{ type: 1, rdata: [10, 1, 1, 1], ttl: 0 }],
  });
  const targets = [{ address: "127.0.0.1", port: r.port }];
  try {
    assert.equal(await resolveMdns(NAME, { targets, timeout: 2000 }), "192.168.1.20");
    assert.equal(await resolveMdns(NAME.toUpperCase(), { targets, timeout: 2000 }), "192.168.1.20");
    assert.equal(await resolveMdns("v6only.local", { targets, timeout: 2000 }), "fd00::5");
    assert.equal(await resolveMdns("v6only.local", { targets, timeout: 150, family: 4 }), undefined);
    assert.equal(await resolveMdns("goodbye.local", { targets, timeout: 150 }), undefined);
    assert.equal(await resolveMdns("nobody.local", { targets, timeout: 150, retransmit: 50 }), undefined);
    // The responder saw well-formed queries: A and AAAA with the QU bit.
    const q = r.queries[0]!;
    assert.equal(q.readUInt16BE(4), 2);
    const ac = new AbortController();
    const pending = resolveMdns("nobody.local", { targets, timeout: 60_000, signal: ac.signal });
    ac.abort();
    assert.equal(await pending, undefined);
  } finally {
    r.socket.close();
  }
});

test("multicast on the loopback interface: the query reaches a responder joined to 224.0.0.251", {
  timeout: 20_000,
}, async (t) => {
  // Traffic stays on lo: the query leaves through 127.0.0.1 and only the IPv4 group is targeted.
  const r = createSocket({ type: "udp4", reuseAddr: true });
  const joined = await new Promise<boolean>((resolve) => {
    r.once("error", () => resolve(false));
    r.bind(5353, () => {
      try {
        r.addMembership(MDNS_IPV4.address, "127.0.0.1");
        resolve(true);
      } catch {
        resolve(false);
      }
    });
  });
  if (!joined) {
    r.close();
    t.skip("cannot join 224.0.0.251 on loopback here");
    return;
  }
  const name = "petrel-multicast-test.local";
  r.on("message", (msg, rinfo) => {
    const q = readDnsName(msg, 12);
    if (q?.name !== name || rinfo.port === 5353) return;
    r.send(
      response({ question: name, answers: [{ name: [0xc0, 12], type: 1, rdata: [10, 11, 12, 13] }] }),
      rinfo.port,
      rinfo.address,
    );
  });
  try {
    const got = await resolveMdns(name, {
      targets: [MDNS_IPV4],
      multicastInterface: { v4: "127.0.0.1" },
      timeout: 3000,
    });
    assert.equal(got, "10.11.12.13");
  } finally {
    r.close();
  }
});
