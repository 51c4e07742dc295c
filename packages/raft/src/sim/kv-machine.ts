// The simulation's replicated state machine: string registers with client
// sessions, so a put retried under the same (client, seq) applies once.
import { createHash } from "node:crypto";
import type { ApplyContext, StateMachine } from "../types.js";

export interface KvCommand {
  readonly client: string;
  readonly seq: number;
  readonly key: string;
  readonly value: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeKvCommand(c: KvCommand): Uint8Array {
  return enc.encode(JSON.stringify([c.client, c.seq, c.key, c.value]));
}

export function decodeKvCommand(b: Uint8Array): KvCommand {
  const [client, seq, key, value] = JSON.parse(dec.decode(b)) as [string, number, string, string];
  return { client, seq, key, value };
}

export type KvApplyResult = { readonly duplicate: boolean };

export class KvStateMachine implements StateMachine<KvApplyResult> {
  private data = new Map<string, string>();
  private sessions = new Map<string, number>();

  apply(command: Uint8Array, _ctx: ApplyContext): KvApplyResult {
    const c = decodeKvCommand(command);
    if ((this.sessions.get(c.client) ?? 0) >= c.seq) return { duplicate: true };
    this.sessions.set(c.client, c.seq);
    this.data.set(c.key, c.value);
    return { duplicate: false };
  }

  get(key: string): string | null {
    return this.data.get(key) ?? null;
  }

  snapshot(): Uint8Array {
    // Sorted, so equal states give equal bytes (the cross-node hash check relies on it).
    const sort = (m: Map<string, unknown>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return enc.encode(JSON.stringify({ data: sort(this.data), sessions: sort(this.sessions) }));
  }

  restore(bytes: Uint8Array): void {
    if (bytes.length === 0) {
      this.data = new Map();
      this.sessions = new Map();
      return;
    }
    const s = JSON.parse(dec.decode(bytes)) as { data: [string, string][]; sessions: [string, number][] };
    this.data = new Map(s.data);
    this.sessions = new Map(s.sessions);
  }

  hash(): string {
    return createHash("sha256").update(this.snapshot()).digest("hex");
  }
}
