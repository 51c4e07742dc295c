/** Parsers for the flat option strings of `builder gen-config` and the manifest ("5-of-7", "800ms", window tuples). */
import { normalizeZipnetWindow } from "./encoding.js";
import { ZIPNET_WINDOW_PRESETS, type ZipnetWindow, type ZipnetWindowParams } from "./types.js";
import { describeValue } from "./validate.js";

const THRESHOLD_RE = /^\s*(\d{1,3})\s*-of-\s*(\d{1,3})\s*$/;

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** Parses "t-of-n" and checks t ≤ n and t > n/2 (the range of n is the caller's rule). */
export function parseThreshold(s: string): Parsed<{ t: number; n: number }> {
  const m = THRESHOLD_RE.exec(s);
  if (m === null) return { ok: false, message: `expected a threshold like "5-of-7" (t-of-n), found ${describeValue(s)}` };
  const t = Number(m[1]);
  const n = Number(m[2]);
  if (t > n) return { ok: false, message: `expected t ≤ n in "${s.trim()}", found t = ${t} > n = ${n}` };
  if (2 * t <= n) return { ok: false, message: `expected t > n/2 in "${s.trim()}" (a minority must not unseal), found t = ${t} with n = ${n}; use at least ${Math.floor(n / 2) + 1}-of-${n}` };
  return { ok: true, value: { t, n } };
}

/** Parses "800ms", "1.5s", "800" or a number into whole milliseconds. */
export function parseDurationMs(v: string | number): Parsed<number> {
  if (typeof v === "number") {
    return Number.isInteger(v) && v > 0 ? { ok: true, value: v } : { ok: false, message: `expected a positive whole number of milliseconds, found ${describeValue(v)}` };
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/.exec(v);
  if (m === null) return { ok: false, message: `expected a duration like "800ms" or "1.5s", found ${describeValue(v)}` };
  const ms = Number(m[1]) * (m[2] === "s" ? 1000 : 1);
  if (!Number.isInteger(ms) || ms <= 0) return { ok: false, message: `expected a positive whole number of milliseconds, found ${describeValue(v)} (${ms} ms)` };
  return { ok: true, value: ms };
}

/** Parses a zipnet window: a preset name or "period,min,max,fold,deadline" (all integers; periods in ms). */
export function parseZipnetWindow(v: string | readonly number[] | ZipnetWindowParams): Parsed<ZipnetWindow> {
  if (typeof v === "string" && v in ZIPNET_WINDOW_PRESETS) return { ok: true, value: v as keyof typeof ZIPNET_WINDOW_PRESETS };
  let parts: unknown[];
  if (typeof v === "string") parts = v.split(",").map((x) => (/^\s*\d+\s*$/.test(x) ? Number(x) : x));
  else if (Array.isArray(v)) parts = [...v];
  else if (typeof v === "object" && v !== null) return { ok: true, value: normalizeZipnetWindow(v as ZipnetWindowParams) };
  else return { ok: false, message: `expected "interactive", "archival" or "period,min,max,fold,deadline", found ${describeValue(v)}` };
  if (parts.length !== 5 || !parts.every((x) => typeof x === "number" && Number.isInteger(x) && x >= 0)) {
    return { ok: false, message: `expected "interactive", "archival" or five integers "roundPeriodMs,minParticipants,maxParticipants,foldDeadlineMs,roundDeadlineMs", found ${describeValue(v)}` };
  }
  const [roundPeriodMs, minParticipants, maxParticipants, foldDeadlineMs, roundDeadlineMs] = parts as number[];
  return { ok: true, value: normalizeZipnetWindow({ roundPeriodMs: roundPeriodMs!, minParticipants: minParticipants!, maxParticipants: maxParticipants!, foldDeadlineMs: foldDeadlineMs!, roundDeadlineMs: roundDeadlineMs! }) };
}
