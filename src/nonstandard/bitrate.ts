// petrel/nonstandard: the bitrate an encoder feeding a track should aim for. Petrel does not
// encode; a source that does (or that picks between renditions) can follow the target of the
// senders the track is attached to: the lower of RTCRtpSender encodings[0].maxBitrate, the
// remote's b=TIAS/b=AS (RFC 3890) and the remote's REMB estimate when it sends REMB. Senders
// enforce maxBitrate and b= themselves (frames over the limit are dropped whole).
//
//   const src = createEncodedVideoTrack({ codec: "VP8" });
//   onTargetBitrate(src.track, (bps) => encoder.setBitrate(bps ?? defaultBps));
import type { MediaStreamTrack } from "../webrtc/media-stream.js";
import { trackHub } from "../webrtc/media-stream.js";

/** The current target in bits/s, or undefined when no sender of the track has a limit. */
export function getTargetBitrate(track: MediaStreamTrack): number | undefined {
  return trackHub(track).targetBitrate;
}

/** Calls `listener` when the target changes; returns a function that stops it. */
export function onTargetBitrate(track: MediaStreamTrack, listener: (bps: number | undefined) => void): () => void {
  if (typeof listener !== "function") throw new TypeError("listener must be a function");
  return trackHub(track).subscribe({ targetBitrate: listener });
}
