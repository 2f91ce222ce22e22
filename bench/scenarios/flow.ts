// Benchmark harness: a one-way stream of equal-sized binary messages over a reliable ordered data
// channel with the standard flow control (send while bufferedAmount < high watermark, resume on
// "bufferedamountlow"), measured at the receiver. Used by the throughput and small-message scenarios.
import { messageLength, type Pair } from "../stacks/w3c.js";

/** Stop adding to the send buffer above this many bytes. */
export const HIGH_WATERMARK = 1024 * 1024;
/** bufferedAmountLowThreshold: the "bufferedamountlow" event resumes sending below this. */
export const LOW_WATERMARK = 256 * 1024;

export interface FlowOptions {
  size: number;
  /** Stop sending after this long (ms from the first send). */
  durationMs: number;
  /** Or after this many bytes, whichever comes first. */
  maxBytes: number;
  /** After the sender stops, wait at most this long for the receiver to get everything. */
  drainMs: number;
  /**
   * Called from the receiver at most every PROGRESS_MS with the figures so far, so that a stack
   * that starves the event loop (timers late by seconds) still leaves a figure if it is killed.
   */
  progress?: (r: FlowResult) => void;
}

const PROGRESS_MS = 1000;

export interface FlowResult {
  sentBytes: number;
  receivedBytes: number;
  receivedMessages: number;
  /** From the first send to the last message received, ms. */
  elapsedMs: number;
  /** CPU time of the whole process (all threads, user + system) from the first send, ms. */
  cpuMs: number;
  /** True when the receiver had not got everything sent when the drain wait ended. */
  incomplete: boolean;
}

function cpuMs(u: NodeJS.CpuUsage): number {
  return (u.user + u.system) / 1000;
}

export function runFlow(pair: Pair, opts: FlowOptions): Promise<FlowResult> {
  const { ca, cb } = pair;
  const msg = Buffer.alloc(opts.size, 0x5a);
  let sentBytes = 0;
  let receivedBytes = 0;
  let receivedMessages = 0;
  let tLast = 0;
  let stopped = false;
  let sendError: unknown;

  return new Promise<FlowResult>((resolve, reject) => {
    let drainTimer: NodeJS.Timeout | undefined;
    let finished = false;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let lastProgress = t0;
    const snapshot = (): FlowResult => ({
      sentBytes,
      receivedBytes,
      receivedMessages,
      elapsedMs: receivedMessages > 0 ? tLast - t0 : performance.now() - t0,
      cpuMs: cpuMs(process.cpuUsage(cpu0)),
      incomplete: receivedBytes < sentBytes,
    });
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(stopTimer);
      if (drainTimer) clearTimeout(drainTimer);
      cb.onmessage = null;
      if (sendError !== undefined && receivedBytes === 0) {
        reject(sendError instanceof Error ? sendError : new Error(String(sendError)));
        return;
      }
      resolve(snapshot());
    };
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      if (receivedBytes >= sentBytes) finish();
      else drainTimer = setTimeout(finish, opts.drainMs);
    };
    // Also stops a stack whose "bufferedamountlow" never comes (stalled sender).
    const stopTimer = setTimeout(stop, opts.durationMs);

    cb.onmessage = (ev) => {
      receivedBytes += messageLength(ev.data);
      receivedMessages++;
      tLast = performance.now();
      if (stopped && receivedBytes >= sentBytes) finish();
      else if (tLast - lastProgress >= PROGRESS_MS) {
        lastProgress = tLast;
        // Timers can be starved by a stack's synchronous work: end from here too.
        if (tLast - t0 >= opts.durationMs + opts.drainMs) {
          stop();
          finish();
        } else opts.progress?.(snapshot());
      }
    };

    const fill = (): void => {
      if (stopped) return;
      let burst = 0;
      try {
        while (ca.bufferedAmount < HIGH_WATERMARK) {
          if (sentBytes >= opts.maxBytes || performance.now() - t0 >= opts.durationMs) {
            stop();
            return;
          }
          ca.send(msg);
          sentBytes += opts.size;
          burst += opts.size;
          // A stack whose bufferedAmount does not grow synchronously must not hold the event loop.
          if (burst >= HIGH_WATERMARK) {
            setImmediate(fill);
            return;
          }
        }
      } catch (err) {
        sendError = err;
        stop();
      }
      // Above the high watermark: wait for "bufferedamountlow".
    };

    ca.bufferedAmountLowThreshold = LOW_WATERMARK;
    ca.addEventListener("bufferedamountlow", fill);
    fill();
  });
}
