// A bounded FIFO of bytes for the streaming readers: chunks are appended as they arrive, the
// parser looks at the unread bytes as one contiguous view and consumes what it has parsed.
// Memory is capped: a push that would exceed the limit is refused (the reader reports an error).

export class ByteQueue {
  private buf: Uint8Array;
  private start: number;
  private end: number;
  /** Bytes consumed since the beginning of the stream (for error offsets). */
  consumed: number;
  readonly limit: number;
  constructor(limit: number, initial = 64 * 1024) {
    this.limit = limit;
    this.buf = new Uint8Array(Math.min(initial, limit));
    this.start = 0;
    this.end = 0;
    this.consumed = 0;
  }
  get length(): number {
    return this.end - this.start;
  }
  /** Appends a copy of `chunk`; false (and nothing appended) if that would exceed the limit. */
  push(chunk: Uint8Array): boolean {
    const n = chunk.length;
    if (n === 0) return true;
    const used = this.end - this.start;
    if (used + n > this.limit) return false;
    if (this.end + n > this.buf.length) {
      if (used + n <= this.buf.length) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        let size = this.buf.length * 2;
        while (size < used + n) size *= 2;
        const next = new Uint8Array(Math.min(size, Math.max(this.limit, used + n)));
        next.set(this.buf.subarray(this.start, this.end));
        this.buf = next;
      }
      this.start = 0;
      this.end = used;
    }
    this.buf.set(chunk, this.end);
    this.end += n;
    return true;
  }
  /** The unread bytes (a view, valid until the next push or consume). */
  view(): Uint8Array {
    return this.buf.subarray(this.start, this.end);
  }
  /** Drops everything buffered; the next byte pushed is at stream offset `offset`. */
  reset(offset: number): void {
    this.start = 0;
    this.end = 0;
    this.consumed = offset;
  }
  consume(n: number): void {
    const k = Math.min(n, this.end - this.start);
    this.start += k;
    this.consumed += k;
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
    }
  }
}
