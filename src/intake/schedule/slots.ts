// Which slots of a schedule fire when a worker finds it due: the row keeps `nextAt`, the first
// slot not yet fired; every slot from there up to now is due, and the flow's `missed:` says which
// of them fire after a time when no worker ran. The schedule then moves on to the first slot
// after now, so a slot is never looked at twice.
import type { CronSpec } from './cron.ts';

export type MissedPolicy = 'last' | 'all' | 'skip';

/** `missed: all` fires at most this many slots at once (the newest); older ones are counted as skipped. */
export const MAX_CATCH_UP = 1000;

/** With `missed: skip`, a slot up to half its period late (at most this) still counts as on time. */
export const ON_TIME_MS = 60_000;

/** Missed slots are counted one by one up to this many (a day of a per-second cron is 86,400; each step costs ~35 µs). */
const COUNT_LIMIT = 10_000;

export interface DueSlots {
  /** The slots to fire, oldest first. */
  fire: number[];
  /** Due slots not fired (missed while down; `all`: beyond the cap). */
  skipped: number;
  /** `skipped` is a lower bound: there were too many to count. */
  skippedAtLeast?: true;
  /** Where the schedule goes next: the first slot after now (undefined: the cron has no more). */
  nextAt: number | undefined;
}

export function dueSlots(spec: CronSpec, nextAt: number, now: number, missed: MissedPolicy): DueSlots {
  if (nextAt > now) return { fire: [], skipped: 0, nextAt };
  const keep = missed === 'all' ? MAX_CATCH_UP : 1;
  let count = 0;
  let slot: number | undefined = nextAt;
  while (slot !== undefined && slot <= now && count < COUNT_LIMIT) {
    count++;
    slot = spec.next(slot);
  }
  const exact = slot === undefined || slot > now;
  const after = exact ? slot : spec.next(now);
  const fire = spec
    .previous(now, keep)
    .filter((s) => s >= nextAt)
    .reverse();
  const skippedOf = (fired: number) => ({
    skipped: count - fired,
    ...(exact ? {} : { skippedAtLeast: true as const }),
  });
  if (fire.length === 0) return { fire, ...skippedOf(0), nextAt: after };
  if (missed !== 'skip') return { fire, ...skippedOf(fire.length), nextAt: after };
  // skip: only the newest slot, and only if it is due now rather than missed: later than half
  // its period (at most a minute) means no worker was there when it came.
  const newest = fire[fire.length - 1]!;
  const period = after !== undefined ? after - newest : 2 * ON_TIME_MS;
  const onTime = now - newest <= Math.min(ON_TIME_MS, period / 2);
  return onTime
    ? { fire: [newest], ...skippedOf(1), nextAt: after }
    : { fire: [], ...skippedOf(0), nextAt: after };
}
