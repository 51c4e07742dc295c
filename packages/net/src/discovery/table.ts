// The pure state of discovery: at most one announcement per peer (the one
// with the highest seq), none past its expiry. Time is passed in.
import type { SignedAnnouncement } from "./announcement.js";
import { bytesEqual } from "../bytes.js";

export type UpsertOutcome = "added" | "updated" | "stale" | "expired" | "too_far" | "self";

export class AnnouncementTable {
  private readonly entries = new Map<string, SignedAnnouncement>();

  /**
   * @param self our own peer id: our announcement is kept (so we relay it) but not listed as a peer
   * @param maxTtlMs announcements expiring further ahead are refused, so nobody can plant an immortal entry
   */
  constructor(
    private readonly self: string,
    private readonly maxTtlMs: number,
  ) {}

  /** Whether `upsert` would change the table; lets callers skip signature checks on stale copies. */
  classify(s: SignedAnnouncement, nowMs: number): UpsertOutcome {
    const a = s.announcement;
    if (a.expiresAt <= nowMs) return "expired";
    if (a.expiresAt > nowMs + this.maxTtlMs) return "too_far";
    const cur = this.entries.get(a.peerId);
    if (cur === undefined) return "added";
    return a.seq > cur.announcement.seq ? "updated" : "stale";
  }

  /** Caller has verified the signature. */
  upsert(s: SignedAnnouncement, nowMs: number): UpsertOutcome {
    const outcome = this.classify(s, nowMs);
    if (outcome === "added" || outcome === "updated") this.entries.set(s.announcement.peerId, s);
    return outcome === "added" && s.announcement.peerId === this.self ? "self" : outcome;
  }

  /** Drops expired entries and returns their peer ids. */
  expire(nowMs: number): string[] {
    const removed: string[] = [];
    for (const [id, s] of this.entries) {
      if (s.announcement.expiresAt <= nowMs) {
        this.entries.delete(id);
        removed.push(id);
      }
    }
    return removed;
  }

  get(peerId: string): SignedAnnouncement | undefined {
    return this.entries.get(peerId);
  }

  /** Everything we know, our own announcement included: what we relay. */
  all(): SignedAnnouncement[] {
    return [...this.entries.values()];
  }

  /** Remote peers (self excluded). */
  peers(): SignedAnnouncement[] {
    return this.all().filter((s) => s.announcement.peerId !== this.self);
  }

  /** Remote peers announcing `id`. */
  providers(id: Uint8Array): string[] {
    return this.peers()
      .filter((s) => s.announcement.provides.some((p) => bytesEqual(p, id)))
      .map((s) => s.announcement.peerId);
  }

  /** Soonest expiry among the entries, for scheduling the next sweep. */
  nextExpiry(): number | undefined {
    let min: number | undefined;
    for (const s of this.entries.values()) if (min === undefined || s.announcement.expiresAt < min) min = s.announcement.expiresAt;
    return min;
  }
}
