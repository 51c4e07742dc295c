// What the leader proposes when a round period has passed: pure, so the
// timing rules are testable without a committee.
import type { LiveRound, RoundParams, ServerInfo, ClientInfo } from "../proto.js";
import { lastInSlot, slotForRound, type SlotTiming } from "../window.js";

export interface OpenRoundInput {
  readonly nowMs: number;
  /** The live round (null before the first) and when this node applied its OpenRound. */
  readonly live: LiveRound | null;
  readonly openedAtMs: number | null;
  readonly clients: readonly ClientInfo[];
  readonly servers: readonly ServerInfo[];
  /** config.zipnet.servers: rounds wait until that many servers registered. */
  readonly expectedServers: number;
  readonly params: RoundParams;
  readonly slot: SlotTiming;
}

export type OpenRoundDecision =
  | { readonly open: true; readonly live: LiveRound }
  | { readonly open: false; readonly why: "period_not_over" | "servers_missing" | "too_few_clients" };

export function nextRound(i: OpenRoundInput): OpenRoundDecision {
  if (i.live && i.openedAtMs !== null && i.nowMs < i.openedAtMs + i.params.roundPeriodMs) return { open: false, why: "period_not_over" };
  if (i.servers.length < i.expectedServers) return { open: false, why: "servers_missing" };
  if (i.clients.length < i.params.minParticipants) return { open: false, why: "too_few_clients" };
  const round = (i.live?.round ?? 0) + 1;
  // Anchor the round timing at this opening: the slot is the one whose start the round's deadline precedes.
  const rt = { firstRoundUnixMs: i.nowMs - (round - 1) * i.params.roundPeriodMs, roundPeriodMs: i.params.roundPeriodMs, roundDeadlineMs: i.params.roundDeadlineMs };
  return {
    open: true,
    live: {
      round,
      slot: slotForRound(rt, i.slot, round),
      lastInSlot: lastInSlot(rt, i.slot, round),
      // Registries are sorted by id; the oldest registrations cannot be told apart, so the lowest ids get the seats.
      clients: i.clients.slice(0, i.params.maxParticipants).map((c) => c.id),
      servers: [...i.servers],
      params: i.params,
    },
  };
}
