// The bounded per-peer send queue. The Raft loop must never wait on the
// network, so send() only appends here; when a peer is slow or away the queue
// sheds load instead of growing: heartbeats first (the next one supersedes
// them), then the oldest message. Raft tolerates loss: a dropped append is
// re-sent after the follower's rejection or the next heartbeat round.

export interface QueuedMessage {
  readonly bytes: Uint8Array;
  /** Superseded by the next message of its kind (heartbeats): dropped first. */
  readonly droppable: boolean;
}

export interface SendQueueLimits {
  readonly maxMessages: number;
  readonly maxBytes: number;
}

export class SendQueue {
  private items: QueuedMessage[] = [];
  private head = 0;
  private bytes = 0;

  constructor(private readonly limits: SendQueueLimits) {}

  get length(): number {
    return this.items.length - this.head;
  }

  get byteLength(): number {
    return this.bytes;
  }

  /** Appends and returns how many older messages were shed to stay within the limits. */
  push(msg: QueuedMessage): number {
    this.items.push(msg);
    this.bytes += msg.bytes.length;
    let dropped = 0;
    // The newest message always stays, even if it alone exceeds maxBytes (a snapshot).
    while (this.length > 1 && (this.length > this.limits.maxMessages || this.bytes > this.limits.maxBytes)) {
      this.dropOne();
      dropped++;
    }
    return dropped;
  }

  /**
   * Dequeues messages for one frame: at least one, then as many as fit in
   * maxBytes counting `overhead` extra bytes per message (its length
   * prefix), and at most maxCount.
   */
  take(maxBytes: number, overhead = 0, maxCount = Number.MAX_SAFE_INTEGER): Uint8Array[] {
    const out: Uint8Array[] = [];
    let size = 0;
    while (this.head < this.items.length && out.length < maxCount) {
      const m = this.items[this.head]!;
      if (out.length > 0 && size + m.bytes.length + overhead > maxBytes) break;
      out.push(m.bytes);
      size += m.bytes.length + overhead;
      this.bytes -= m.bytes.length;
      this.head++;
    }
    this.compact();
    return out;
  }

  clear(): number {
    const n = this.length;
    this.items = [];
    this.head = 0;
    this.bytes = 0;
    return n;
  }

  private dropOne(): void {
    // Never the newest (index length-1): it is the one being admitted.
    let victim = this.head;
    for (let i = this.head; i < this.items.length - 1; i++) {
      if (this.items[i]!.droppable) {
        victim = i;
        break;
      }
    }
    const [m] = this.items.splice(victim, 1);
    this.bytes -= m!.bytes.length;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
