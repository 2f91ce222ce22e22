// RTCSessionDescription (webrtc-pc 4.6.2) and the signaling state machine of JSEP (RFC 8829
// 3.2, webrtc-pc 4.3.1 "set the session description" and figure "signaling state transitions"):
// which description type is allowed in which state, and the state it leads to.

export type RTCSdpType = "offer" | "pranswer" | "answer" | "rollback";
export type RTCSignalingState =
  | "stable"
  | "have-local-offer"
  | "have-remote-offer"
  | "have-local-pranswer"
  | "have-remote-pranswer"
  | "closed";

export interface RTCSessionDescriptionInit {
  type: RTCSdpType;
  sdp?: string;
}

const SDP_TYPES: readonly string[] = ["offer", "pranswer", "answer", "rollback"];

export function isSdpType(t: unknown): t is RTCSdpType {
  return typeof t === "string" && SDP_TYPES.includes(t);
}

export class RTCSessionDescription {
  readonly type: RTCSdpType;
  readonly sdp: string;
  constructor(init: RTCSessionDescriptionInit) {
    if (!init || typeof init !== "object") throw new TypeError("RTCSessionDescription: init must be an object");
    if (!isSdpType(init.type)) throw new TypeError(`RTCSessionDescription: invalid type ${String(init.type)}`);
    this.type = init.type;
    this.sdp = init.sdp === undefined || init.sdp === null ? "" : String(init.sdp);
  }
  toJSON(): { type: RTCSdpType; sdp: string } {
    return { type: this.type, sdp: this.sdp };
  }
}

/**
 * The state after applying a description of `type` from `side`, or undefined when it is not
 * allowed in `state` (the caller throws InvalidStateError). Rollback is allowed only in the
 * have-*-offer states.
 */
export function nextSignalingState(
  state: RTCSignalingState,
  side: "local" | "remote",
  type: RTCSdpType,
): RTCSignalingState | undefined {
  if (state === "closed") return undefined;
  if (type === "rollback") {
    return state === "have-local-offer" || state === "have-remote-offer" ? "stable" : undefined;
  }
  if (side === "local") {
    switch (type) {
      case "offer":
        return state === "stable" || state === "have-local-offer" ? "have-local-offer" : undefined;
      case "pranswer":
        return state === "have-remote-offer" || state === "have-local-pranswer" ? "have-local-pranswer" : undefined;
      case "answer":
        return state === "have-remote-offer" || state === "have-local-pranswer" ? "stable" : undefined;
    }
  } else {
    switch (type) {
      case "offer":
        return state === "stable" || state === "have-remote-offer" ? "have-remote-offer" : undefined;
      case "pranswer":
        return state === "have-local-offer" || state === "have-remote-pranswer" ? "have-remote-pranswer" : undefined;
      case "answer":
        return state === "have-local-offer" || state === "have-remote-pranswer" ? "stable" : undefined;
    }
  }
  return undefined;
}

/** The type setLocalDescription() without a description uses (webrtc-pc 4.4.1.5 step 4). */
export function implicitLocalType(state: RTCSignalingState): "offer" | "answer" {
  return state === "stable" || state === "have-local-offer" || state === "have-remote-pranswer" ? "offer" : "answer";
}
