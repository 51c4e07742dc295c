// fast-check arbitraries for the wire types (kept small so properties run fast).
import fc from "fast-check";
import { DATUM_BYTES, FOOTPRINT_BYTES, type Command, type RoundParams } from "../src/index.js";

export const idArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex"));
const sortedIds = (max: number) => fc.uniqueArray(idArb, { maxLength: max }).map((a) => [...a].sort());
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const round = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const vec = fc.integer({ min: 0, max: 64 }).chain((n) => fc.uint8Array({ minLength: n * 4, maxLength: n * 4 }));

export const paramsArb: fc.Arbitrary<RoundParams> = fc
  .record({
    roundPeriodMs: fc.integer({ min: 1, max: 0xffffffff }),
    minParticipants: fc.integer({ min: 1, max: 100 }),
    extra: fc.integer({ min: 0, max: 1000 }),
    foldDeadlineMs: fc.integer({ min: 1, max: 100_000 }),
    slack: fc.integer({ min: 0, max: 100_000 }),
    messageSlots: fc.integer({ min: 1, max: 64 }),
    resFactor: fc.integer({ min: 1, max: 8 }),
  })
  .map((r) => ({
    roundPeriodMs: r.roundPeriodMs,
    minParticipants: r.minParticipants,
    maxParticipants: r.minParticipants + r.extra,
    foldDeadlineMs: r.foldDeadlineMs,
    roundDeadlineMs: r.foldDeadlineMs + r.slack,
    messageSlots: r.messageSlots,
    reservationSlots: r.messageSlots * r.resFactor,
  }));

const serversArb = fc
  .uniqueArray(fc.record({ id: idArb, publicKey: key32 }), { maxLength: 5, selector: (s) => s.id })
  .map((a) => [...a].sort((x, y) => (x.id < y.id ? -1 : 1)));

export const liveArb = fc
  .record({ round, slot: round, lastInSlot: fc.boolean(), clients: sortedIds(6), servers: serversArb, params: paramsArb })
  .map((l) => ({ ...l, params: { ...l.params, maxParticipants: Math.max(l.params.maxParticipants, l.clients.length) } }));

export const envelopeArb = fc.record({ round, clientId: idArb, vector: vec });
export const aggregateArb = fc.record({ round, participants: sortedIds(6), vector: vec });
export const partialArb = fc.record({ round, serverId: idArb, participantsHash: key32, vector: vec });

export const recordArb = fc.record({
  round,
  slot: round,
  lastInSlot: fc.boolean(),
  participants: fc.integer({ min: 0, max: 1000 }),
  reservations: fc
    .uniqueArray(fc.nat({ max: 1000 }), { maxLength: 5 })
    .chain((idx) =>
      fc.tuple(...[...idx].sort((a, b) => a - b).map((index) => fc.uint8Array({ minLength: FOOTPRINT_BYTES, maxLength: FOOTPRINT_BYTES }).map((footprint) => ({ index, footprint })))),
    ),
  messages: fc
    .uniqueArray(fc.nat({ max: 100 }), { maxLength: 3 })
    .chain((idx) =>
      fc.tuple(...[...idx].sort((a, b) => a - b).map((slotIndex) => fc.uint8Array({ minLength: DATUM_BYTES, maxLength: DATUM_BYTES }).map((datum) => ({ slotIndex, datum })))),
    ),
  collisions: fc.array(u32, { maxLength: 4 }),
});

export const commandArb: fc.Arbitrary<Command> = fc.oneof(
  liveArb.map((live) => ({ type: "openRound" as const, live })),
  aggregateArb.map((aggregate) => ({ type: "submitAggregate" as const, aggregate })),
  partialArb.map((partial) => ({ type: "submitPartial" as const, partial })),
  fc.record({ id: idArb, publicKey: key32 }).map((client) => ({ type: "registerClient" as const, client })),
  fc.record({ id: idArb, publicKey: key32 }).map((server) => ({ type: "registerServer" as const, server })),
  fc.record({ server: idArb, epoch: round, publicKey: key32, signature: fc.uint8Array({ minLength: 64, maxLength: 64 }) }).map((key) => ({ type: "announceServerKey" as const, key })),
);

export const chainStateArb = fc.record({
  serverId: idArb,
  epoch: round,
  chains: fc
    .uniqueArray(idArb, { maxLength: 5 })
    .chain((ids) => fc.tuple(...[...ids].sort().map((clientId) => fc.record({ clientId: fc.constant(clientId), nextRound: round, chain: key32 })))),
});
export const epochKeyFileArb = fc.record({ epoch: round, secret: key32 });
