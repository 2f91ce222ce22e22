// Server-reflexive gathering (RFC 8445 5.1.1.2): a plain Binding request (RFC 8489, with
// FINGERPRINT, no credentials) from each IPv4 host socket to each configured STUN server, as a
// client transaction with retransmissions (500 ms RTO, 3 sends, 3.5 s in all); the answer's
// XOR-MAPPED-ADDRESS is the candidate. Responses are accepted only from the server the request
// went to, on the socket it left from.
import { familyOf, sameAddress, type TransportAddress } from "../address.js";
import { toHex } from "../bytes/index.js";
import type { Random } from "../random.js";
import { Attr, StunClass, StunClientTransaction, type StunMessage } from "../stun/index.js";
import type { LocalCandidate } from "./checklist.js";
import { buildBindingRequest } from "./messages.js";

const GATHER_TX = { rto: 500, rc: 3, rm: 4 };

interface GatherTx {
  tx: StunClientTransaction;
  local: LocalCandidate;
  server: TransportAddress;
}

export type SendFn = (from: TransportAddress, to: TransportAddress, data: Uint8Array) => void;

/** The outcome of a response that belonged to a gathering transaction. */
export interface GatherResult {
  local: LocalCandidate;
  server: TransportAddress;
  /** The reflexive address, when the server answered with one. */
  mapped: TransportAddress | undefined;
}

export class Gatherer {
  private readonly txs = new Map<string, GatherTx>();
  private readonly servers: TransportAddress[];
  private readonly random: Random;

  constructor(servers: TransportAddress[], random: Random) {
    this.servers = servers;
    this.random = random;
  }

  /** Requests in flight. */
  get pending(): number {
    return this.txs.size;
  }

  start(host: LocalCandidate, now: number, send: SendFn): void {
    if (familyOf(host.base.address) !== 4) return;
    for (const server of this.servers) {
      if (familyOf(server.address) !== 4) continue;
      const tid = this.random.bytes(12);
      const tx = new StunClientTransaction(buildBindingRequest(tid), now, GATHER_TX);
      this.txs.set(toHex(tid), { tx, local: host, server });
      const first = tx.pollTransmit(now);
      if (first) send(host.base, server, first);
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
    if (!sameAddress(from, g.server) || !sameAddress(to, g.local.base)) return "bad-source";
    if (!g.tx.handleResponse(msg, now)) return undefined;
    this.txs.delete(tid);
    const mapped =
      msg.cls === StunClass.SuccessResponse
        ? (msg.getAddress(Attr.XorMappedAddress) ?? msg.getAddress(Attr.MappedAddress))
        : undefined;
    return { local: g.local, server: g.server, mapped };
  }

  /** Retransmits what is due; returns how many requests gave up. */
  handleTimeout(now: number, send: SendFn): number {
    let ended = 0;
    for (const [tid, g] of this.txs) {
      g.tx.handleTimeout(now);
      const bytes = g.tx.pollTransmit(now);
      if (bytes) send(g.local.base, g.server, bytes);
      if (g.tx.pollEvent()?.type === "timeout") {
        this.txs.delete(tid);
        ended++;
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

  clear(): void {
    for (const g of this.txs.values()) g.tx.cancel();
    this.txs.clear();
  }
}
