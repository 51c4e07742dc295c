// What the leader proposes when a round period has passed: pure, so the
// timing rules are testable without a committee.
import { epochOfRound } from "../core/epochs.js";
import type { AnnouncedEpochKey, ClientId, LiveRound, RoundParams, ServerId, ServerInfo, ClientInfo } from "../proto.js";
import { lastInSlot, slotForRound, type SlotTiming } from "../window.js";

export interface OpenRoundInput {
  readonly nowMs: number;
  /** The live round (null before the first) and when this node applied its OpenRound. */
  readonly live: LiveRound | null;
  readonly openedAtMs: number | null;
  /** The client registry, sorted by id. */
  readonly clients: readonly ClientInfo[];
  /** The first epoch whose rounds may list a client (the machine's clientFirstEpoch). */
  readonly clientFirstEpoch: (id: ClientId) => number | undefined;
  /** The server registry (identity keys), sorted by id. */
  readonly servers: readonly ServerInfo[];
  /** Keys announced for an epoch (the machine's serverEpochKeys). */
  readonly epochKeys: (epoch: number) => readonly AnnouncedEpochKey[];
  /** config.zipnet.servers: rounds wait until that many servers registered. */
  readonly expectedServers: number;
  readonly params: RoundParams;
  readonly slot: SlotTiming;
}

export type OpenRoundDecision =
  | { readonly open: true; readonly live: LiveRound }
  | { readonly open: false; readonly why: "period_not_over" | "servers_missing" | "too_few_clients" }
  /** A registered server has not announced its key for the epoch the round would open. */
  | { readonly open: false; readonly why: "epoch_keys_missing"; readonly epoch: number; readonly missing: readonly ServerId[] };

export function nextRound(i: OpenRoundInput): OpenRoundDecision {
  if (i.live && i.openedAtMs !== null && i.nowMs < i.openedAtMs + i.params.roundPeriodMs) return { open: false, why: "period_not_over" };
  if (i.servers.length < i.expectedServers) return { open: false, why: "servers_missing" };
  const round = (i.live?.round ?? 0) + 1;
  const epoch = epochOfRound(round, i.params.roundPeriodMs);
  // A client registered after this epoch opened waits for the next one (the servers derived its chains without it).
  const admitted = i.clients.filter((c) => (i.clientFirstEpoch(c.id) ?? Number.MAX_SAFE_INTEGER) <= epoch);
  if (admitted.length < i.params.minParticipants) return { open: false, why: "too_few_clients" };
  const announced = new Map(i.epochKeys(epoch).map((k) => [k.server, k.publicKey]));
  const missing = i.servers.map((s) => s.id).filter((id) => !announced.has(id));
  if (missing.length > 0) return { open: false, why: "epoch_keys_missing", epoch, missing };
  // Anchor the round timing at this opening: the slot is the one whose start the round's deadline precedes.
  const rt = { firstRoundUnixMs: i.nowMs - (round - 1) * i.params.roundPeriodMs, roundPeriodMs: i.params.roundPeriodMs, roundDeadlineMs: i.params.roundDeadlineMs };
  return {
    open: true,
    live: {
      round,
      slot: slotForRound(rt, i.slot, round),
      lastInSlot: lastInSlot(rt, i.slot, round),
      // Registries are sorted by id; the oldest registrations cannot be told apart, so the lowest ids get the seats.
      clients: admitted.slice(0, i.params.maxParticipants).map((c) => c.id),
      servers: i.servers.map((s) => ({ id: s.id, publicKey: announced.get(s.id)! })),
      params: i.params,
    },
  };
}
