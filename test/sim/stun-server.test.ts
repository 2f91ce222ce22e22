// Tests of the STUN server node, and of every NAT preset seen through it: a host behind each NAT
// type asks two STUN servers (on two IPs, two ports) for its reflexive address; the addresses it
// learns match what the servers saw and the NAT's mapping behaviour; then which unsolicited
// datagrams get back in matches the filtering behaviour.
import assert from "node:assert/strict";
import { test } from "node:test";
import { addressKey, type TransportAddress } from "../../src/address.js";
import { Attr, parseStun, StunBuilder, StunClass, StunMethod, verifyFingerprint } from "../../src/stun/index.js";
import { Endpoint } from "./endpoint.js";
import { type NatBehaviourConfig, natPresets } from "./nat.js";
import { Network } from "./network.js";
import { StunServer } from "./stun-server.js";

let txCounter = 0;
function bindingRequest(opts: { fingerprint?: boolean; method?: number; extra?: (b: StunBuilder) => void } = {}) {
  const tid = new Uint8Array(12);
  new DataView(tid.buffer).setUint32(8, ++txCounter);
  const b = new StunBuilder(opts.method ?? StunMethod.Binding, StunClass.Request, tid);
  opts.extra?.(b);
  return { tid, bytes: b.finish({ fingerprint: opts.fingerprint ?? true }) };
}

/** The XOR-MAPPED-ADDRESS of the last success response the endpoint received from `server`. */
function mappedFrom(ep: Endpoint, server: TransportAddress): TransportAddress {
  const r = ep.received.filter((x) => addressKey(x.from) === addressKey(server)).at(-1);
  assert.ok(r, `no response from ${addressKey(server)}`);
  const p = parseStun(r.data);
  assert.ok(p.ok);
  assert.equal(p.msg.cls, StunClass.SuccessResponse);
  const a = p.msg.getAddress(Attr.XorMappedAddress);
  assert.ok(a);
  return a;
}

test("every NAT preset, seen through two STUN servers: mapping and filtering as configured", () => {
  for (const [name, preset] of Object.entries(natPresets) as [string, NatBehaviourConfig][]) {
    for (const seed of [1, 2, 3]) {
      const ctx = `${name}, seed ${seed}`;
      const net = new Network({ seed, defaultLink: { latency: 15, jitter: 5 } });
      const nat = net.addNat({ publicIp: "203.0.113.1", ...preset, portAllocation: "random" });
      const client = new Endpoint(net, "192.168.1.2");
      net.attach(client, [client.ip], { nat });
      const s1 = new StunServer("198.51.100.1");
      const s2 = new StunServer("198.51.100.2");
      const s3 = new StunServer("198.51.100.3"); // never contacted by the client
      net.attach(s1, [s1.ip]);
      net.attach(s2, [s2.ip]);
      net.attach(s3, [s3.ip]);
      const targets = [
        { address: s1.ip, port: 3478 },
        { address: s1.ip, port: 3479 },
        { address: s2.ip, port: 3478 },
      ];
      for (const t of targets) {
        client.send(5000, t, bindingRequest().bytes);
        net.run();
      }
      const mapped = targets.map((t) => mappedFrom(client, t));
      // What the client learned is what each server saw.
      assert.deepEqual([...s1.seenFrom(), ...s2.seenFrom()], mapped, ctx);
      for (const m of mapped) assert.equal(m.address, nat.publicIp, ctx);
      const [a, b, c] = mapped.map(addressKey);
      if (preset.mapping === "endpoint-independent") {
        assert.ok(a === b && b === c, `${ctx}: ${a} ${b} ${c}`);
      } else {
        assert.ok(a !== b && b !== c && a !== c, `${ctx}: ${a} ${b} ${c}`);
      }
      // Unsolicited datagrams to the first mapping: from a contacted endpoint, from the contacted
      // IP on a new port, from an IP never contacted.
      const before = client.received.length;
      const probe = (srv: StunServer, port: number, text: string): void => {
        srv.sendRaw(port, mapped[0]!, new TextEncoder().encode(text));
        net.drain(srv);
      };
      probe(s1, 3478, "contacted");
      probe(s1, 9999, "same-ip");
      probe(s3, 3478, "stranger");
      net.run();
      const got = client.received.slice(before).map((r) => new TextDecoder().decode(r.data));
      const expected =
        preset.filtering === "endpoint-independent"
          ? ["contacted", "same-ip", "stranger"]
          : preset.filtering === "address-dependent"
            ? ["contacted", "same-ip"]
            : ["contacted"];
      assert.deepEqual(got.sort(), expected.sort(), ctx);
      assert.equal(nat.stats.filtered, 3 - expected.length, ctx);
    }
  }
});

test("a Binding success response: XOR-MAPPED-ADDRESS (IPv4 and IPv6), FINGERPRINT echoed, SOFTWARE", () => {
  const net = new Network({ seed: 1 });
  const server = new StunServer("2001:db8::1", { software: "petrel-sim", mappedAddress: true });
  const v6 = new Endpoint(net, "2001:db8::2");
  net.attach(server, [server.ip]);
  net.attach(v6, [v6.ip]);
  const req = bindingRequest({ fingerprint: true });
  v6.send(4444, { address: server.ip, port: 3478 }, req.bytes);
  net.run();
  const p = parseStun(v6.received[0]!.data);
  assert.ok(p.ok);
  assert.deepEqual(p.msg.transactionId, req.tid);
  assert.deepEqual(p.msg.getAddress(Attr.XorMappedAddress), { address: "2001:db8::2", port: 4444 });
  assert.deepEqual(p.msg.getAddress(Attr.MappedAddress), { address: "2001:db8::2", port: 4444 });
  assert.equal(p.msg.getString(Attr.Software), "petrel-sim");
  assert.ok(p.msg.fingerprintOffset >= 0 && verifyFingerprint(p.msg));
  const noFp = bindingRequest({ fingerprint: false });
  v6.send(4444, { address: server.ip, port: 3478 }, noFp.bytes);
  net.run();
  const p2 = parseStun(v6.received[1]!.data);
  assert.ok(p2.ok);
  assert.equal(p2.msg.fingerprintOffset, -1);
});

test("errors: 420 for unknown comprehension-required attributes, 400 for other methods, junk dropped", () => {
  const net = new Network({ seed: 1 });
  const server = new StunServer("198.51.100.1", { ports: [3478] });
  const c = new Endpoint(net, "198.51.100.2");
  net.attach(server, [server.ip]);
  net.attach(c, [c.ip]);
  const to = { address: server.ip, port: 3478 };
  c.send(1, to, bindingRequest({ extra: (b) => b.add(0x7f01, new Uint8Array(4)) }).bytes);
  c.send(1, to, bindingRequest({ method: StunMethod.Allocate }).bytes);
  net.run();
  const [r420, r400] = c.received.map((r) => parseStun(r.data));
  assert.ok(r420?.ok && r400?.ok);
  assert.equal(r420.msg.cls, StunClass.ErrorResponse);
  assert.equal(r420.msg.errorCode()?.code, 420);
  assert.deepEqual(r420.msg.unknownAttributes(), [0x7f01]);
  assert.equal(r400.msg.errorCode()?.code, 400);
  // Not STUN, a response instead of a request, a bad fingerprint, a closed port: dropped and counted.
  c.send(1, to, new Uint8Array([1, 2, 3]));
  const resp = new StunBuilder(StunMethod.Binding, StunClass.SuccessResponse, new Uint8Array(12)).finish();
  c.send(1, to, resp);
  const bad = Uint8Array.from(bindingRequest({ fingerprint: true }).bytes);
  bad[bad.length - 1]! ^= 1;
  c.send(1, to, bad);
  c.send(1, { address: server.ip, port: 3479 }, bindingRequest().bytes);
  net.run();
  assert.equal(c.received.length, 2);
  assert.equal(server.stats.requests, 2);
  assert.equal(server.stats.errorResponses, 2);
  assert.deepEqual(server.stats.dropped, {
    "too-short": 1,
    "not-request": 1,
    "bad-fingerprint": 1,
    "closed-port": 1,
  });
});
