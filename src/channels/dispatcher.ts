// Drains the outbox: the notices steps committed are delivered after the commit, by whichever
// worker leases them. Each delivery (notice × person × channel) is recorded `sending` before
// the call and `sent` after it, so a retry skips what already went out; only a crash between a
// channel's acceptance and the `sent` record can repeat one message (never lose one).
import { approvalRequesters } from '../core/requester.ts';
import { errorText } from '../core/errors.ts';
import type { DeliveryRecord, OutboxRecord } from '../core/notices.ts';
import type { Directory } from '../engine/directory.ts';
import type { Store } from '../store/port.ts';
import { messageFor } from './message.ts';
import { PermanentDeliveryError, type Channel } from './port.ts';

/** No delivery starts this close to the end of the lease (an SMTP call may take ~50 s). */
const LEASE_MARGIN_MS = 55_000;

export interface DispatcherOptions {
  store: Store;
  directory: Directory;
  channels: readonly Channel[];
  workerId: string;
  /** How long a leased notice is this worker's (default 3 min). */
  leaseMs?: number;
  /** How often to look for due notices when nothing pokes (default 1 s). */
  pollMs?: number;
  /** Tries per notice before it is given up as failed (default 8). */
  maxAttempts?: number;
  /** Backoff after a failed try: base × 2^(tries − 1), at most an hour (default 5 s). */
  backoffMs?: number;
}

export class Dispatcher {
  private readonly o: Required<DispatcherOptions>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(o: DispatcherOptions) {
    this.o = { leaseMs: 180_000, pollMs: 1000, maxAttempts: 8, backoffMs: 5000, ...o };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.poke();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Look for due notices now (a commit wrote some). */
  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.round().finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        const delay = this.again ? 0 : this.o.pollMs;
        this.again = false;
        this.timer = setTimeout(() => this.poke(), delay);
        this.timer.unref();
      });
    }, 0);
  }

  /** Delivers everything due now (tests and the CLI's direct mode call it). */
  async drain(maxRounds = 100): Promise<void> {
    for (let i = 0; i < maxRounds; i++) if ((await this.claimAndDeliver()) === 0) return;
  }

  private async round(): Promise<void> {
    try {
      if ((await this.claimAndDeliver()) >= 50) this.again = true;
    } catch (e) {
      process.emitWarning(`baton: delivering notices failed: ${errorText(e)}`);
    }
  }

  private async claimAndDeliver(): Promise<number> {
    const due = await this.o.store.claimOutbox({
      worker: this.o.workerId,
      now: Date.now(),
      leaseMs: this.o.leaseMs,
      limit: 50,
    });
    await Promise.all(due.map((n) => this.handle(n)));
    return due.length;
  }

  private async handle(n: OutboxRecord): Promise<void> {
    let failures: string[];
    try {
      failures = n.kind === 'approval_closed' ? await this.showClosed(n) : await this.deliver(n);
    } catch (e) {
      failures = [errorText(e)];
    }
    const attempts = n.attempts + 1;
    if (failures.length === 0) {
      await this.o.store.settleOutbox(n.id, this.o.workerId, { state: 'done', attempts, nextAt: null });
      return;
    }
    const error = failures.join('; ').slice(0, 2000);
    if (attempts >= this.o.maxAttempts) {
      await this.o.store.settleOutbox(n.id, this.o.workerId, {
        state: 'failed',
        attempts,
        nextAt: null,
        error,
      });
      return;
    }
    const delay = Math.min(this.o.backoffMs * 2 ** (attempts - 1), 3_600_000);
    await this.o.store.settleOutbox(n.id, this.o.workerId, {
      state: 'pending',
      attempts,
      nextAt: Date.now() + delay,
      error,
    });
  }

  /** Sends the notice to every person of its owner on every channel that reaches them. */
  private async deliver(n: OutboxRecord): Promise<string[]> {
    const { store, directory } = this.o;
    const snap = await store.get(n.handoffId);
    if (!snap) return [];
    const approval = n.approvalId ? snap.approvals.find((a) => a.id === n.approvalId) : undefined;
    // Decided before it could be delivered: there is nothing left to ask.
    if (approval && approval.state !== 'pending') return [];
    const message = messageFor(n, snap.handoff, approval);
    const done = new Map(
      (await store.deliveries({ outboxId: n.id })).map((d) => [`${d.channel}:${d.recipient}`, d]),
    );
    const failures: string[] = [];
    for (const user of directory.usersOf(n.owner)) {
      // No self-approval: the requester is not asked.
      if (approval && approvalRequesters(approval).includes(user)) continue;
      const person = directory.person(user);
      if (!person) continue;
      for (const channel of this.o.channels) {
        const address = channel.addressOf(person);
        if (address === undefined) continue;
        // Another worker may take the notice once the lease ends: stop in time, go on later.
        if (n.leaseUntil !== undefined && Date.now() > n.leaseUntil - LEASE_MARGIN_MS) {
          failures.push('the lease ran short; the rest follows on the next try');
          return failures;
        }
        const before = done.get(`${channel.name}:${user}`);
        if (before?.state === 'sent' || before?.state === 'failed') continue;
        const d: DeliveryRecord = {
          outboxId: n.id,
          channel: channel.name,
          recipient: user,
          ...(n.approvalId ? { approvalId: n.approvalId } : {}),
          state: 'sending',
          attempts: (before?.attempts ?? 0) + 1,
          updatedAt: Date.now(),
        };
        await store.putDelivery(d);
        try {
          const ref = await channel.deliver({
            notice: n,
            person,
            address,
            message,
            handoff: snap.handoff,
            ...(approval ? { approval } : {}),
            key: `${n.id}.${channel.name}.${user}`,
          });
          await store.putDelivery({ ...d, state: 'sent', ref, updatedAt: Date.now() });
        } catch (e) {
          const error = errorText(e).slice(0, 500);
          const permanent = e instanceof PermanentDeliveryError;
          await store.putDelivery({
            ...d,
            state: permanent ? 'failed' : 'sending',
            error,
            updatedAt: Date.now(),
          });
          if (!permanent) failures.push(`${channel.name} to ${user}: ${error}`);
        }
      }
    }
    return failures;
  }

  /** An approval closed: every channel that can shows the outcome where it asked. */
  private async showClosed(n: OutboxRecord): Promise<string[]> {
    const { store } = this.o;
    const approval = n.approvalId ? await store.approval(n.approvalId) : undefined;
    if (!approval) return [];
    const snap = await store.get(approval.handoffId);
    if (!snap) return [];
    const failures: string[] = [];
    for (const d of await store.deliveries({ approvalId: approval.id })) {
      if (d.state !== 'sent' || !d.ref) continue;
      const channel = this.o.channels.find((c) => c.name === d.channel);
      if (!channel?.showClosed) continue;
      const notice = { ...n, kind: 'approval' as const, text: approval.summary };
      try {
        await channel.showClosed(d, approval, messageFor(notice, snap.handoff, approval));
      } catch (e) {
        if (!(e instanceof PermanentDeliveryError))
          failures.push(`${d.channel} update for ${d.recipient}: ${errorText(e)}`);
      }
    }
    return failures;
  }
}
