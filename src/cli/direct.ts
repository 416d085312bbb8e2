// The Client over the Baton service, on the project's own store. The local user acts with
// `admin` access (they hold the files anyway); decisions are still checked: approvers, self-
// approval and ownership for accept. After each change the due work runs here, so the command
// shows where the handoff went.
import { BatonError } from '../core/errors.ts';
import type { Actor } from '../core/types.ts';
import type { Baton, CallerInfo } from '../service/baton.ts';
import type { Client, Decision, HandoffCommand, ListFilter, ReplayResult, SendResult } from './client.ts';
import { failureToView, type FailureView } from '../service/intake-view.ts';
import { UsageError } from './errors.ts';
import { approvalView } from '../service/views.ts';

export class DirectClient implements Client {
  readonly mode = 'direct' as const;
  readonly where: string;
  readonly baton: Baton;
  private readonly as: string | undefined;

  constructor(baton: Baton, as: string | undefined, storage: string) {
    this.baton = baton;
    this.as = as;
    this.where = `${baton.project.dir} (${storage})`;
  }

  private caller(): CallerInfo {
    if (!this.as) {
      const people = [...this.baton.project.people.keys()];
      throw new UsageError(
        `--as USER is required in direct mode: name the person acting${people.length ? ` (one of ${people.join(', ')})` : ''}`,
      );
    }
    this.checkAs(this.as);
    return { user: this.as, access: 'admin', via: 'cli' };
  }

  private actor(): Actor {
    if (!this.as) return { kind: 'system', id: 'cli', via: 'cli' };
    this.checkAs(this.as);
    return { kind: 'user', id: this.as, via: 'cli' };
  }

  private checkAs(user: string): void {
    if (!this.baton.directory.hasUser(user))
      throw new UsageError(
        `--as ${user}: not a person declared in baton.yaml (one of ${[...this.baton.project.people.keys()].join(', ')})`,
      );
  }

  async send(flow: string, input: unknown, options: { settle?: boolean } = {}): Promise<SendResult> {
    const r = await this.baton.send(flow, input, this.actor());
    if (options.settle === false) return r;
    await this.settle();
    return { ...r, state: (await this.baton.snapshot(r.id)).handoff.state };
  }

  settle(): Promise<void> {
    return this.baton.engine.drain();
  }

  list(filter: ListFilter) {
    return this.baton.list(filter);
  }

  get(id: string) {
    return this.baton.get(id);
  }

  getByKey(flow: string, key: string) {
    return this.baton.getByKey(flow, key);
  }

  async act(id: string, c: HandoffCommand) {
    const p = this.caller();
    const b = this.baton;
    switch (c.kind) {
      case 'accept':
        await b.accept(id, p, c.comment);
        break;
      case 'decline':
        await b.decline(id, p, c.reason, c.comment);
        break;
      case 'return':
        await b.giveBack(id, p, c.reason, c.comment);
        break;
      case 'reassign':
        await b.reassign(id, p, c.to, c.comment);
        break;
      case 'amend':
        await b.amend(id, p, c.input, c.comment);
        break;
      case 'complete':
        await b.complete(id, p, c.comment);
        break;
      case 'cancel':
        await b.cancel(id, p, c.comment);
        break;
      case 'rollback':
        await b.rollback(id, p, c.comment);
        break;
      case 'retry':
        await b.retry(id, p, c.comment);
        break;
      case 'resolve':
        await b.resolve(id, c.action, p, c.outcome, c.comment);
        break;
    }
    await this.settle();
    return b.get(id);
  }

  async observed(id: string, owner: string) {
    await this.baton.observed(id, this.caller(), owner);
    return this.baton.get(id);
  }

  approvals(filter: {
    state?: 'pending' | 'approved' | 'rejected' | 'timed_out' | 'voided';
    handoffId?: string;
  }) {
    return this.baton.approvals(filter.state, filter.handoffId);
  }

  async decide(id: string, d: Decision) {
    const r = await this.baton.decide(id, this.caller(), d.decision, d.comment, d.edits);
    await this.settle();
    const h = (await this.baton.snapshot(r.handoff.id)).handoff;
    return { approval: approvalView(r.approval), handoff: { id: h.id, state: h.state, owner: h.owner } };
  }

  /** A user id means everything the user acts for; `team:…` or `role:…` means that queue only. */
  tasks(filter: { owner?: string; state?: 'open' | 'done' | 'cancelled' }) {
    filter = { ...filter, ...this.defaultOwner(filter.owner) };
    const queue = this.queue(filter.owner);
    if (queue) return this.baton.queueTasks(queue, filter.state);
    return this.baton.tasks(filter.owner, filter.state);
  }

  inbox(filter: { owner?: string }) {
    filter = { ...filter, ...this.defaultOwner(filter.owner) };
    const queue = this.queue(filter.owner);
    if (queue) return this.baton.queueInbox(queue);
    return this.baton.inbox(filter.owner);
  }

  /** Like a token's user over HTTP: --as names whose lists to show unless --owner says. */
  private defaultOwner(owner: string | undefined): { owner?: string } {
    const o = owner ?? this.as;
    return o === undefined ? {} : { owner: o };
  }

  private queue(owner: string | undefined): string | undefined {
    if (owner === undefined) return undefined;
    if (/^(team|role):./.test(owner)) return owner;
    if (!this.baton.directory.hasUser(owner)) {
      throw new BatonError('validation_failed', `owner ${owner} is not a person or queue of this project`, {
        details: [{ path: 'owner', message: 'a user id declared in baton.yaml, or team:<id> / role:<id>' }],
      });
    }
    return undefined;
  }

  async flows() {
    return this.baton.flows();
  }

  async reload(): Promise<never> {
    throw new UsageError(
      'reload asks a running server (set BATON_URL and BATON_TOKEN); in direct mode every command reads the flow files afresh. `baton serve` also reloads by itself when a flow file changes, and on SIGHUP',
    );
  }

  async intakeFailures(f: { flow?: string; state?: FailureView['state']; limit?: number }) {
    if (f.flow !== undefined) this.baton.engine.flow(f.flow);
    return (await this.baton.intakeFailures(f)).map((x) => failureToView(x));
  }

  async intakeFailure(id: string) {
    return failureToView(await this.baton.intakeFailure(id), true);
  }

  async replayIntake(id: string): Promise<ReplayResult> {
    const { result, failure } = await this.baton.replayIntake(id, this.as ?? 'cli');
    await this.settle();
    return {
      outcome: result.outcome,
      ...('handoffId' in result ? { handoffId: result.handoffId } : {}),
      ...(result.outcome === 'failed' ? { reason: result.reason, message: result.message } : {}),
      failure: failureToView(failure),
    };
  }

  async dropIntake(id: string) {
    return failureToView(await this.baton.dropIntake(id, this.as ?? 'cli'));
  }

  triggers() {
    return this.baton.triggers();
  }

  connectors() {
    return this.baton.connectors();
  }

  checkConnectors(name?: string) {
    return this.baton.checkConnectors(name);
  }

  // Reports and audit load on demand: most commands never need them.
  async summary(filter: { since?: number; until?: number; flow?: string; boundary?: string }) {
    const { metricsSummary } = await import('../metrics/summary.ts');
    return metricsSummary(this.baton.store, filter);
  }

  async auditVerify() {
    const { verifyAudit } = await import('../audit/verify.ts');
    return verifyAudit(this.baton.store);
  }

  async auditExport(write: (line: string) => void, options: { handoffId?: string }) {
    const { exportAudit } = await import('../audit/export.ts');
    return exportAudit(this.baton.store, write, options.handoffId ? { handoffId: options.handoffId } : {});
  }

  close() {
    return this.baton.close();
  }
}
