// petrel/nonstandard: media sources and sinks for Node, where there are no cameras or speakers.
// Tracks fed by encoded frames or by RTP packets; sinks that hand out a remote track's assembled
// frames or its RTP packets (sources.ts); playback of an IVF, WebM, Ogg Opus or H.264 Annex B file
// into tracks, paced in real time (playback.ts); recording remote tracks to IVF, H.264 Annex B or
// WebM, several tracks into one WebM (record.ts). No RFC of its own: the frames are each codec's
// bitstream (src/media/frame.ts), the files those of src/media/containers.
//
//   const src = createEncodedVideoTrack({ codec: "VP8" });
//   pc.addTrack(src.track);
//   src.writeFrame({ data, timestamp: ms * 90, keyframe });   // timestamp: codec clock since start
//   src.onKeyframeRequest = () => encoder.forceKeyframe();
//
//   pc.ontrack = (e) => { const sink = createFrameSink(e.track, (f) => use(f)); };
//   const rec = recordTrack(e.track, "out.ivf");  ...  await rec.stop();
//   const both = recordTracks(stream.getTracks(), "out.webm");   // video + audio in one WebM, lip-synced by RTCP SR
//   const play = await playFile("in.webm"); pc.addTrack(play.video!); play.start();
//   const h264 = await playFile("in.h264", { frameRate: 30 });  // Annex B has no timestamps
//   onDtmf(e.receiver, (d) => console.log(d.tone));             // received DTMF (dtmf.ts)
//   onTargetBitrate(src.track, (bps) => encoder.setBitrate(bps)); // the senders' target (bitrate.ts)
//   requestKeyframe(e.track);   // remote track: PLI (or FIR) to its sender; local: onKeyframeRequest
export { getTargetBitrate, onTargetBitrate } from "./bitrate.js";
export { onDtmf, type ReceivedDtmf } from "./dtmf.js";
export { requestKeyframe } from "./keyframe.js";
export { type Playback, type PlayOptions, playFile } from "./playback.js";
export { type Recorder, type RecordOptions, recordTrack, recordTracks } from "./record.js";
export {
  type AudioCodecName,
  createEncodedAudioTrack,
  createEncodedVideoTrack,
  createFrameSink,
  createRtpSink,
  createRtpTrack,
  type EncodedTrackSource,
  type OutgoingRtp,
  type RtpTrackSource,
  type Sink,
  type VideoCodecName,
} from "./sources.js";
