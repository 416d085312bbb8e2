// The schedule runner: a companion of the worker (started and stopped with it, wherever a worker
// runs). Each flow's schedule is one row in the store holding its next slot; workers claim due
// rows with a lease like any due work, so on PostgreSQL several workers fire each slot once.
// A claimed schedule fires its due slots (by the flow's `missed:`), then moves on to the first
// slot after now. A worker killed in between leaves the row to be claimed again when its lease
// ends; the slot fires again and finds the handoffs it started (their keys are the slot or the
// rows' ids), so nothing is lost and nothing starts twice.
import { errorText, isBatonError } from '../../core/errors.ts';
import type { Registry } from '../../actions/registry.ts';
import type { CompiledFlow } from '../../flow/compiled.ts';
import type { Store } from '../../store/port.ts';
import type { ScheduleRow } from '../../store/intake-store.ts';
import type { Delivery, DeliveryResult } from '../port.ts';
import { specText } from './cron.ts';
import { dueSlots } from './slots.ts';
import { fireSlot, SweepSourceError } from './fire.ts';

export interface ScheduleRunnerOptions {
  store: Store;
  registry: Registry;
  /** The live flows (the map a reload swaps in place). */
  flows: ReadonlyMap<string, CompiledFlow>;
  deliver(d: Delivery): Promise<DeliveryResult>;
  workerId: string;
  /** How long a claimed schedule is this worker's; renewed during a long sweep (default 30 s). */
  leaseMs?: number;
  /** The longest sleep between looks (other workers may have moved a schedule; default 1 s). */
  pollMs?: number;
  /** First retry after a failed slot; doubles per failure, at most 5 min (default 5 s). */
  backoffMs?: number;
  /** Deliveries of one sweep at a time. */
  concurrency?: number;
  now?: () => number;
}

const MAX_BACKOFF_MS = 5 * 60_000;
/** A schedule whose cron has no later slot waits here (in practice: forever). */
const NEVER = 8.64e15;

export class ScheduleRunner {
  private readonly o: Required<Omit<ScheduleRunnerOptions, 'concurrency'>> & { concurrency?: number };
  private readonly failures = new Map<string, number>();
  /** Whether the store's schedules were made to match the flows since the start (retried until so). */
  private ensured = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private stopping = new AbortController();

  constructor(o: ScheduleRunnerOptions) {
    this.o = { leaseMs: 30_000, pollMs: 1000, backoffMs: 5000, now: Date.now, ...o };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.stopping = new AbortController();
    this.ensured = false;
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /**
   * Makes the store's schedules match the flows: a row per scheduled flow (a changed cron or
   * time zone starts over at its next slot), none for the others. At start and after a reload.
   */
  async ensure(): Promise<void> {
    const now = this.o.now();
    const keep: string[] = [];
    for (const f of this.o.flows.values()) {
      const s = f.triggers.schedule;
      if (!s) continue;
      keep.push(f.def.id);
      await this.o.store.intake.ensureSchedule(f.def.id, specText(s.spec), s.spec.next(now) ?? NEVER);
    }
    await this.o.store.intake.dropSchedules(keep);
    this.ensured = true;
  }

  /** Fires whatever is due now (tests and the CLI's direct mode call it); the number of schedules run. */
  async runDue(): Promise<number> {
    const claimed = await this.o.store.intake.claimSchedules({
      worker: this.o.workerId,
      now: this.o.now(),
      leaseMs: this.o.leaseMs,
      limit: 10,
    });
    for (const row of claimed) {
      if (this.stopping.signal.aborted) break;
      await this.run(row);
    }
    return claimed.length;
  }

  private async loop(): Promise<void> {
    if (this.stopped) return;
    let again = false;
    try {
      if (!this.ensured) await this.ensure();
      // Without a scheduled flow there is nothing to claim (ensure dropped any other row).
      if (this.scheduled()) again = (await this.runDue()) > 0;
    } catch (e) {
      process.emitWarning(`baton: schedules: ${errorText(e)}`);
    }
    if (this.stopped) return;
    let delay = this.o.pollMs;
    if (again) delay = 0;
    else if (this.scheduled()) {
      const next = await this.o.store.intake.nextScheduleAt().catch(() => undefined);
      if (next !== undefined) delay = Math.max(0, Math.min(delay, next - this.o.now()));
    }
    const stop = this.stopping.signal;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(this.timer);
        stop.removeEventListener('abort', done);
        resolve();
      };
      this.timer = setTimeout(done, delay);
      this.timer.unref();
      stop.addEventListener('abort', done, { once: true });
    });
    this.running = this.loop();
  }

  private scheduled(): boolean {
    for (const f of this.o.flows.values()) if (f.triggers.schedule) return true;
    return false;
  }

  private async run(row: ScheduleRow): Promise<void> {
    const { store, workerId } = this.o;
    const flow = this.o.flows.get(row.flow);
    const s = flow?.triggers.schedule;
    if (!flow || !s || specText(s.spec) !== row.spec) {
      // The flow changed since the row was made (a reload on another worker): set it up again.
      await store.intake.releaseSchedule(row.flow, workerId, this.o.now());
      await this.ensure();
      return;
    }
    const now = this.o.now();
    const due = dueSlots(s.spec, row.nextAt, now, s.missed);
    if (due.skipped > 0)
      process.emitWarning(
        `baton: schedule of ${row.flow}: ${due.skippedAtLeast ? 'more than ' : ''}${due.skipped} missed slot(s) since ${new Date(row.nextAt).toISOString()} not fired (missed: ${s.missed}${s.missed === 'all' ? ', at most 1000 at once' : ''})`,
      );
    // The lease is renewed while the slots fire; losing it stops the sweep (another worker has it).
    const lost = new AbortController();
    const signal = AbortSignal.any([lost.signal, this.stopping.signal]);
    const renew = setInterval(() => {
      void store.intake
        .renewSchedule(row.flow, workerId, this.o.now() + this.o.leaseMs)
        .then((held) => held || lost.abort(new Error('the lease on the schedule was lost')))
        .catch(() => {});
    }, this.o.leaseMs / 3);
    let last: number | undefined;
    try {
      for (const at of due.fire) {
        signal.throwIfAborted();
        await fireSlot(this.o, flow, at, signal);
        last = at;
      }
    } catch (e) {
      clearInterval(renew);
      // Stopped: hand the schedule on at once. Lost: another worker has it.
      if (this.stopping.signal.aborted)
        await store.intake.releaseSchedule(row.flow, workerId, this.o.now()).catch(() => {});
      if (signal.aborted) return;
      await this.failed(flow, row, e);
      return;
    }
    clearInterval(renew);
    this.failures.delete(row.flow);
    await store.intake.advanceSchedule(row.flow, workerId, row.nextAt, {
      nextAt: due.nextAt ?? NEVER,
      ...(last !== undefined ? { lastSlotAt: last } : {}),
    });
  }

  /** A slot that could not fire is tried again with backoff, and recorded as a failed fire. */
  private async failed(flow: CompiledFlow, row: ScheduleRow, e: unknown): Promise<void> {
    const n = (this.failures.get(row.flow) ?? 0) + 1;
    this.failures.set(row.flow, n);
    const cause = e instanceof SweepSourceError ? e.cause : e;
    const backoff = Math.min(this.o.backoffMs * 2 ** (n - 1), MAX_BACKOFF_MS);
    const wait = Math.max(backoff, isBatonError(cause) ? (cause.retryAfterMs ?? 0) : 0);
    const now = this.o.now();
    process.emitWarning(
      `baton: schedule of ${flow.def.id}: the slot did not fire (${errorText(e)}); trying again in ${Math.round(wait / 1000)} s`,
    );
    const outcome = e instanceof SweepSourceError ? 'source_failed' : 'delivery_failed';
    await this.o.store.intake.recordFire(flow.def.id, 'schedule', now, outcome, true).catch(() => {});
    await this.o.store.intake.releaseSchedule(row.flow, this.o.workerId, now + wait);
  }
}
