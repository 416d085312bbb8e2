// A schedule's cron and time zone, read by croner (docs/decisions.md): five fields (minute hour
// day month weekday) or six with seconds first, in an IANA time zone. Checked when the flow loads,
// so a typo is reported at its field instead of a schedule that never fires.
import { Cron } from 'croner';

export interface CronSpec {
  cron: string;
  timezone: string;
  /** The first slot strictly after `after` (ms since the epoch); undefined when there is none. */
  next(after: number): number | undefined;
  /** The newest slots at or before `atOrBefore`, newest first (at most `n`). */
  previous(atOrBefore: number, n: number): number[];
}

export class CronError extends Error {
  readonly field: 'cron' | 'timezone';
  constructor(field: 'cron' | 'timezone', message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

/** Whether the runtime knows the IANA zone (Intl throws a RangeError for one it does not). */
export function knownTimeZone(tz: string): boolean {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone !== '';
  } catch {
    return false;
  }
}

export function compileCron(cron: string, timezone = 'UTC'): CronSpec {
  if (!knownTimeZone(timezone))
    throw new CronError(
      'timezone',
      `unknown time zone ${timezone} (an IANA name such as Europe/Paris or UTC)`,
    );
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6 && !cron.trim().startsWith('@'))
    throw new CronError(
      'cron',
      `5 or 6 fields expected (minute hour day month weekday, or seconds first), ${cron.trim()} has ${fields.length}`,
    );
  let job: Cron;
  try {
    job = new Cron(cron, { timezone, paused: true, mode: '5-or-6-parts' });
  } catch (e) {
    const message = (e instanceof Error ? e.message : String(e)).replace(/^CronPattern:\s*/, '');
    throw new CronError('cron', message);
  }
  // One slot up front: a pattern that can never match (30 February) is refused at load too.
  if (job.nextRun(new Date()) === null) throw new CronError('cron', `${cron} never matches a time`);
  return {
    cron,
    timezone,
    next(after) {
      const at = job.nextRun(new Date(after));
      return at ? at.getTime() : undefined;
    },
    previous(atOrBefore, n) {
      return job.previousRuns(n, new Date(atOrBefore + 1)).map((d) => d.getTime());
    },
  };
}

/** What the schedule's row keeps: a change of either starts the schedule over. */
export const specText = (c: Pick<CronSpec, 'cron' | 'timezone'>): string => `${c.cron.trim()} ${c.timezone}`;
