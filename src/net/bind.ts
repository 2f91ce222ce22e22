// Binding UDP sockets for the driver: one dgram socket on one local address, on port 0 (the OS
// picks) or the first free port of a range. The only place sockets are created. The sockets
// take IP literals as they are (literalLookup) instead of passing every bind and send through DNS.
import { createSocket, type Socket, type SocketOptions } from "node:dgram";
import { lookup as dnsLookup } from "node:dns";
import { familyOf } from "../address.js";
import { PetrelNetError } from "./errors.js";

export interface BindOptions {
  /** A fixed port, or 0 (default) for one the OS picks. Ignored when `portRange` is given. */
  port?: number;
  /** Inclusive range of ports to try in order. */
  portRange?: [number, number];
  /** SO_RCVBUF / SO_SNDBUF in bytes (the OS may cap it). */
  bufferSize?: number;
}

/** Binds one socket to `address`; rejects with code ERR_NET_BIND when no port of the range is free. */
export async function bindUdp(address: string, opts: BindOptions = {}): Promise<Socket> {
  const range = opts.portRange;
  if (range && (range[0] < 1 || range[1] > 65535 || range[0] > range[1])) {
    throw new PetrelNetError("ERR_NET_PORT_RANGE", `bad port range ${range[0]}-${range[1]}`);
  }
  const first = range ? range[0] : (opts.port ?? 0);
  const last = range ? range[1] : first;
  let lastError: unknown;
  for (let port = first; port <= last; port++) {
    try {
      const socket = await bindOnce(address, port);
      if (opts.bufferSize) {
        try {
          socket.setRecvBufferSize(opts.bufferSize);
          socket.setSendBufferSize(opts.bufferSize);
        } catch {
          // The OS refused the size: keep its default.
        }
      }
      return socket;
    } catch (err) {
      lastError = err;
      const code = (err as { code?: string }).code;
      if (code !== "EADDRINUSE" && code !== "EACCES") break; // not a port problem: no use trying others
    }
  }
  const reason = (lastError as { code?: string } | undefined)?.code ?? String(lastError);
  throw new PetrelNetError("ERR_NET_BIND", `cannot bind UDP on ${address} (${reason})`, lastError);
}

function bindOnce(address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const v6 = familyOf(address) === 6;
    const socket = createSocket({ type: v6 ? "udp6" : "udp4", ipv6Only: v6, reuseAddr: false, lookup: literalLookup });
    const onError = (err: Error): void => {
      try {
        socket.close();
      } catch {
        // never bound: nothing to close
      }
      reject(err);
    };
    socket.once("error", onError);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off("error", onError);
      resolve(socket);
    });
  });
}

/** True for a dotted quad's characters: four groups of digits (the values are checked when sending). */
function looksLikeIPv4(s: string): boolean {
  let dots = 0;
  let digits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0) return false;
      dots++;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) digits++;
    else return false;
  }
  return dots === 3 && digits > 0;
}

/**
 * dgram's address lookup for the driver's sockets, called on every bind and send. Everything the
 * driver binds or sends to is an IP literal: it is answered at once, as it is. dgram's default,
 * dns.lookup, tests the literal with net.isIP's regular expressions and answers on the next tick
 * (a few us per datagram); anything that is not a literal still goes to it.
 */
const literalLookup = ((
  address: string,
  family: unknown,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void => {
  if (address.includes(":")) callback(null, address, 6);
  else if (looksLikeIPv4(address)) callback(null, address, 4);
  else (dnsLookup as (h: string, f: unknown, cb: typeof callback) => void)(address, family, callback);
}) as unknown as SocketOptions["lookup"];
