// Benchmark harness: the slice of the W3C WebRTC API (RTCPeerConnection, RTCDataChannel) that the
// scenarios use, typed structurally so that Petrel, werift and node-datachannel's polyfill all fit,
// and the one routine that connects two peers in the same process (offer/answer + trickled
// candidates, JSEP as in RFC 8829 section 3) up to a data channel open on both sides.

/** What a stack adapter provides: a constructor for the standard RTCPeerConnection. */
export interface Stack {
  readonly name: string;
  /** Loads the implementation (dynamic import, so a missing stack fails only its own child). */
  load(): Promise<LoadedStack>;
}

export interface LoadedStack {
  create(): BenchPeerConnection;
  /** Called once before the child process exits (e.g. node-datachannel's native cleanup). */
  shutdown?(): void;
}

export interface BenchDescription {
  type: string;
  sdp: string;
}

export interface BenchCandidate {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}

export interface BenchMessageEvent {
  data: unknown;
}

export interface BenchDataChannel {
  readonly readyState: string;
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  binaryType?: string;
  onopen?: ((ev?: unknown) => void) | null;
  onmessage?: ((ev: BenchMessageEvent) => void) | null;
  send(data: Uint8Array): void;
  close(): void;
  addEventListener(type: string, listener: (ev?: unknown) => void): void;
}

export interface BenchPeerConnection {
  createDataChannel(label: string, init?: Record<string, unknown>): BenchDataChannel;
  createOffer(): Promise<BenchDescription>;
  createAnswer(): Promise<BenchDescription>;
  setLocalDescription(desc: BenchDescription): Promise<void>;
  setRemoteDescription(desc: BenchDescription): Promise<void>;
  addIceCandidate(candidate: BenchCandidate): Promise<void>;
  onicecandidate: ((ev: { candidate: BenchCandidate | null | undefined }) => void) | null;
  ondatachannel: ((ev: { channel: BenchDataChannel }) => void) | null;
  close(): unknown;
}

/** Two connected peers: `a` offered and created the channel `ca`; `b` received it as `cb`. */
export interface Pair {
  a: BenchPeerConnection;
  b: BenchPeerConnection;
  ca: BenchDataChannel;
  cb: BenchDataChannel;
}

/** Thrown-away error carrier with a message that names the stack. */
function failure(stack: string, what: string): Error {
  return new Error(`${stack}: ${what}`);
}

function plainCandidate(c: BenchCandidate): BenchCandidate {
  const out: BenchCandidate = { candidate: c.candidate };
  if (c.sdpMid !== undefined && c.sdpMid !== null) out.sdpMid = c.sdpMid;
  if (c.sdpMLineIndex !== undefined && c.sdpMLineIndex !== null) out.sdpMLineIndex = c.sdpMLineIndex;
  if (out.sdpMid === undefined && out.sdpMLineIndex === undefined) out.sdpMLineIndex = 0;
  return out;
}

/**
 * Candidates from one side are held until the other side has its remote description (adding them
 * earlier is an InvalidStateError in the W3C API), then added in order.
 */
class CandidateRelay {
  private ready = false;
  private pending: BenchCandidate[] = [];
  private readonly target: BenchPeerConnection;
  private readonly onError: (err: unknown) => void;

  constructor(target: BenchPeerConnection, onError: (err: unknown) => void) {
    this.target = target;
    this.onError = onError;
  }

  push(c: BenchCandidate | null | undefined): void {
    if (!c?.candidate) return;
    const plain = plainCandidate(c);
    if (this.ready) this.target.addIceCandidate(plain).catch(this.onError);
    else this.pending.push(plain);
  }

  open(): void {
    this.ready = true;
    const list = this.pending;
    this.pending = [];
    for (const c of list) this.target.addIceCandidate(c).catch(this.onError);
  }
}

/**
 * Creates two peer connections and a data channel, negotiates in-band (DCEP), and resolves when the
 * channel is open on both sides. Rejects after `timeoutMs`.
 */
export function openPair(stack: LoadedStack, name: string, timeoutMs: number): Promise<Pair> {
  return new Promise<Pair>((resolve, reject) => {
    let settled = false;
    const a = stack.create();
    const b = stack.create();
    const finish = (err: unknown, pair?: Pair): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (pair) resolve(pair);
      else {
        closePair({ a, b });
        reject(err instanceof Error ? err : failure(name, String(err)));
      }
    };
    const timer = setTimeout(() => finish(failure(name, `data channel not open after ${timeoutMs} ms`)), timeoutMs);
    const toB = new CandidateRelay(b, (e) => finish(e));
    const toA = new CandidateRelay(a, (e) => finish(e));
    a.onicecandidate = (ev) => toB.push(ev.candidate);
    b.onicecandidate = (ev) => toA.push(ev.candidate);

    const ca = a.createDataChannel("bench");
    if (ca.binaryType !== undefined) ca.binaryType = "arraybuffer";
    let cb: BenchDataChannel | undefined;
    let aOpen = false;
    let bOpen = false;
    const check = (): void => {
      if (aOpen && bOpen && cb) finish(undefined, { a, b, ca, cb });
    };
    ca.onopen = () => {
      aOpen = true;
      check();
    };
    b.ondatachannel = (ev) => {
      const ch = ev.channel;
      cb = ch;
      if (ch.binaryType !== undefined) ch.binaryType = "arraybuffer";
      if (ch.readyState === "open") {
        bOpen = true;
        check();
      } else {
        ch.onopen = () => {
          bOpen = true;
          check();
        };
      }
    };

    const negotiate = async (): Promise<void> => {
      const offer = await a.createOffer();
      await a.setLocalDescription({ type: offer.type, sdp: offer.sdp });
      await b.setRemoteDescription({ type: offer.type, sdp: offer.sdp });
      toB.open();
      const answer = await b.createAnswer();
      await b.setLocalDescription({ type: answer.type, sdp: answer.sdp });
      await a.setRemoteDescription({ type: answer.type, sdp: answer.sdp });
      toA.open();
    };
    negotiate().catch((e) => finish(e));
  });
}

/** Closes both peer connections, ignoring errors (a benchmark tears down best effort). */
export function closePair(pair: { a: BenchPeerConnection; b: BenchPeerConnection }): Promise<void> {
  const done: Promise<unknown>[] = [];
  for (const pc of [pair.a, pair.b]) {
    try {
      const r = pc.close();
      if (r && typeof (r as Promise<unknown>).then === "function") {
        done.push((r as Promise<unknown>).catch(() => undefined));
      }
    } catch {
      // already closed or broken: nothing to release
    }
  }
  return Promise.all(done).then(() => undefined);
}

/** Byte length of a received message's data (ArrayBuffer, typed array / Buffer, or string). */
export function messageLength(data: unknown): number {
  if (typeof data === "string") return Buffer.byteLength(data);
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}
