// A bounded FIFO for a core's outputs (datagrams to send, events to report): push at the tail,
// poll from the head without shifting the array; refused pushes are reported so they are counted
// (ARCHITECTURE.md "Errors and bounds": every queue the network can grow has a cap).
export class BoundedQueue<T> {
  private items: T[] = [];
  private head = 0;
  readonly cap: number;

  constructor(cap: number) {
    this.cap = cap;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  /** False when the queue is full (the item is not added). */
  push(item: T): boolean {
    if (this.items.length - this.head >= this.cap) return false;
    this.items.push(item);
    return true;
  }

  poll(): T | undefined {
    if (this.head >= this.items.length) {
      if (this.head > 0) {
        this.items.length = 0;
        this.head = 0;
      }
      return undefined;
    }
    const item = this.items[this.head]!;
    this.items[this.head++] = undefined as T;
    return item;
  }
}
