// petrel/nonstandard: telephone events (DTMF, RFC 4733) received on an RTCRtpReceiver. Browsers
// play received events into the audio; Node has no speaker, so they are handed to a listener:
//
//   pc.ontrack = (e) => { onDtmf(e.receiver, (d) => console.log("tone", d.tone)); };
//
// Each event is reported once, at its start (its repeated and end packets are the same event).
import type { ReceivedDtmf } from "../webrtc/dtmf.js";
import type { RTCRtpReceiver } from "../webrtc/rtp-transceiver.js";

export type { ReceivedDtmf };

/** Calls `listener` for each telephone event the receiver gets; returns a function that stops it. */
export function onDtmf(receiver: RTCRtpReceiver, listener: (event: ReceivedDtmf) => void): () => void {
  if (typeof listener !== "function") throw new TypeError("listener must be a function");
  return receiver.dtmfListeners.add(listener);
}
