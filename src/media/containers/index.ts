// Media file readers and writers for Node peers: IVF (VP8/VP9/AV1), Ogg Opus (RFC 7845),
// H.264 Annex B, WebM/Matroska (RFC 9559), and a sans-IO playback pacer. Part of petrel/media
// (src/media/index.ts); the codec bitstream helpers they use (key frame peeks, Opus TOC, Annex B
// split/join) and EncodedFrame come from src/media/codecs/ and src/media/frame.ts.
//
// Readers are push parsers: feed chunks, drain poll() (or use readEvents() over a buffer or a
// Node Readable); malformed input ends in an { type: "error" } event, never an exception.
// Writers write to a ByteSink (writableSink(stream), fileSink(path), callbackSink(fn),
// MemorySink); on a seekable sink they finalise headers, sizes, durations and cues at close().
//
//   const reader = new WebmReader();
//   for await (const ev of readEvents(reader, createReadStream("in.webm"))) {
//     if (ev.type === "frame") console.log(ev.frame.track, ev.frame.timestamp, ev.frame.keyframe);
//   }
//   const w = new WebmWriter(await fileSink("out.webm"), {
//     tracks: [{ kind: "video", codec: "VP8", width: 640, height: 480 }, { kind: "audio", codec: "opus" }],
//   });
//   await w.writeFrame(1, { data, timestamp: rtpTimestamp90k, keyframe: true });
//   await w.close();
export { av1CodecConfig } from "./av1-config.js";
export { type ContainerKind, createReader, detectContainer } from "./detect.js";
export { type H264AccessUnit, H264AnnexBReader, H264AnnexBWriter, type H264ReaderOptions } from "./h264-annexb.js";
export {
  type ByteSink,
  type ByteSource,
  callbackSink,
  fileSink,
  MemorySink,
  readEvents,
  readEventsSync,
  writableSink,
} from "./io.js";
export {
  type IvfFrame,
  type IvfHeader,
  IvfReader,
  type IvfReaderOptions,
  IvfWriter,
  type IvfWriterOptions,
  isVideoKeyframe,
} from "./ivf.js";
export { type OggPage, OggPageReader, oggCrc, parseOggPage, writeOggPage } from "./ogg.js";
export {
  type OggOpusHeader,
  OggOpusReader,
  type OggOpusReaderOptions,
  type OggOpusReaderStats,
  OggOpusWriter,
  type OggOpusWriterOptions,
} from "./ogg-opus.js";
export {
  type OpusHead,
  type OpusTags,
  parseOpusHead,
  parseOpusTags,
  writeOpusHead,
  writeOpusTags,
} from "./opus-head.js";
export { mediaTimeMs, type PacerOptions, type PacerStats, PlaybackPacer } from "./pacer.js";
export {
  ContainerError,
  type ContainerParseError,
  type ContainerReader,
  type ReaderEvent,
  TimestampUnwrapper,
  VIDEO_CLOCK_RATE,
  type VideoCodec,
} from "./types.js";
export {
  type WebmCue,
  type WebmFrame,
  type WebmHeader,
  WebmReader,
  type WebmReaderOptions,
  type WebmReaderStats,
  type WebmTrackInfo,
} from "./webm-reader.js";
export {
  type WebmAudioTrack,
  type WebmTrack,
  type WebmVideoTrack,
  WebmWriter,
  type WebmWriterOptions,
} from "./webm-writer.js";
