// Tests of the interface address filter (src/net/interfaces.ts) on injected interface tables,
// and a sanity check on this machine's real table.
import assert from "node:assert/strict";
import type { NetworkInterfaceInfo } from "node:os";
import { test } from "node:test";
import { listInterfaceAddresses } from "../../src/net/interfaces.js";

function info(address: string, internal = false): NetworkInterfaceInfo {
  const v6 = address.includes(":");
  return {
    address,
    netmask: v6 ? "ffff:ffff:ffff:ffff::" : "255.255.255.0",
    family: v6 ? "IPv6" : "IPv4",
    mac: "00:00:00:00:00:00",
    internal,
    cidr: null,
    ...(v6 ? { scopeid: 0 } : {}),
  } as NetworkInterfaceInfo;
}

const TABLE = {
  lo: [info("127.0.0.1", true), info("::1", true)],
  eth0: [info("192.0.2.2"), info("fe80::fc:ff:fe00:1"), info("2001:db8:0:0::2"), info("192.0.2.2")],
  wlan0: [info("169.254.3.4"), info("198.51.100.7")],
};

test("skips link-local IPv6 and loopback, canonicalises, dedupes, keeps OS order", () => {
  const got = listInterfaceAddresses({ source: TABLE });
  assert.deepEqual(
    got.map((a) => [a.name, a.address, a.family]),
    [
      ["eth0", "192.0.2.2", 4],
      ["eth0", "2001:db8::2", 6],
      ["wlan0", "198.51.100.7", 4],
    ],
  );
  assert.ok(got.every((a) => !a.internal));
});

test("loopback when asked, or when nothing else exists; IPv4 link-local only as a fallback", () => {
  const withLo = listInterfaceAddresses({ source: TABLE, loopback: true }).map((a) => a.address);
  assert.deepEqual(withLo, ["192.0.2.2", "2001:db8::2", "198.51.100.7", "127.0.0.1", "::1"]);
  const onlyLo = listInterfaceAddresses({ source: { lo: TABLE.lo } });
  assert.deepEqual(
    onlyLo.map((a) => [a.address, a.internal]),
    [
      ["127.0.0.1", true],
      ["::1", true],
    ],
  );
  const linkLocalOnly = listInterfaceAddresses({
    source: { lo: TABLE.lo, eth1: [info("169.254.1.1"), info("fe80::1")] },
  });
  assert.deepEqual(
    linkLocalOnly.map((a) => a.address),
    ["169.254.1.1"],
  );
});

test("family and name filters", () => {
  assert.deepEqual(
    listInterfaceAddresses({ source: TABLE, ipv6: false }).map((a) => a.address),
    ["192.0.2.2", "198.51.100.7"],
  );
  assert.deepEqual(
    listInterfaceAddresses({ source: TABLE, ipv4: false }).map((a) => a.address),
    ["2001:db8::2"],
  );
  assert.deepEqual(
    listInterfaceAddresses({ source: TABLE, names: ["wlan0"] }).map((a) => a.address),
    ["198.51.100.7"],
  );
  const weird = { x: [info("::ffff:1.2.3.4"), info("::"), info("not-an-ip"), info("ff02::1")] };
  assert.deepEqual(
    listInterfaceAddresses({ source: weird }).map((a) => a.address),
    [],
  );
});

test("this machine's table yields at least one address, none link-local IPv6", () => {
  const got = listInterfaceAddresses();
  assert.ok(got.length > 0);
  for (const a of got) assert.ok(!a.address.toLowerCase().startsWith("fe80"), a.address);
});
