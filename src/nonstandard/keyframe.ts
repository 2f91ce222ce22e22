// Asking for a keyframe on a track, for petrel/nonstandard. On a remote track (an RTCRtpReceiver's)
// the request goes upstream to the remote sender as PLI (RFC 4585 6.3.1), or FIR when only
// "ccm fir" was negotiated (RFC 5104 4.3.1), rate limited by the RTP feedback chain; on a local
// track fed with encoded frames or RTP (sources.ts) the source's onKeyframeRequest is called.
// The same path a sender forwarding a remote track takes when its own remote sends PLI.
import { MediaStreamTrack, trackHub } from "../webrtc/media-stream.js";

/**
 * Asks the source of a video track for a keyframe: the remote sender of a remote track (PLI/FIR),
 * or the `onKeyframeRequest` of a local source. Nothing for an ended track or an audio track
 * (every audio frame stands alone).
 */
export function requestKeyframe(track: MediaStreamTrack): void {
  if (!(track instanceof MediaStreamTrack)) throw new TypeError("requestKeyframe needs a MediaStreamTrack");
  if (track.kind !== "video" || track.readyState !== "live") return;
  trackHub(track).requestKeyframe();
}
