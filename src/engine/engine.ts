// The engine runs handoffs durably. Intake commits a handoff before answering; a worker then
// advances it step by step, committing each step (group commit) before any external call that
// depends on it. Work is claimed with leases fenced by an attempt number, so a worker that lost
// its lease cannot change what another worker now owns.
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { BatonError, errorText, isBatonError } from '../core/errors.ts';
import { GENESIS } from '../core/hash-chain.ts';
import { jsonProblems, storableJson } from '../core/json-safe.ts';
import { agentOwner, type OwnerRef } from '../core/owner.ts';
import type { ActionRecord, Actor, HandoffRecord, HandoffSnapshot } from '../core/types.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import type { CommitOutcome, HandoffCommit, Store } from '../store/port.ts';
import { isInternal, type ActionContext, type ActionDefinition } from '../actions/define.ts';
import { Work } from './work.ts';
import { GroupCommitter } from './group-commit.ts';
import { adoptDecision, step } from './pipeline.ts';
import { applyModelOutcome, type ModelCall, type ModelOutcome } from './model-step.ts';
import { applyOutcome, effects, type ExternalCall } from './act.ts';
import { applyDraftOutcome } from './draft-step.ts';
import { applyCapture, runCapture, type CaptureOutcome } from './capture.ts';
import { sweepReservations } from './sweep.ts';
import { computeWake, fireTimers } from './timers.ts';
import { fail } from './escalate.ts';
import { newId } from './ids.ts';
import { personNamed } from '../core/requester.ts';
import type { Runtime } from './runtime.ts';
import { outboxOf } from './outbox.ts';
import { checkSameInput } from './idempotency.ts';

export interface EngineOptions {
  store: Store;
  runtime: Runtime;
  /** The current version of each flow, by id (new handoffs start under it). */
  flows: Map<string, CompiledFlow>;
  /** Run a worker in this process (claim and advance handoffs). */
  worker: boolean;
  leaseMs?: number;
  batchSize?: number;
  pollMs?: number;
  /** How long a graceful stop waits for running steps before it releases their leases. */
  shutdownGraceMs?: number;
  /** Test hook: called at named crash points (see docs/durability.md). */
  crashPoint?: (name: string) => void;
}

export interface IntakeResult {
  id: string;
  state: HandoffRecord['state'];
  created: boolean;
}

type Outcome = { ok: true; result: unknown } | { ok: false; error: unknown };

/** `committed`: every commit the engine made durable (handoff row after it, and its new events). */
export class Engine extends EventEmitter<{ committed: [HandoffCommit] }> {
  readonly workerId = `${hostname()}:${process.pid}:${newId().slice(-8)}`;
  readonly committer: GroupCommitter;
  private readonly store: Store;
  private readonly rt: Runtime;
  private readonly flows: Map<string, CompiledFlow>;
  private readonly runsWorker: boolean;
  private readonly leaseMs: number;
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly shutdownGraceMs: number;
  private readonly crashPoint: (name: string) => void;
  private readonly inFlight = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private pokeAgain = false;
  private stopped = true;
  private lastSweep = 0;
  private readonly shutdown = new AbortController();
  private unsubscribeWake: (() => Promise<void>) | undefined;
  private readonly companions: Array<{ start(): void; stop(): Promise<void> }> = [];

  constructor(o: EngineOptions) {
    super();
    this.store = o.store;
    this.rt = o.runtime;
    this.flows = o.flows;
    this.runsWorker = o.worker;
    this.leaseMs = o.leaseMs ?? 30_000;
    this.batchSize = o.batchSize ?? 200;
    this.pollMs = o.pollMs ?? 1000;
    this.shutdownGraceMs = o.shutdownGraceMs ?? 10_000;
    this.crashPoint = o.crashPoint ?? (() => {});
    const shape = o.store.batching ?? { maxBatch: 1000, maxInFlight: 1 };
    this.committer = new GroupCommitter(o.store, shape.maxBatch, shape.maxInFlight);
  }

  flow(id: string): CompiledFlow {
    const f = this.flows.get(id);
    if (!f)
      throw new BatonError(
        'not_found',
        `flow ${id} does not exist (flows: ${[...this.flows.keys()].join(', ')})`,
      );
    return f;
  }

  flowList(): CompiledFlow[] {
    return [...this.flows.values()];
  }

  /**
   * Creates a handoff, idempotent on the flow's key; resolves once it is durable. `via`: how it
   * came in. A webhook (HTTP intake without a person's mark) needs the flow's `webhook` trigger;
   * a person may hand work to any flow (`manual` is for flows people alone start).
   */
  async intake(
    flowId: string,
    input: unknown,
    actor: Actor,
    via: 'webhook' | 'manual' | 'trigger' = 'manual',
    /**
     * From a trigger (src/intake/): its own idempotency key, used when the flow declares none,
     * and its name, kept on the `received` event.
     */
    from?: { trigger: string; key: string },
  ): Promise<IntakeResult> {
    const flow = this.flow(flowId);
    if (via === 'webhook' && !flow.def.trigger.webhook) {
      const triggers = Object.keys(flow.def.trigger);
      throw new BatonError(
        'trigger_not_enabled',
        `flow ${flowId} does not take webhook intake (its triggers: ${triggers.join(', ') || 'none'}): ` +
          'a person hands work to it with `baton send` (over HTTP: ?trigger=manual), or add `webhook: {}` to its trigger',
        { details: [{ path: 'trigger', message: `webhook is not among ${triggers.join(', ')}` }] },
      );
    }
    const unsafe = jsonProblems(input);
    if (unsafe.length > 0) {
      throw new BatonError('validation_failed', `the input for flow ${flowId} is not plain JSON`, {
        details: unsafe,
      });
    }
    const errors = flow.validateInput(input);
    if (errors.length > 0) {
      throw new BatonError('validation_failed', `the input does not match flow ${flowId}'s schema`, {
        details: errors,
      });
    }
    const now = Date.now();
    const id = newId('h_');
    const data = input as Record<string, unknown>;
    const vars = { input: flow.celInput(data), context: {}, decision: {}, handoff: { id, flow: flowId } };
    const key = flow.idempotencyKey ? String(flow.idempotencyKey.eval(vars)) : (from?.key ?? id);
    const requester = flow.requester ? this.requesterOf(flow.requester.eval(vars)) : undefined;
    // A person who sends work in with their own token asked for it, whatever the payload says.
    const submittedBy = actor.kind === 'user' ? actor.id : undefined;
    const h: HandoffRecord = {
      id,
      flow: flowId,
      flowVersion: flow.version,
      mode: flow.def.mode,
      idempotencyKey: key,
      state: 'received',
      owner: agentOwner(flowId),
      input: data,
      context: null,
      decision: null,
      boundary: { from: flow.def.boundary.from, to: flow.def.boundary.to },
      createdAt: now,
      updatedAt: now,
      wakeAt: now,
      breached: false,
      ladderStep: 0,
      rework: 0,
      costUsd: 0,
      rev: 0,
      attempt: this.runsWorker ? 1 : 0,
      eventSeq: 0,
      headHash: GENESIS,
      ...(requester ? { requester } : {}),
      ...(this.runsWorker ? { leaseOwner: this.workerId, leaseUntil: now + this.leaseMs } : {}),
    };
    const w = new Work({ handoff: h, actions: [], approvals: [], ledger: [] }, now, 0);
    // The ledger's first entry names who handed the work in: a requester too (approval-reach.ts).
    w.changeOwner(h.owner, 'received', 'released', submittedBy);
    w.event('received', actor, {
      flowVersion: flow.version,
      idempotencyKey: key,
      ...(from ? { trigger: from.trigger } : {}),
    });
    const commit = w.toCommit();
    const durable = this.committer.submit(commit);
    // The worker starts at once: its first step usually joins the intake in the same transaction
    // (coalesced), and if the intake turns out to be a duplicate that step fails with it.
    if (this.runsWorker && !this.stopped) this.track(id, this.run(snapshotOf(commit)));
    const outcome = await durable;
    if (!outcome.ok) {
      if (outcome.reason === 'duplicate') {
        await checkSameInput(this.store, flowId, key, outcome.id, data);
        return { id: outcome.id, state: outcome.state, created: false };
      }
      throw new BatonError('conflict', 'intake conflicted; try again', { retryable: true });
    }
    this.crashPoint('after_intake_commit');
    this.emit('committed', commit);
    return { id, state: 'received', created: true };
  }

  /**
   * The requester as a person id when it names a declared person (`ARI`, `user:ari`); otherwise
   * the text as given, kept so an approval can say whom it could not place (it escalates).
   */
  private requesterOf(raw: unknown): string | undefined {
    const known = personNamed(raw, this.rt.directory.personIds());
    if (known) return known;
    if (typeof raw === 'string') return raw.trim() || undefined;
    return raw === undefined || raw === null ? undefined : JSON.stringify(raw);
  }

  /** Commits a step made outside the worker (a person's command); wakes the worker when needed. */
  async commitWork(w: Work, flow: CompiledFlow): Promise<CommitOutcome> {
    w.handoff.wakeAt = computeWake(w, flow);
    const commit = this.seal(w);
    const outcome = await this.committer.submit(commit);
    if (outcome.ok) {
      this.emit('committed', commit);
      if (commit.handoff.wakeAt !== null && commit.handoff.wakeAt <= Date.now()) this.poke();
    }
    return outcome;
  }

  /** Work that runs beside the worker and stops with it (the channels' outbox dispatcher). */
  attach(companion: { start(): void; stop(): Promise<void> }): void {
    this.companions.push(companion);
    if (!this.stopped) companion.start();
  }

  start(): void {
    if (!this.runsWorker || !this.stopped) return;
    this.stopped = false;
    for (const c of this.companions) c.start();
    void this.releaseDeadLeases().finally(() => this.poke());
    void this.sweep();
    // Woken by other processes' commits where the store can tell (polling stays the fallback).
    this.store
      .subscribeWake?.(() => this.poke())
      .then((unsubscribe) => {
        if (this.stopped) void unsubscribe();
        else this.unsubscribeWake = unsubscribe;
      })
      .catch((e: unknown) =>
        process.emitWarning(`baton: no wake-ups from the store, polling only: ${errorText(e)}`),
      );
  }

  /**
   * After a crash and restart on the same machine, the dead process's leases would only expire
   * after leaseMs; a worker id names its host and pid, so a lease whose process is gone is
   * released at once and its handoffs resume now.
   */
  private async releaseDeadLeases(): Promise<void> {
    const host = hostname();
    try {
      for (const holder of await this.store.leaseHolders()) {
        const [h, pid] = holder.split(':');
        if (h !== host || holder === this.workerId || !pid || processAlive(Number(pid))) continue;
        await this.store.releaseLeases(holder);
      }
    } catch (e) {
      process.emitWarning(`baton: could not release the leases of dead workers: ${errorText(e)}`);
    }
  }

  /**
   * Graceful stop: claims nothing more and lets running steps finish within the grace period.
   * Then every lease this worker still holds is released, so other workers resume those
   * handoffs at once instead of after the lease expires; a step still running past the grace
   * period is fenced (its commit is refused) and its external call, if any, is an unknown
   * outcome handled like after a crash.
   */
  async stop(graceMs = this.shutdownGraceMs): Promise<void> {
    const wasRunning = !this.stopped;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.unsubscribeWake?.().catch(() => {});
    this.unsubscribeWake = undefined;
    await Promise.allSettled(this.companions.map((c) => c.stop()));
    const all = Promise.allSettled([...this.inFlight.values()]);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((r) => (timer = setTimeout(r, graceMs)));
    await Promise.race([all, timeout]);
    clearTimeout(timer);
    this.shutdown.abort();
    if (!wasRunning) return;
    try {
      await this.store.releaseLeases(this.workerId);
    } catch (e) {
      process.emitWarning(`baton: could not release this worker's leases on stop: ${errorText(e)}`);
    }
  }

  /** Look for due work now (after a command made a handoff runnable, or a timer is due). */
  poke(): void {
    if (this.stopped) return;
    if (this.polling) {
      this.pokeAgain = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poll(), 0);
  }

  /**
   * Settles budget reservations nobody will settle (see sweep.ts); runs at start, with each
   * drain, and at most every ten minutes while polling. Returns how many it settled.
   */
  async sweep(now = Date.now()): Promise<number> {
    this.lastSweep = now;
    try {
      return await sweepReservations(
        this.store,
        this.rt,
        (w, flow) => this.commitWork(w, flow),
        now,
        2 * this.leaseMs,
      );
    } catch (e) {
      process.emitWarning(`baton: settling left-over budget reservations failed: ${errorText(e)}`);
      return 0;
    }
  }

  /** Runs everything due until nothing is (the CLI's direct mode uses this). */
  async drain(maxRounds = 1000): Promise<void> {
    await this.sweep();
    for (let i = 0; i < maxRounds; i++) {
      await Promise.allSettled([...this.inFlight.values()]);
      const claimed = await this.claimDue();
      if (claimed === 0 && this.inFlight.size === 0) return;
    }
  }

  private async poll(): Promise<void> {
    if (this.stopped) return;
    if (Date.now() - this.lastSweep > 600_000) void this.sweep();
    this.polling = true;
    try {
      const claimed = await this.claimDue();
      if (claimed >= this.batchSize) this.pokeAgain = true;
    } catch (e) {
      process.emitWarning(`baton: claiming work failed: ${errorText(e)}`);
    } finally {
      this.polling = false;
    }
    if (this.stopped) return;
    let delay = this.pollMs;
    if (this.pokeAgain) {
      this.pokeAgain = false;
      delay = 0;
    } else {
      const next = await this.store.nextWake().catch(() => undefined);
      if (next !== undefined) delay = Math.max(0, Math.min(delay, next - Date.now()));
    }
    this.timer = setTimeout(() => void this.poll(), delay);
    this.timer.unref();
  }

  private async claimDue(): Promise<number> {
    const snaps = await this.store.claim({
      worker: this.workerId,
      now: Date.now(),
      leaseMs: this.leaseMs,
      limit: this.batchSize,
    });
    for (const s of snaps) {
      if (this.inFlight.has(s.handoff.id)) continue;
      this.track(s.handoff.id, this.run(s));
    }
    return snaps.length;
  }

  private track(id: string, p: Promise<void>): void {
    const done = p
      .catch((e: unknown) => process.emitWarning(`baton: handoff ${id}: ${errorText(e)}`))
      .finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, done);
  }

  /** Advances one leased handoff until it waits for a person, a timer or nothing. */
  private async run(start: HandoffSnapshot): Promise<void> {
    let snap = start;
    const attempt = start.handoff.attempt;
    let outcome:
      | { actionId: string; result: Outcome }
      | { model: ModelOutcome }
      | { draft: ModelOutcome; actionId: string }
      | { capture: CaptureOutcome; actionId: string }
      | undefined;
    for (let round = 0; round < 1000; round++) {
      const flow = await this.rt.flowFor(snap.handoff.flowVersion);
      const w = new Work(snap, Date.now());
      let call: ExternalCall | undefined;
      try {
        if (outcome && 'model' in outcome) {
          await applyModelOutcome(w, flow, this.rt, outcome.model, (d) =>
            adoptDecision(w, flow, this.rt, { ...d, owner: d.owner as OwnerRef, by: 'llm' }),
          );
        } else if (outcome && 'draft' in outcome) {
          await applyDraftOutcome(w, flow, this.rt, outcome.actionId, outcome.draft, effects(w, this.rt));
        } else if (outcome && 'capture' in outcome) {
          applyCapture(w, flow, this.rt, outcome.actionId, outcome.capture);
        } else if (outcome) await applyOutcome(w, flow, this.rt, outcome.actionId, outcome.result);
        fireTimers(w, flow, this.rt);
        call = await step(w, flow, this.rt);
      } catch (e) {
        // The store was away during a step's own store call (a budget reservation or
        // settlement): nothing was committed, the lease runs out and the step is tried again.
        if (isBatonError(e) && e.code === 'store_error' && e.retryable) {
          process.emitWarning(
            `baton: handoff ${snap.handoff.id}: ${errorText(e)}; trying again after the lease`,
          );
          return;
        }
        await this.toPerson(snap, flow, e);
        return;
      }
      let committed: HandoffSnapshot | undefined;
      try {
        committed = await this.finish(w, flow, call);
      } catch (e) {
        // A store that is away: the lease runs out and the step is retried. Anything else (a value
        // that cannot be written) would fail the same way every time: a person gets it.
        if (isBatonError(e) && e.code === 'store_error') throw e;
        await this.toPerson(snap, flow, e);
        return;
      }
      if (!committed) {
        const fresh = await this.store.get(snap.handoff.id);
        if (!fresh || fresh.handoff.attempt !== attempt || fresh.handoff.leaseOwner !== this.workerId) return;
        snap = fresh;
        continue;
      }
      outcome = undefined;
      snap = committed;
      if (!call) return;
      // A process paused (or starved) past its lease must not make the call late: another worker
      // owns the handoff by now and will treat the call as of unknown outcome.
      const until = snap.handoff.leaseUntil;
      if (until !== undefined && Date.now() >= until - 500) return;
      this.crashPoint('before_action_call');
      if ('model' in call) outcome = { model: await this.callModel(call.model) };
      else if ('draft' in call)
        outcome = { draft: await this.callModel(call.draft), actionId: call.draft.actionId };
      else if ('capture' in call)
        outcome = { capture: await this.callCapture(snap, call.capture), actionId: call.capture };
      else outcome = { actionId: call.actionId, result: await this.callAction(snap, call.actionId) };
      this.crashPoint('after_action_call');
    }
  }

  /** A bug or bad data must not drop the handoff, nor loop on it: it goes to a person, with the error. */
  private async toPerson(snap: HandoffSnapshot, flow: CompiledFlow, e: unknown): Promise<void> {
    const w = new Work(snap, Date.now());
    try {
      fail(w, flow, this.rt, `internal error: ${errorText(e)}`);
    } catch {
      return;
    }
    await this.finish(w, flow, undefined);
  }

  /** Commits a worker step; releases the lease unless an external call follows. */
  private async finish(
    w: Work,
    flow: CompiledFlow,
    call: ExternalCall | undefined,
  ): Promise<HandoffSnapshot | undefined> {
    const h = w.handoff;
    const held = h.leaseUntil;
    h.wakeAt = computeWake(w, flow);
    if (!call) {
      delete h.leaseOwner;
      delete h.leaseUntil;
    } else {
      h.leaseUntil = w.now + this.leaseMs;
    }
    const commit = this.seal(w);
    const outcome = await this.submitWhileLeased(commit, held);
    if (!outcome.ok) return undefined;
    this.emit('committed', commit);
    return snapshotOf(commit, w);
  }

  /** The step as one commit, with the notices the channels will deliver after it. */
  private seal(w: Work): HandoffCommit {
    const commit = w.toCommit();
    const outbox = outboxOf(w, this.rt);
    if (outbox.length > 0) commit.outbox = outbox;
    return commit;
  }

  /**
   * A worker step whose store is briefly away (a database restart, a failover) is committed
   * again while the lease still holds: the step, and above all the outcome of an external call
   * it records, is kept rather than left to become an unknown outcome. Safe to repeat: the
   * commit names the revision it read, so one that did land the first time is refused.
   */
  private async submitWhileLeased(
    commit: HandoffCommit,
    leaseUntil: number | undefined,
  ): Promise<CommitOutcome> {
    for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
      try {
        return await this.committer.submit(commit);
      } catch (e) {
        const away = isBatonError(e) && e.code === 'store_error' && e.retryable;
        if (!away || leaseUntil === undefined || Date.now() + delay >= leaseUntil - 1000) throw e;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async callModel(call: ModelCall): Promise<ModelOutcome> {
    const started = Date.now();
    const decider = this.rt.models?.decider;
    if (!decider) return { ok: false, error: new BatonError('internal', 'no model is configured'), ms: 0 };
    // Retries and the fallback together must end within the lease.
    const signal = AbortSignal.any([
      AbortSignal.timeout(Math.max(1000, this.leaseMs - 1000)),
      this.shutdown.signal,
    ]);
    try {
      const answer = await decider.decide(call.request, signal);
      return { ok: true, answer, ms: Date.now() - started };
    } catch (error) {
      return { ok: false, error, ms: Date.now() - started };
    }
  }

  /** The context an external action (or its capture) is called with, and its time limit. */
  private callContext(snap: HandoffSnapshot, a: ActionRecord, ext: ActionDefinition<never>): ActionContext {
    const timeoutMs = Math.min(ext.timeoutMs ?? 10_000, this.leaseMs - 1000);
    return {
      handoffId: snap.handoff.id,
      flow: snap.handoff.flow,
      actionId: a.id,
      idempotencyKey: a.idempotencyKey,
      owner: snap.handoff.decision?.owner ?? snap.handoff.owner,
      signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.shutdown.signal]),
      outbound: this.rt.outbound,
    };
  }

  private async callAction(snap: HandoffSnapshot, actionId: string): Promise<Outcome> {
    const a = snap.actions.find((x) => x.id === actionId)!;
    const def = this.rt.registry.action(a.use);
    if (!def || isInternal(def))
      return { ok: false, error: new BatonError('action_failed', `action ${a.use} is not available`) };
    const ext = def as ActionDefinition<Record<string, unknown>>;
    try {
      const result = await ext.run(a.params, this.callContext(snap, a, def));
      return { ok: true, result: storableJson(result) };
    } catch (error) {
      return { ok: false, error };
    }
  }

  private async callCapture(snap: HandoffSnapshot, actionId: string): Promise<CaptureOutcome> {
    const a = snap.actions.find((x) => x.id === actionId)!;
    const def = this.rt.registry.action(a.use);
    if (!def || isInternal(def) || !def.capture)
      return { ok: false, error: new BatonError('action_failed', `action ${a.use} is not available`) };
    return runCapture(def, a, this.callContext(snap, a, def));
  }
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The snapshot after a commit: the committed rows (a Work's copies are the new truth). */
function snapshotOf(commit: HandoffCommit, w?: Work): HandoffSnapshot {
  if (w) return { handoff: commit.handoff, actions: w.actions, approvals: w.approvals, ledger: w.ledger };
  return {
    handoff: commit.handoff,
    actions: commit.actions ?? [],
    approvals: commit.approvals ?? [],
    ledger: commit.ledger ?? [],
  };
}
