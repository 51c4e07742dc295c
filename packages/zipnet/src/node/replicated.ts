// The committee's state machine as the node runs it: ZipnetMachine plus what
// is derived from the same committed entries: the public collections.
// (Pad chains need no anchors: they start at each key epoch's first round,
// docs/adr/0006.) Everything here is a function of the log, so
// every member numbers collection entries identically (quorum reads compare
// them) and restore() rebuilds them from the snapshot.
import { CollectionLog } from "@builder/net";
import type { ApplyContext, StateMachine } from "@builder/raft";
import { Reader, Writer } from "../bytes.js";
import { ZipnetError } from "../errors.js";
import { ZipnetMachine, type ApplyResult } from "../machine.js";
import {
  decodeCommand,
  encodeBroadcastRecord,
  encodeLiveRound,
  type ClientId,
  type Command,
  type ServerId,
} from "../proto.js";
import type { ZipnetCollection } from "./ids.js";

/**
 * 2: records each collection's last seq, so a restored member numbers entries as its peers do.
 * 3: drops the per-client ratchet anchors (chains start at each key epoch, docs/adr/0006).
 */
const SNAPSHOT_VERSION = 3;
const COLLECTION_ORDER = ["broadcasts", "liveRound", "clientRegistry", "serverRegistry"] as const;
const REGISTRY_ENTRY = (id: string, publicKey: Uint8Array): Uint8Array => new Writer().raw(Buffer.from(id, "hex")).raw(publicKey).finish();

/** One applied command, decoded, with the machine's verdict. */
export interface AppliedCommand {
  readonly index: number;
  readonly command: Command | null;
  readonly result: ApplyResult;
}

export class ReplicatedZipnet implements StateMachine<ApplyResult> {
  readonly machine = new ZipnetMachine();
  readonly logs: Readonly<Record<ZipnetCollection, CollectionLog>>;
  /** Servers whose partial for the live round is committed (for the stall report). */
  private partialsIn = new Set<ServerId>();
  /** Registration order (the registry collections' order; the machine keeps its registries sorted). */
  private clientOrder: ClientId[] = [];
  private serverOrder: ServerId[] = [];
  private listeners: ((a: AppliedCommand) => void)[] = [];

  constructor(collections: Readonly<Record<ZipnetCollection, Uint8Array>>) {
    this.logs = {
      broadcasts: new CollectionLog(collections.broadcasts),
      liveRound: new CollectionLog(collections.liveRound),
      clientRegistry: new CollectionLog(collections.clientRegistry),
      serverRegistry: new CollectionLog(collections.serverRegistry),
    };
  }

  /** Runs inside apply, after the collections were appended. */
  onApplied(l: (a: AppliedCommand) => void): () => void {
    this.listeners.push(l);
    return () => {
      this.listeners = this.listeners.filter((x) => x !== l);
    };
  }

  partialsCommitted(): ReadonlySet<ServerId> {
    return this.partialsIn;
  }

  apply(data: Uint8Array, ctx: ApplyContext): ApplyResult {
    const result = this.machine.apply(data, ctx);
    let command: Command | null = null;
    if (result.status === "accepted") {
      command = decodeCommand(data);
      switch (command.type) {
        case "openRound": {
          const live = command.live;
          this.partialsIn = new Set();
          this.logs.liveRound.append(monotone(this.logs.liveRound, live.slot), encodeLiveRound(live));
          break;
        }
        case "submitPartial":
          this.partialsIn.add(command.partial.serverId);
          break;
        case "registerClient":
          this.clientOrder.push(command.client.id);
          this.logs.clientRegistry.append(0, REGISTRY_ENTRY(command.client.id, command.client.publicKey));
          break;
        case "registerServer":
          this.serverOrder.push(command.server.id);
          this.logs.serverRegistry.append(0, REGISTRY_ENTRY(command.server.id, command.server.publicKey));
          break;
        case "submitAggregate":
        case "announceServerKey":
          break;
      }
      if (result.finalized) this.logs.broadcasts.append(monotone(this.logs.broadcasts, result.finalized.slot), encodeBroadcastRecord(result.finalized));
    } else if (result.status === "ignored") {
      command = decodeCommand(data);
    }
    const applied = { index: ctx.index, command, result };
    for (const l of this.listeners) l(applied);
    return result;
  }

  snapshot(): Uint8Array {
    const w = new Writer().u8(SNAPSHOT_VERSION).bytes(this.machine.snapshot());
    const partials = [...this.partialsIn].sort();
    w.u32(partials.length);
    for (const s of partials) w.raw(Buffer.from(s, "hex"));
    for (const order of [this.clientOrder, this.serverOrder]) {
      w.u32(order.length);
      for (const id of order) w.raw(Buffer.from(id, "hex"));
    }
    for (const c of COLLECTION_ORDER) w.u64(this.logs[c].lastSeq);
    return w.finish();
  }

  restore(data: Uint8Array): void {
    const r = new Reader(data, "ZipnetNodeSnapshot");
    const v = r.u8("version");
    if (v < SNAPSHOT_VERSION) {
      throw new ZipnetError("ZIPNET_SNAPSHOT_INVALID", `zipnet node snapshot version ${v} predates key epochs and cannot be migrated.`, {
        expected: SNAPSHOT_VERSION,
        got: v,
        fix: "start this member with an empty data dir so it catches up from its peers (docs/adr/0006)",
      });
    }
    if (v !== SNAPSHOT_VERSION) throw new ZipnetError("ZIPNET_SNAPSHOT_INVALID", "unknown zipnet node snapshot version.", { expected: SNAPSHOT_VERSION, got: v });
    this.machine.restore(r.bytes("machine", 1 << 30));
    const np = r.u32("partials.count");
    r.limit("partials.count", np, 64);
    const partialsIn = new Set<ServerId>();
    for (let i = 0; i < np; i++) partialsIn.add(Buffer.from(r.raw(32, "partial.server")).toString("hex"));
    const order = (field: string): string[] => {
      const n = r.u32(`${field}.count`);
      r.limit(`${field}.count`, n, 1 << 20);
      return Array.from({ length: n }, () => Buffer.from(r.raw(32, field)).toString("hex"));
    };
    const clientOrder = order("clientOrder");
    const serverOrder = order("serverOrder");
    const lastSeq = Object.fromEntries(COLLECTION_ORDER.map((c) => [c, r.u64(`${c}.lastSeq`)])) as Record<(typeof COLLECTION_ORDER)[number], number>;
    r.end();
    this.partialsIn = partialsIn;
    this.clientOrder = clientOrder;
    this.serverOrder = serverOrder;
    // The collections restart from what the snapshot still holds (older entries
    // were served before), numbered so that the last one keeps its seq.
    const refill = (c: (typeof COLLECTION_ORDER)[number], items: readonly [number, Uint8Array][]): void => {
      const first = lastSeq[c] - items.length + 1;
      if (first < 1) throw new ZipnetError("ZIPNET_SNAPSHOT_INVALID", `zipnet node snapshot holds ${items.length} ${c} entries but says the last seq was ${lastSeq[c]}.`);
      this.logs[c].reset(first);
      for (const [slot, bytes] of items) this.logs[c].append(slot, bytes);
    };
    const clients = new Map(this.machine.clientRegistry().map((c) => [c.id, c.publicKey]));
    const servers = new Map(this.machine.serverRegistry().map((c) => [c.id, c.publicKey]));
    const keyOf = (m: Map<string, Uint8Array>, id: string, what: string): Uint8Array => {
      const k = m.get(id);
      if (!k) throw new ZipnetError("ZIPNET_SNAPSHOT_INVALID", `zipnet node snapshot lists ${what} ${id} in its registration order but not in the registry.`);
      return k;
    };
    refill("clientRegistry", clientOrder.map((id) => [0, REGISTRY_ENTRY(id, keyOf(clients, id, "client"))]));
    refill("serverRegistry", serverOrder.map((id) => [0, REGISTRY_ENTRY(id, keyOf(servers, id, "server"))]));
    refill("broadcasts", this.machine.broadcasts(0).map((rec) => [rec.slot, encodeBroadcastRecord(rec)]));
    const live = this.machine.liveRound();
    refill("liveRound", live ? [[live.slot, encodeLiveRound(live)]] : []);
  }
}

/**
 * Collections refuse a slot below their last one; a new leader whose clock
 * runs behind may stamp an earlier slot, and apply must not throw on that.
 */
function monotone(log: CollectionLog, slot: number): number {
  return Math.max(slot, log.lastSlot ?? 0);
}

/** Decodes a registry collection entry (id ‖ X25519 public key). */
export function decodeRegistryEntry(b: Uint8Array): { id: string; publicKey: Uint8Array } {
  const r = new Reader(b, "RegistryEntry");
  const id = Buffer.from(r.raw(32, "id")).toString("hex");
  const publicKey = r.raw(32, "publicKey");
  r.end();
  return { id, publicKey };
}
