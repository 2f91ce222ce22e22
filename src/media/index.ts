// petrel/media: encoded media for Node peers. RTP payload formats with packetizers and
// frame-assembling depacketizers (src/media/codecs/: Opus RFC 7587, G.711 RFC 3551, VP8 RFC 7741,
// VP9 RFC 9628, H.264 RFC 6184, AV1 RTP payload spec), and media files (src/media/containers/:
// IVF, Ogg Opus RFC 7845, H.264 Annex B, WebM/Matroska RFC 9559) with a sans-IO playback pacer.
// Both sides share one EncodedFrame (src/media/frame.ts): a file reader's frames go straight into
// an RtpPacketizer, and a depacketizer's frames straight into a file writer.
//
//   const tx = new RtpPacketizer({ payloader: new Vp8Payloader(), payloadType: 96, ssrc, random });
//   for await (const ev of readEvents(new IvfReader(), createReadStream("in.ivf"))) {
//     if (ev.type !== "frame") continue;       // IVF timestamps are 90 kHz ticks from 0
//     for (const p of tx.packetize(ev.frame.data, ev.frame.timestamp)) send(serializeRtp(p));
//   }
export * from "./codecs/index.js";
export * from "./containers/index.js";
