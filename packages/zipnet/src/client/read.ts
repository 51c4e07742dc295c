// read(config, opts): the committed Broadcasts, decoded, in log order.
import { subscribe, type LatticeHost } from "@builder/net";
import type { LatticeConfig } from "@builder/lattice-config";
import { decodeBroadcastRecord, decodeTx2718, type BroadcastRecord } from "../proto.js";
import { zipnetIds } from "../node/ids.js";
import { clientHost, parseTargets } from "./host.js";

export interface ReadParameters {
  /** Server multiaddrs (each ending in /p2p/<peer id>) serving the Broadcasts collection. */
  providers: readonly string[];
  /** Lattice read ticket (a function is asked again on every reconnect). */
  ticket: string | (() => Promise<string>);
  /** First chain slot wanted. Default 0 (everything retained). */
  fromSlot?: number;
  /** Accept a record once this many servers served identical bytes. Default 1. */
  quorum?: number;
  host?: LatticeHost;
  signal?: AbortSignal;
}

export interface ReadDatum {
  readonly round: number;
  readonly slot: number;
  readonly lastInSlot: boolean;
  readonly slotIndex: number;
  /** The transaction bytes (Tx2718 datum with its length prefix and padding removed). */
  readonly tx: Uint8Array;
}

export type ReadReturnType = AsyncGenerator<ReadDatum, void, undefined>;

/** Records as committed (for readers that need reservations and collisions too). */
export async function* readRecords(config: LatticeConfig, p: ReadParameters): AsyncGenerator<BroadcastRecord, void, undefined> {
  const ids = zipnetIds(config);
  const providers = parseTargets("read.providers", p.providers);
  const { host, owned } = await clientHost(p.host);
  try {
    for await (const e of subscribe(host.libp2p, ids.collections.broadcasts, {
      fromSlot: p.fromSlot ?? 0,
      providers,
      ticket: p.ticket,
      ...(p.quorum !== undefined ? { quorum: p.quorum } : {}),
      ...(p.signal ? { signal: p.signal } : {}),
    })) {
      yield decodeBroadcastRecord(e.data);
    }
  } finally {
    if (owned) await host.stop();
  }
}

/** Every landed datum in committed order: by round, then by message slot. */
export async function* read(config: LatticeConfig, p: ReadParameters): ReadReturnType {
  for await (const r of readRecords(config, p)) {
    for (const m of r.messages) yield { round: r.round, slot: r.slot, lastInSlot: r.lastInSlot, slotIndex: m.slotIndex, tx: decodeTx2718(m.datum) };
  }
}
