// UdpDriver: runs one sans-IO DatagramCore (src/core.ts) over real UDP sockets. It binds one socket
// per local address, feeds received datagrams to the core with the monotonic clock, drains the
// core's transmits (each sent on the socket whose address is its `from`) and events (handed to the
// owner after the drain), and keeps ONE timer armed at the core's earliest deadline (a deadline
// already due runs in a microtask, at most once per macrotask, else on setImmediate).
// See ARCHITECTURE.md "The sans-IO contract". Send errors are counted, never thrown; a core that
// throws is failed alone (onFailed), never the process.
import type { RemoteInfo, Socket } from "node:dgram";
import { familyOf, type TransportAddress } from "../address.js";
import { monotonicNow } from "../clock.js";
import type { DatagramCore, Transmit } from "../core.js";
import { type BindOptions, bindUdp } from "./bind.js";
import { PetrelNetError } from "./errors.js";
import { type InterfaceAddress, listInterfaceAddresses } from "./interfaces.js";

export interface BoundAddress {
  /** The socket's local address, as `to` of every datagram it receives and `from` to send on it. */
  address: TransportAddress;
  /** The interface it is on, when it came from the interface list. */
  interfaceName: string | undefined;
}

export interface UdpDriverOptions<E> extends BindOptions {
  /**
   * Local addresses to bind, one socket each: IP strings or entries of listInterfaceAddresses().
   * Default: listInterfaceAddresses().
   */
  addresses?: (string | InterfaceAddress)[];
  /** Called for each bound socket, before the first drain (e.g. `agent.addLocalAddress(addr, now)`). */
  onBound?: (bound: BoundAddress, now: number) => void;
  /** Receives each event of the core, synchronously after a drain (in the order polled). */
  onEvent?: (event: E) => void;
  /** Called once if the core throws (a broken invariant): the driver then stops and closes. */
  onFailed?: (error: unknown) => void;
  /** The clock (ms, monotonic). Default monotonicNow. */
  now?: () => number;
  /** Unref sockets and the timer so they do not keep the process alive. Default false. */
  unref?: boolean;
}

export interface UdpDriverStats {
  datagramsReceived: number;
  bytesReceived: number;
  datagramsSent: number;
  bytesSent: number;
  /** Send failures (EHOSTUNREACH, ENETUNREACH, EMSGSIZE...) by error code. */
  sendErrors: Record<string, number>;
  /** Transmits whose `from` matched no bound socket (dropped). */
  noSocket: number;
  /** Socket 'error' events after binding (counted, the socket stays open). */
  socketErrors: number;
  /** Addresses that could not be bound at start (skipped). */
  bindFailures: number;
  timerFires: number;
  drains: number;
}

interface BoundSocket {
  socket: Socket;
  local: TransportAddress;
}

/** The longest a Node timer can wait (about 24.8 days). */
const MAX_TIMER = 0x7fffffff;

export class UdpDriver<E = unknown> {
  readonly core: DatagramCore<E>;
  readonly stats: UdpDriverStats;
  private readonly opts: UdpDriverOptions<E>;
  private readonly clock: () => number;
  /** One per local address (a handful): a transmit finds its socket by a scan, no map per driver. */
  private readonly sockets: BoundSocket[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  /** A deadline already due runs in a microtask of the current task (a 0 ms setTimeout waits 1 ms). */
  private dueQueued = false;
  /**
   * Set once a due run went to a microtask in this macrotask: the next one waits for setImmediate,
   * so a core that stays due and emits events (each event kicks a drain) cannot loop in microtasks
   * and starve I/O and timers. Cleared when a new macrotask enters the driver (a datagram, the
   * timer, the immediate).
   */
  private microUsed = false;
  /** The setImmediate that clears microUsed and runs a due run deferred to it. */
  private immediate: NodeJS.Immediate | undefined;
  /** Set while a due run runs: a deadline still due then waits a real timer (no spin). */
  private inDueRun = false;
  private kicked = false;
  private draining = false;
  private closedFlag = false;
  private started = false;
  /** Sends handed to dgram whose callback has not come back yet (close() waits for them). */
  private pendingSends = 0;
  /** Set by close() while sends are pending: closes the sockets when the last callback comes. */
  private onSendsDone: (() => void) | undefined;
  private failure: unknown;
  private hasFailed = false;
  private readonly events: E[] = [];
  private readonly onSent: (err: Error | null, bytes: number) => void;
  private readonly drainTask: () => void;
  private readonly onTimer: () => void;
  private readonly onDueMicrotask: () => void;
  private readonly onImmediate: () => void;

  constructor(core: DatagramCore<E>, opts: UdpDriverOptions<E> = {}) {
    this.core = core;
    this.opts = opts;
    this.clock = opts.now ?? monotonicNow;
    this.stats = {
      datagramsReceived: 0,
      bytesReceived: 0,
      datagramsSent: 0,
      bytesSent: 0,
      sendErrors: {},
      noSocket: 0,
      socketErrors: 0,
      bindFailures: 0,
      timerFires: 0,
      drains: 0,
    };
    // One callback for every send (no closure per datagram).
    this.onSent = (err, bytes) => {
      this.pendingSends--;
      if (err) this.countSendError(err);
      else {
        this.stats.datagramsSent++;
        this.stats.bytesSent += bytes;
      }
      if (this.pendingSends <= 0) this.onSendsDone?.();
    };
    this.drainTask = () => {
      this.kicked = false;
      this.drain();
    };
    this.onTimer = () => this.fireTimer();
    this.onDueMicrotask = () => {
      if (!this.dueQueued) return; // cleared by close(), or already run
      this.runDueNow();
    };
    this.onImmediate = () => {
      this.immediate = undefined;
      this.microUsed = false;
      if (this.dueQueued) this.runDueNow();
    };
  }

  /**
   * Binds the sockets and reports each through onBound, then drains once. Resolves with the bound
   * addresses; rejects with code ERR_NET_NO_SOCKET if none could be bound (ERR_NET_CLOSED if closed).
   */
  async start(): Promise<BoundAddress[]> {
    if (this.closedFlag) throw new PetrelNetError("ERR_NET_CLOSED", "the driver is closed");
    if (this.started) throw new PetrelNetError("ERR_NET_STARTED", "the driver is already started");
    this.started = true;
    const wanted = this.opts.addresses ?? listInterfaceAddresses();
    const results = await Promise.allSettled(
      wanted.map((a) => bindUdp(typeof a === "string" ? a : a.address, this.opts)),
    );
    const bound: BoundAddress[] = [];
    let firstError: unknown;
    results.forEach((r, i) => {
      if (r.status === "rejected") {
        this.stats.bindFailures++;
        firstError ??= r.reason;
        return;
      }
      const socket = r.value;
      if (this.closedFlag) {
        socket.close();
        return;
      }
      const w = wanted[i]!;
      const ip = typeof w === "string" ? w : w.address;
      const local: TransportAddress = { address: ip, port: socket.address().port };
      this.addSocket(socket, local);
      bound.push({ address: local, interfaceName: typeof w === "string" ? undefined : w.name });
    });
    if (this.closedFlag) throw new PetrelNetError("ERR_NET_CLOSED", "the driver was closed while starting");
    if (bound.length === 0) {
      throw new PetrelNetError("ERR_NET_NO_SOCKET", "no local address could be bound", firstError);
    }
    const now = this.clock();
    try {
      if (this.opts.onBound) for (const b of bound) this.opts.onBound(b, now);
    } catch (err) {
      // The owner could not take the addresses: leave no socket open behind the rejection.
      this.close();
      throw err;
    }
    this.drain();
    return bound;
  }

  /** The driver's clock (ms, monotonic): the `now` to pass to the core's API methods. */
  now(): number {
    return this.clock();
  }

  /** The bound local addresses. */
  get localAddresses(): TransportAddress[] {
    return this.sockets.map((s) => s.local);
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** The error the core threw, once it has failed. */
  get failed(): unknown {
    return this.failure;
  }

  /**
   * Schedules one drain of the core on a microtask. Call it after API calls on the core (send,
   * close, addRemoteCandidate...): a burst of calls costs one pass.
   */
  kick(): void {
    if (this.kicked || this.closedFlag || this.hasFailed) return;
    this.kicked = true;
    queueMicrotask(this.drainTask);
  }

  /**
   * Stops the driver: the timer is cleared and nothing more is received or handed to the owner.
   * What the core still has to send (a close_notify, an SCTP ABORT queued by the API call that led
   * here) is sent first, and the sockets close once dgram has sent it (or after at most 1 s).
   * Idempotent. The core itself is left as it is.
   */
  close(): void {
    if (this.closedFlag) return;
    if (!this.hasFailed && this.sockets.length > 0) {
      try {
        for (let t = this.core.pollTransmit(); t; t = this.core.pollTransmit()) this.transmit(t);
      } catch {
        // A core that breaks while closing: nothing more to send.
      }
    }
    this.closedFlag = true;
    this.clearTimer();
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
    const sockets = this.sockets.splice(0);
    if (sockets.length === 0) return;
    let fallback: NodeJS.Timeout | undefined;
    const closeAll = (): void => {
      this.onSendsDone = undefined;
      if (fallback) clearTimeout(fallback);
      for (const s of sockets) {
        try {
          s.socket.close();
        } catch {
          // already closed
        }
      }
    };
    if (this.pendingSends <= 0) {
      closeAll();
      return;
    }
    // dgram sends after a next-tick address lookup: close when the last send callback comes back.
    this.onSendsDone = closeAll;
    fallback = setTimeout(closeAll, 1000).unref();
  }

  private countSendError(err: Error): void {
    const code = (err as { code?: string }).code ?? "UNKNOWN";
    this.stats.sendErrors[code] = (this.stats.sendErrors[code] ?? 0) + 1;
  }

  private addSocket(socket: Socket, local: TransportAddress): void {
    const b: BoundSocket = { socket, local };
    this.sockets.push(b);
    socket.on("message", (msg: Buffer, rinfo: RemoteInfo) => this.receive(msg, rinfo, local));
    socket.on("error", () => {
      this.stats.socketErrors++;
    });
    if (this.opts.unref) socket.unref();
  }

  private receive(msg: Buffer, rinfo: RemoteInfo, local: TransportAddress): void {
    if (this.closedFlag || this.hasFailed) return;
    this.microUsed = false; // a new macrotask (I/O)
    this.stats.datagramsReceived++;
    this.stats.bytesReceived += msg.length;
    // RemoteInfo has `address` and `port`: it is a TransportAddress as it is (no copy per datagram).
    try {
      this.core.handleDatagram(msg, rinfo, local, this.clock());
    } catch (err) {
      this.fail(err);
      return;
    }
    this.drain();
  }

  private fireTimer(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    this.microUsed = false; // a new macrotask (timers phase)
    this.runDue();
  }

  /** The due run queued by arm(): once, with further due deadlines left to a real timer. */
  private runDueNow(): void {
    this.dueQueued = false;
    this.inDueRun = true;
    this.runDue();
    this.inDueRun = false;
  }

  private runDue(): void {
    if (this.closedFlag || this.hasFailed) return;
    this.stats.timerFires++;
    const now = this.clock();
    let due: number | undefined;
    try {
      due = this.core.nextTimeout();
      if (due !== undefined && due <= now) this.core.handleTimeout(now);
    } catch (err) {
      this.fail(err);
      return;
    }
    // Not yet due (Node timers have ms granularity): drain re-arms for the remaining time.
    this.drain();
  }

  /** Moves the core's output to the wire and to the owner, then re-arms the timer. Never re-entered. */
  private drain(): void {
    if (this.closedFlag || this.hasFailed || this.draining) return;
    this.draining = true;
    this.stats.drains++;
    const events = this.events;
    let deadline: number | undefined;
    try {
      for (let t = this.core.pollTransmit(); t; t = this.core.pollTransmit()) this.transmit(t);
      for (let e = this.core.pollEvent(); e !== undefined; e = this.core.pollEvent()) events.push(e);
      deadline = this.core.nextTimeout();
    } catch (err) {
      this.draining = false;
      events.length = 0;
      this.fail(err);
      return;
    }
    this.draining = false;
    this.arm(deadline);
    if (events.length === 0) return;
    const n = events.length;
    const listener = this.opts.onEvent;
    for (let i = 0; i < n; i++) {
      const e = events[i]!;
      if (!listener) continue;
      try {
        listener(e);
      } catch (err) {
        // The owner's bug: do not lose the other events or the driver's state; surface it as
        // an uncaught exception would be, outside this loop.
        process.nextTick(() => {
          throw err;
        });
      }
    }
    events.splice(0, n);
    // A listener may have called the core's API: move whatever that produced in one more pass.
    this.kick();
  }

  private transmit(t: Transmit): void {
    const sockets = this.sockets;
    let b: BoundSocket | undefined;
    for (let i = 0; i < sockets.length; i++) {
      const local = sockets[i]!.local;
      if (local.port === t.from.port && local.address === t.from.address) {
        b = sockets[i];
        break;
      }
    }
    if (!b) {
      this.stats.noSocket++;
      return;
    }
    // A family mismatch would throw synchronously in dgram: count it like any send error.
    if (familyOf(t.to.address) !== familyOf(b.local.address)) {
      this.countSendError(Object.assign(new Error("address family mismatch"), { code: "EAFNOSUPPORT" }));
      return;
    }
    this.pendingSends++;
    try {
      b.socket.send(t.data, t.to.port, t.to.address, this.onSent);
    } catch (err) {
      // Synchronous failures (bad port, socket closed): counted, never thrown.
      this.onSent(err as Error, 0);
    }
  }

  private arm(deadline: number | undefined): void {
    if (deadline === undefined || !Number.isFinite(deadline)) {
      // Nothing due: an armed timer is left to fire and find nothing (cheaper than clearing it).
      return;
    }
    const left = deadline - this.clock();
    if (left <= 0 && !this.inDueRun) {
      // Due now (e.g. the first connectivity check once a remote candidate came): run it in this
      // task, as a microtask, not after every other callback queued on the loop (setImmediate
      // waited behind the W3C events of both connections, up to a millisecond at set-up). Only
      // once per macrotask: after that it waits for setImmediate, which lets I/O and timers run.
      if (this.dueQueued) return;
      this.dueQueued = true;
      if (!this.microUsed) {
        this.microUsed = true;
        queueMicrotask(this.onDueMicrotask);
      }
      if (!this.immediate) {
        this.immediate = setImmediate(this.onImmediate);
        if (this.opts.unref) this.immediate.unref();
      }
      return;
    }
    if (this.timer && this.timerAt <= deadline) return; // the armed timer is as early or earlier
    this.clearTimer();
    const delay = Math.min(MAX_TIMER, Math.max(0, Math.ceil(left)));
    this.timer = setTimeout(this.onTimer, delay);
    if (this.opts.unref) this.timer.unref();
    this.timerAt = deadline;
  }

  private clearTimer(): void {
    this.dueQueued = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private fail(err: unknown): void {
    if (this.hasFailed) return;
    this.hasFailed = true;
    this.failure = err;
    this.close();
    if (this.opts.onFailed) this.opts.onFailed(err);
    else process.emitWarning(`petrel: a core failed and its driver was closed: ${String(err)}`, "PetrelWarning");
  }
}
