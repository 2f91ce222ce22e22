// A small reusable WebSocket signaling server (application layer, built on `ws`): peers join a
// room and the server relays offers, answers, candidates and other messages between them as JSON.
// In-process peers (e.g. a Node RTCPeerConnection answering browsers) join the same rooms through
// join() without a socket. Every input is bounded: message size, rooms, peers per room, and the
// bytes queued towards a slow client; bad input is answered with an error message and counted.
//
// Protocol (client -> server):
//   { type: "join", room }                         -> { type: "welcome", id, room, peers: [ids] }
//   { type: "offer" | "answer" | "candidate" | "message" | "bye", to?, ...payload }
//        relayed as { ...payload, type, from } to `to`, or to every other peer in the room without `to`
//   { type: "leave" }
// Server -> client also: { type: "peer-joined", id }, { type: "peer-left", id }, { type: "error", reason }.
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Server as HttpServer } from "node:http";
import { type RawData, type WebSocket, WebSocketServer } from "ws";

export type SignalingMessage = { type: string; [key: string]: unknown };

export interface SignalingServerOptions {
  /** Attach to this HTTP server (upgrade requests on `path`). */
  server?: HttpServer;
  /** Or listen on this port by itself. */
  port?: number;
  /** Upgrade path when attached to an HTTP server (default "/signal"). */
  path?: string;
  /** Largest accepted message in bytes (default 64 KiB). */
  maxMessageBytes?: number;
  /** Default 16. */
  maxPeersPerRoom?: number;
  /** Default 1000. */
  maxRooms?: number;
  /** Messages to a client whose send queue exceeds this many bytes are dropped (default 1 MiB). */
  maxQueuedBytes?: number;
}

export const RELAYED_TYPES: ReadonlySet<string> = new Set(["offer", "answer", "candidate", "message", "bye"]);
const ROOM_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** A member of a room: a WebSocket client or an in-process peer. */
interface Member {
  id: string;
  room: string | undefined;
  deliver(msg: SignalingMessage): void;
}

/** The handle an in-process peer gets from join(). */
export interface LocalPeer {
  readonly id: string;
  readonly room: string;
  /** Other peers now in the room. */
  readonly peers: string[];
  /** Sends like a client would: relayed types with an optional `to`. */
  send(msg: SignalingMessage): void;
  leave(): void;
}

export interface SignalingStats {
  connections: number;
  rooms: number;
  relayed: number;
  dropped: Record<string, number>;
}

/**
 * Events: "join" ({ room, id, local }), "leave" ({ room, id }), "error" (Error from the socket layer).
 */
export class SignalingServer extends EventEmitter {
  readonly wss: WebSocketServer;
  private readonly rooms = new Map<string, Map<string, Member>>();
  private readonly maxPeersPerRoom: number;
  private readonly maxRooms: number;
  private readonly maxQueuedBytes: number;
  private connections = 0;
  private relayed = 0;
  private readonly dropped: Record<string, number> = {};

  constructor(options: SignalingServerOptions = {}) {
    super();
    this.maxPeersPerRoom = options.maxPeersPerRoom ?? 16;
    this.maxRooms = options.maxRooms ?? 1000;
    this.maxQueuedBytes = options.maxQueuedBytes ?? 1 << 20;
    const maxPayload = options.maxMessageBytes ?? 64 * 1024;
    this.wss = options.server
      ? new WebSocketServer({ server: options.server, path: options.path ?? "/signal", maxPayload })
      : new WebSocketServer({ port: options.port ?? 0, maxPayload });
    this.wss.on("connection", (ws) => this.accept(ws));
    this.wss.on("error", (err) => this.emit("error", err));
  }

  /** Adds an in-process peer to a room; `onMessage` receives what is relayed to it. */
  join(room: string, onMessage: (msg: SignalingMessage) => void): LocalPeer {
    const member: Member = { id: newId(), room: undefined, deliver: onMessage };
    const peers = this.enter(member, room);
    if (typeof peers === "string") throw Object.assign(new Error(peers), { code: "ERR_SIGNALING_JOIN" });
    this.emit("join", { room, id: member.id, local: true });
    return {
      id: member.id,
      room,
      peers,
      send: (msg) => this.handle(member, msg),
      leave: () => this.exit(member),
    };
  }

  /** The ids in a room. */
  peersIn(room: string): string[] {
    return [...(this.rooms.get(room)?.keys() ?? [])];
  }

  get stats(): SignalingStats {
    return {
      connections: this.connections,
      rooms: this.rooms.size,
      relayed: this.relayed,
      dropped: { ...this.dropped },
    };
  }

  close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }

  private accept(ws: WebSocket): void {
    this.connections++;
    const member: Member = {
      id: newId(),
      room: undefined,
      deliver: (msg) => {
        if (ws.readyState !== ws.OPEN) {
          this.drop("closed");
          return;
        }
        if (ws.bufferedAmount > this.maxQueuedBytes) {
          this.drop("slow-client");
          return;
        }
        ws.send(JSON.stringify(msg));
      },
    };
    ws.on("message", (data: RawData, isBinary: boolean) => {
      if (isBinary) {
        this.reject(member, "binary messages are not accepted");
        return;
      }
      let msg: unknown;
      try {
        msg = JSON.parse(rawToString(data));
      } catch {
        this.reject(member, "invalid JSON");
        return;
      }
      if (
        typeof msg !== "object" ||
        msg === null ||
        Array.isArray(msg) ||
        typeof (msg as SignalingMessage).type !== "string"
      ) {
        this.reject(member, "a message is a JSON object with a string `type`");
        return;
      }
      this.handle(member, msg as SignalingMessage);
    });
    ws.on("close", () => {
      this.connections--;
      this.exit(member);
    });
    ws.on("error", () => this.drop("socket-error"));
  }

  private handle(member: Member, msg: SignalingMessage): void {
    if (msg.type === "join") {
      if (member.room !== undefined) {
        this.reject(member, "already in a room");
        return;
      }
      const room = msg.room;
      if (typeof room !== "string") {
        this.reject(member, "join needs a string `room`");
        return;
      }
      const peers = this.enter(member, room);
      if (typeof peers === "string") {
        this.reject(member, peers);
        return;
      }
      member.deliver({ type: "welcome", id: member.id, room, peers });
      this.emit("join", { room, id: member.id, local: false });
      return;
    }
    if (msg.type === "leave") {
      this.exit(member);
      return;
    }
    if (!RELAYED_TYPES.has(msg.type)) {
      this.reject(member, `unknown message type "${msg.type.slice(0, 32)}"`);
      return;
    }
    if (member.room === undefined) {
      this.reject(member, "join a room first");
      return;
    }
    const members = this.rooms.get(member.room)!;
    const out: SignalingMessage = { ...msg, from: member.id };
    delete out.to;
    if (msg.to !== undefined) {
      const target = typeof msg.to === "string" ? members.get(msg.to) : undefined;
      if (!target) {
        this.reject(member, "no such peer in the room");
        return;
      }
      this.relayed++;
      target.deliver(out);
      return;
    }
    for (const m of members.values()) {
      if (m === member) continue;
      this.relayed++;
      m.deliver(out);
    }
  }

  /** Puts a member in a room; returns the ids already there, or a reason. */
  private enter(member: Member, room: string): string[] | string {
    if (!ROOM_NAME.test(room)) return "room names are 1 to 64 characters of A-Z a-z 0-9 _ . -";
    let members = this.rooms.get(room);
    if (!members) {
      if (this.rooms.size >= this.maxRooms) return "too many rooms";
      members = new Map();
      this.rooms.set(room, members);
    }
    if (members.size >= this.maxPeersPerRoom) return "room is full";
    const peers = [...members.keys()];
    for (const m of members.values()) m.deliver({ type: "peer-joined", id: member.id });
    members.set(member.id, member);
    member.room = room;
    return peers;
  }

  private exit(member: Member): void {
    const room = member.room;
    if (room === undefined) return;
    member.room = undefined;
    const members = this.rooms.get(room);
    if (!members) return;
    members.delete(member.id);
    if (members.size === 0) this.rooms.delete(room);
    for (const m of members.values()) m.deliver({ type: "peer-left", id: member.id });
    this.emit("leave", { room, id: member.id });
  }

  private reject(member: Member, reason: string): void {
    this.drop("rejected");
    member.deliver({ type: "error", reason });
  }

  private drop(reason: string): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
  }
}

function newId(): string {
  return randomBytes(6).toString("hex");
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString("utf8");
  return data.toString("utf8");
}
