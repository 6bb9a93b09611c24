/**
 * Durations in lab lifetimes: `45m`, `2h`, `30d`, `1h30m`. Units in descending order, each at most
 * once, so every duration has one spelling a reader can trust (no `90m1h`).
 */
import type { LabLifetime } from './lab-template.ts';

const SECOND = 1000;
const UNIT_MS = { d: 86_400 * SECOND, h: 3600 * SECOND, m: 60 * SECOND, s: SECOND } as const;
/** The pattern of a duration (also the JSON Schema's). */
export const DURATION = /^(?!$)(?:(\d{1,6})d)?(?:(\d{1,6})h)?(?:(\d{1,6})m)?(?:(\d{1,6})s)?$/;

/** Milliseconds, or undefined if the text is not a duration like `2h` or `1h30m`. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const [, days, hours, minutes, seconds] = match;
  return (
    Number(days ?? 0) * UNIT_MS.d +
    Number(hours ?? 0) * UNIT_MS.h +
    Number(minutes ?? 0) * UNIT_MS.m +
    Number(seconds ?? 0) * UNIT_MS.s
  );
}

/** The spelling parseDuration reads back: `1d2h`, `45m`, `0s`. Sub-second parts are dropped. */
export function formatDuration(ms: number): string {
  let rest = Math.floor(ms / SECOND) * SECOND;
  let text = '';
  for (const [unit, size] of Object.entries(UNIT_MS)) {
    const count = Math.floor(rest / size);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * size;
  }
  return text || '0s';
}

/** The lifetime of a checked template (checkLabTemplate) in milliseconds. */
export function lifetimeMs(lifetime: LabLifetime): { idleStopAfterMs: number; expireAfterMs: number } {
  const idleStopAfterMs = parseDuration(lifetime.idleStopAfter);
  const expireAfterMs = parseDuration(lifetime.expireAfter);
  if (idleStopAfterMs === undefined || expireAfterMs === undefined) {
    throw new Error(`lifetime ${JSON.stringify(lifetime)} was not checked: checkLabTemplate reports it`);
  }
  return { idleStopAfterMs, expireAfterMs };
}
