// A leader tells followers about a new commit index with an entry-less
// append right after the commit advances. Under a steady trickle of writes
// (one client, one write at a time) that is two extra messages per write,
// each waking a follower that writes its log, applies and answers with an
// appendResp: four of every eight messages a write costs, and on a small
// machine the CPU they take is what the next write waits for.
//
// So the driver holds such a notice for up to `delayMs`. If the next append
// to that peer (same term) goes out first, it carries a commit index at least
// as new and the notice is dropped; otherwise the notice goes out when the
// delay ends. Raft tolerates delayed and lost messages, so this only moves
// when a follower learns what is committed (at most `delayMs` later) — never
// what is committed, nor when the leader answers its client.
import type { Message, NodeId } from "../types.js";

export class CommitNotices {
  private readonly held = new Map<NodeId, Message>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(
    private readonly send: (msgs: readonly Message[]) => void,
    private readonly delayMs: number,
  ) {}

  /** Sends `msgs` in order, holding back entry-less appends (commit notices). */
  submit(msgs: readonly Message[]): void {
    if (this.closed) return;
    if (this.delayMs === 0) {
      this.send(msgs);
      return;
    }
    const out: Message[] = [];
    for (const m of msgs) {
      const held = this.held.get(m.to);
      if (isCommitNotice(m)) {
        // A newer notice to the same peer replaces the older when it says at least as much.
        if (held && (held.term !== m.term || m.commit < held.commit)) out.push(held);
        this.held.set(m.to, m);
        continue;
      }
      if (held) {
        this.held.delete(m.to);
        // Keep the per-peer order: anything but a newer-or-equal append goes after the held notice.
        if (!(m.type === "append" && m.term === held.term && m.commit >= held.commit)) out.push(held);
      }
      out.push(m);
    }
    if (out.length) this.send(out);
    if (this.held.size > 0 && this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.delayMs);
    }
  }

  /** Sends every held notice now (delay over, or this member stopped leading). */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.held.size === 0) return;
    const msgs = [...this.held.values()];
    this.held.clear();
    this.send(msgs);
  }

  /** Forgets held notices and sends nothing more (the node stopped). */
  clear(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.held.clear();
  }

  get heldCount(): number {
    return this.held.size;
  }
}

function isCommitNotice(m: Message): boolean {
  return m.type === "append" && m.entries.length === 0 && m.snapshot === null;
}
