// Two RTCPeerConnections in one process over real loopback UDP: ICE, DTLS and SCTP end to end.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RTCPeerConnection } from "../../src/index.js";
import { collect, connect, once, opened } from "./helpers.js";

test("connect and exchange a message", async () => {
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  try {
    const dc = a.createDataChannel("chat");
    const remote = once(b, "datachannel");
    await connect(a, b);
    await opened(dc);
    const rdc = ((await remote) as unknown as { channel: typeof dc }).channel;
    assert.equal(rdc.label, "chat");
    const got = collect(rdc, 1);
    dc.send("hello");
    assert.deepEqual(await got, ["hello"]);
    assert.equal(a.connectionState, "connected");
  } finally {
    a.close();
    b.close();
  }
});
