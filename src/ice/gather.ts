// Server-reflexive gathering (RFC 8445 5.1.1.2): a plain Binding request (RFC 8489, with
// FINGERPRINT, no credentials) from each IPv4 host socket to each configured STUN server, as a
// client transaction with retransmissions (500 ms RTO, 3 sends, 3.5 s in all); the answer's
// XOR-MAPPED-ADDRESS is the candidate. Responses are accepted only from the server the request
// went to, on the socket it left from.
// Failures feed webrtc-pc's icecandidateerror (4.8.2 RTCPeerConnectionIceErrorEvent): an error
// response (RFC 8489 14.8 ERROR-CODE, 300-699) is reported for the host it answered; a server that
// answered no host at all is reported once per URL with 701 when its last request gives up.
import { familyOf, sameAddress, type TransportAddress } from "../address.js";
import { toHex } from "../bytes/index.js";
import type { Random } from "../random.js";
import { Attr, StunClass, StunClientTransaction, type StunMessage } from "../stun/index.js";
import type { LocalCandidate } from "./checklist.js";
import { buildBindingRequest } from "./messages.js";
import type { StunServerAddress } from "./types.js";

/** errorCode for a server no host candidate could reach (webrtc-pc 4.8.2; outside STUN's 300-699). */
export const UNREACHABLE = 701;

/** RFC 8489 14.8: a reason phrase is under 128 characters; longer network input is cut there. */
const MAX_REASON = 128;

/** One configured server and what became of the requests sent to it in this gathering round. */
interface ServerState {
  address: TransportAddress;
  url: string;
  /** Requests in flight. */
  pending: number;
  /** Some request got a response (success or error): the server is reachable. */
  answered: boolean;
  /** The host of the first request sent to it (named by a 701). */
  firstLocal: LocalCandidate | undefined;
}

interface GatherTx {
  tx: StunClientTransaction;
  local: LocalCandidate;
  server: ServerState;
}

export type SendFn = (from: TransportAddress, to: TransportAddress, data: Uint8Array) => void;

/** A failure to report as a candidate-error. */
export interface GatherError {
  url: string;
  local: LocalCandidate;
  code: number;
  text: string;
}

/** The outcome of a response that belonged to a gathering transaction. */
export interface GatherResult {
  local: LocalCandidate;
  server: TransportAddress;
  /** The reflexive address, when the server answered with one. */
  mapped: TransportAddress | undefined;
  /** The server's error response (code 300-699 and reason phrase), if it sent one. */
  error: GatherError | undefined;
}

export class Gatherer {
  private readonly txs = new Map<string, GatherTx>();
  private readonly servers: ServerState[];
  private readonly random: Random;
  private readonly rto: number;

  constructor(servers: StunServerAddress[], random: Random, rto = 500) {
    this.servers = servers.map((s) => ({
      address: { address: s.address, port: s.port },
      url: s.url ?? defaultUrl(s),
      pending: 0,
      answered: false,
      firstLocal: undefined,
    }));
    this.random = random;
    this.rto = rto;
  }

  /** Requests in flight. */
  get pending(): number {
    return this.txs.size;
  }

  start(host: LocalCandidate, now: number, send: SendFn): void {
    if (familyOf(host.base.address) !== 4) return;
    for (const server of this.servers) {
      if (familyOf(server.address.address) !== 4) continue;
      const tid = this.random.bytes(12);
      const tx = new StunClientTransaction(buildBindingRequest(tid), now, { rto: this.rto, rc: 3, rm: 4 });
      this.txs.set(toHex(tid), { tx, local: host, server });
      server.pending++;
      if (!server.firstLocal) server.firstLocal = host;
      const first = tx.pollTransmit(now);
      if (first) send(host.base, server.address, first);
    }
  }

  /** Whether the transaction id `tid` (hex) is one of ours. */
  owns(tid: string): boolean {
    return this.txs.has(tid);
  }

  /**
   * Feeds a response with transaction id `tid`. Returns the result when it completed a request,
   * "bad-source" when it came from elsewhere, undefined when it was not ours or a duplicate.
   */
  handleResponse(
    tid: string,
    msg: StunMessage,
    from: TransportAddress,
    to: TransportAddress,
    now: number,
  ): GatherResult | "bad-source" | undefined {
    const g = this.txs.get(tid);
    if (!g) return undefined;
    if (!sameAddress(from, g.server.address) || !sameAddress(to, g.local.base)) return "bad-source";
    if (!g.tx.handleResponse(msg, now)) return undefined;
    this.txs.delete(tid);
    g.server.pending--;
    g.server.answered = true;
    if (msg.cls === StunClass.SuccessResponse) {
      const mapped = msg.getAddress(Attr.XorMappedAddress) ?? msg.getAddress(Attr.MappedAddress);
      return { local: g.local, server: g.server.address, mapped, error: undefined };
    }
    // An error response: report its ERROR-CODE when it is a valid one (RFC 8489 14.8: 300-699).
    const ec = msg.errorCode();
    const error =
      ec && ec.code >= 300 && ec.code <= 699
        ? { url: g.server.url, local: g.local, code: ec.code, text: ec.reason.slice(0, MAX_REASON) }
        : undefined;
    return { local: g.local, server: g.server.address, mapped: undefined, error };
  }

  /**
   * Retransmits what is due. Requests that gave up are counted in `ended`; a server none of whose
   * requests got any answer is pushed to `errors` as 701 (once: its requests are then all gone).
   */
  handleTimeout(now: number, send: SendFn, errors: GatherError[]): number {
    let ended = 0;
    for (const [tid, g] of this.txs) {
      g.tx.handleTimeout(now);
      const bytes = g.tx.pollTransmit(now);
      if (bytes) send(g.local.base, g.server.address, bytes);
      if (g.tx.pollEvent()?.type === "timeout") {
        this.txs.delete(tid);
        ended++;
        const s = g.server;
        s.pending--;
        if (s.pending === 0 && !s.answered) {
          errors.push({
            url: s.url,
            local: s.firstLocal ?? g.local,
            code: UNREACHABLE,
            text: "STUN binding request timed out: the server could not be reached",
          });
        }
      }
    }
    return ended;
  }

  deadline(): number | undefined {
    let t: number | undefined;
    for (const g of this.txs.values()) {
      const d = g.tx.nextTimeout();
      if (d !== undefined && (t === undefined || d < t)) t = d;
    }
    return t;
  }

  /** Cancels every request; the next gathering round (ICE restart) judges each server afresh. */
  clear(): void {
    for (const g of this.txs.values()) g.tx.cancel();
    this.txs.clear();
    for (const s of this.servers) {
      s.pending = 0;
      s.answered = false;
      s.firstLocal = undefined;
    }
  }
}

function defaultUrl(s: TransportAddress): string {
  return familyOf(s.address) === 6 ? `stun:[${s.address}]:${s.port}` : `stun:${s.address}:${s.port}`;
}
