// A Node client for the signaling server in ./server.ts (the same JSON protocol the demo page
// speaks): join a room over WebSocket, send offers/answers/candidates to a peer, receive them.
import { EventEmitter } from "node:events";
import { WebSocket } from "ws";
import type { SignalingMessage } from "./server.js";

/**
 * Events: "message" (a relayed SignalingMessage with `from`), "peer-joined" (id), "peer-left" (id),
 * "error" (a server error message's reason), "close".
 */
export class SignalingClient extends EventEmitter {
  readonly id: string;
  readonly room: string;
  /** Peers already in the room when we joined. */
  readonly peers: string[];
  private readonly ws: WebSocket;

  private constructor(ws: WebSocket, id: string, room: string, peers: string[]) {
    super();
    this.ws = ws;
    this.id = id;
    this.room = room;
    this.peers = peers;
  }

  /** Connects to `url` (e.g. ws://host:8080/signal) and joins `room`; resolves once welcomed. */
  static connect(url: string, room: string): Promise<SignalingClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      let client: SignalingClient | undefined;
      ws.once("open", () => ws.send(JSON.stringify({ type: "join", room })));
      ws.on("error", (err) => {
        if (!client) reject(err);
      });
      ws.on("close", () => {
        if (client) client.emit("close");
        else reject(new Error("signaling connection closed before joining"));
      });
      ws.on("message", (data) => {
        let msg: SignalingMessage;
        try {
          msg = JSON.parse(data.toString()) as SignalingMessage;
        } catch {
          return;
        }
        if (!client) {
          if (msg.type === "welcome") {
            client = new SignalingClient(ws, String(msg.id), room, (msg.peers as string[]) ?? []);
            resolve(client);
          } else if (msg.type === "error") {
            reject(new Error(`signaling: ${String(msg.reason)}`));
            ws.close();
          }
          return;
        }
        if (msg.type === "peer-joined" || msg.type === "peer-left") client.emit(msg.type, String(msg.id));
        else if (msg.type === "error") client.emit("error", String(msg.reason));
        else client.emit("message", msg);
      });
    });
  }

  /** Sends a relayed message (offer, answer, candidate, message, bye), to one peer with `to`. */
  send(msg: SignalingMessage): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  close(): void {
    this.ws.close();
  }
}
