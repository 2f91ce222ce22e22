// The relay process of the media forwarding benchmark (bench/scenarios/relay.ts): one Node process
// with two peer connections, receiving one video stream on the first and forwarding every RTP
// packet (SRTP unprotect, then protect with the other connection's keys) to the second, written
// the way a user of each stack would write it. Spawned by the benchmark with an IPC channel;
// signaling (complete offers and answers, candidates included) and measurement requests arrive as
// IPC messages. Not a layer micro-benchmark: bench/run.ts leaves this file out of `--only=layers`.
//
//   Petrel: pc.ontrack -> createRtpSink(track) -> createRtpTrack().writeRtp(packet) on the sender
//           (petrel/nonstandard: the documented RTP-fed track and RTP sink).
//   werift: pc.onTrack -> track.onReceiveRtp -> sender.sendRtp(rtp) on a sendonly transceiver.
//
// Run alone only through the benchmark: `npm run bench -- --only=relay`.

/** Messages from the benchmark to the relay. */
export type ToRelay =
  | { type: "offer-in"; sdp: string }
  | { type: "make-offer-out" }
  | { type: "answer-out"; sdp: string }
  | { type: "sample" }
  | { type: "exit" };

/** Messages from the relay to the benchmark. */
export type FromRelay =
  | { type: "ready" }
  | { type: "answer-in"; sdp: string }
  | { type: "offer-out"; sdp: string }
  | { type: "ok" }
  | {
      type: "sample";
      /** process.cpuUsage() user + system, microseconds. */
      cpuUs: number;
      rss: number;
      maxRss: number;
      received: number;
      forwarded: number;
    }
  | { type: "error"; message: string };

interface Description {
  type: string;
  sdp?: string;
}

/** What the relay needs from a peer connection of either stack. */
interface AnyPc {
  readonly iceGatheringState: string;
  readonly localDescription: Description | null;
  setRemoteDescription(d: Description): Promise<unknown>;
  setLocalDescription(d?: Description): Promise<unknown>;
  createAnswer(): Promise<Description>;
  createOffer(): Promise<Description>;
  close(): unknown;
}

interface Relay {
  incoming: AnyPc;
  outgoing: AnyPc;
  received: number;
  forwarded: number;
}

async function petrelRelay(): Promise<Relay> {
  const { RTCPeerConnection, RTCTrackEvent } = await import("../src/index.js");
  const { createRtpSink, createRtpTrack } = await import("../src/nonstandard/index.js");
  const incoming = new RTCPeerConnection({ iceServers: [] });
  const outgoing = new RTCPeerConnection({ iceServers: [] });
  const out = createRtpTrack({ kind: "video" });
  outgoing.addTransceiver(out.track, { direction: "sendonly" });
  const relay: Relay = { incoming, outgoing, received: 0, forwarded: 0 };
  incoming.ontrack = (e) => {
    if (!(e instanceof RTCTrackEvent)) return;
    createRtpSink(e.track, (packet) => {
      relay.received++;
      out.writeRtp(packet);
      relay.forwarded++;
    });
  };
  return relay;
}

async function weriftRelay(): Promise<Relay> {
  const werift = await import("werift");
  const incoming = new werift.RTCPeerConnection({ iceServers: [] });
  const outgoing = new werift.RTCPeerConnection({ iceServers: [] });
  const sender = outgoing.addTransceiver("video", { direction: "sendonly" }).sender;
  const relay: Relay = {
    incoming: incoming as unknown as AnyPc,
    outgoing: outgoing as unknown as AnyPc,
    received: 0,
    forwarded: 0,
  };
  incoming.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((rtp) => {
      relay.received++;
      void sender.sendRtp(rtp);
      relay.forwarded++;
    });
  });
  return relay;
}

/** Resolves once ICE gathering completed (host candidates only: a few ms), so the SDP is whole. */
async function gathered(pc: AnyPc): Promise<string> {
  const end = performance.now() + 5000;
  while (pc.iceGatheringState !== "complete") {
    if (performance.now() > end) throw new Error("ICE gathering did not complete in 5 s");
    await new Promise((r) => setTimeout(r, 5));
  }
  return pc.localDescription?.sdp ?? "";
}

async function main(): Promise<void> {
  const send = (m: FromRelay): void => {
    process.send?.(m);
  };
  if (!process.send) {
    console.log("bench/relay.ts is the relay child of `npm run bench -- --only=relay`; it needs an IPC channel.");
    return;
  }
  const impl = process.argv.find((a) => a.startsWith("--impl="))?.slice(7) ?? "petrel";
  const relay = impl === "werift" ? await weriftRelay() : await petrelRelay();
  process.on("message", (m: ToRelay) => {
    void handle(m).catch((err: unknown) => {
      send({ type: "error", message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    });
  });
  const handle = async (m: ToRelay): Promise<void> => {
    switch (m.type) {
      case "offer-in": {
        await relay.incoming.setRemoteDescription({ type: "offer", sdp: m.sdp });
        await relay.incoming.setLocalDescription(await relay.incoming.createAnswer());
        send({ type: "answer-in", sdp: await gathered(relay.incoming) });
        return;
      }
      case "make-offer-out": {
        await relay.outgoing.setLocalDescription(await relay.outgoing.createOffer());
        send({ type: "offer-out", sdp: await gathered(relay.outgoing) });
        return;
      }
      case "answer-out": {
        await relay.outgoing.setRemoteDescription({ type: "answer", sdp: m.sdp });
        send({ type: "ok" });
        return;
      }
      case "sample": {
        const c = process.cpuUsage();
        send({
          type: "sample",
          cpuUs: c.user + c.system,
          rss: process.memoryUsage.rss(),
          maxRss: process.resourceUsage().maxRSS * 1024,
          received: relay.received,
          forwarded: relay.forwarded,
        });
        return;
      }
      case "exit": {
        relay.incoming.close();
        relay.outgoing.close();
        // --cpu-prof writes its profile at a normal exit.
        setTimeout(() => process.exit(0), 50);
        return;
      }
    }
  };
  process.on("disconnect", () => process.exit(0));
  send({ type: "ready" });
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  if (process.send) process.send({ type: "error", message } satisfies FromRelay);
  else console.error(message);
  process.exit(1);
});
