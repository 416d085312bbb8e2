// The application service: one object that the HTTP server and the CLI (in direct mode) both
// call, so every entry point runs the same checks and writes the same audit events.
import { BatonError } from '../core/errors.ts';
import {
  RETURN_REASONS,
  type ReturnReason,
  type HandoffSnapshot,
  type ApprovalRecord,
  type Actor,
} from '../core/types.ts';
import type { AccessLevel } from '../core/project-schema.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import { loadProject, resolveStorageUrl, type Project } from '../project/load.ts';
import { openStore } from '../store/open.ts';
import { closeConnectors, openConnectors, type OpenConnector } from '../connectors/configure.ts';
import { useSchemas, type UseSchema } from '../actions/schemas.ts';
import { checkConnectors, connectorsView, type ConnectorCheck, type ConnectorsView } from './connectors.ts';
import type { BoardFilter, HandoffFilter, Store } from '../store/port.ts';
import { Registry } from '../actions/registry.ts';
import { Tables } from '../actions/tables.ts';
import { OutboundPolicy } from '../outbound/policy.ts';
import { Directory } from '../engine/directory.ts';
import { Engine, type IntakeResult } from '../engine/engine.ts';
import { Work } from '../engine/work.ts';
import type { Runtime } from '../engine/runtime.ts';
import * as cmd from '../engine/commands.ts';
import { amend } from '../engine/amend.ts';
import { castVote, applyActionApproval, type Vote } from '../engine/approvals.ts';
import { applyDecisionApproval } from '../engine/pipeline.ts';
import { rollbackHandoff } from '../engine/rollback.ts';
import {
  approvalView,
  flowDetailView,
  flowView,
  handoffView,
  inboxView,
  taskView,
  type HandoffView,
} from './views.ts';
import { authenticate, createToken, newTokenRow, type NewToken, type Principal } from './tokens.ts';
import { checkScope, flowsInReach } from './scope.ts';
import { permittedCommands, waitingFor } from './permitted.ts';
import { PromMetrics, PROMETHEUS_CONTENT_TYPE } from '../metrics/prometheus.ts';
import type { Decider } from '../decide/port.ts';
import { modelDecider, modelRuntime } from './models.ts';
import { closeChannels, openChannels } from '../channels/setup.ts';
import { channelReach } from '../channels/reach.ts';
import { Dispatcher } from '../channels/dispatcher.ts';
import type { Channel } from '../channels/port.ts';
import { noticesOf } from '../channels/notices-view.ts';
import { useLink, viewLink, type LinkChoice, type LinkOutcome, type LinkView } from '../channels/confirm.ts';
import { listItems, readBoard, type BoardRead } from './board.ts';
import { flowsByVersion } from './flow-by-version.ts';
import { flowUseProblems, publishVersion, reloadFlows, type FlowReload } from './reload.ts';
import { checkDraft, saveFlow, type DraftCheck, type SavedFlow } from './flow-edit.ts';
import { Intake } from '../intake/intake.ts';
import { triggerViews, type TriggerView } from './triggers-view.ts';
import { PARSERS } from '../intake/parsers.ts';
import { readerOf } from '../intake/slack/read.ts';
import type { Delivery, DeliveryResult } from '../intake/port.ts';
import type { IntakeFailureState } from '../store/intake-store.ts';
import { ScheduleRunner } from '../intake/schedule/runner.ts';

export interface OpenOptions {
  /** The project folder (holds baton.yaml). */
  dir: string;
  /** Overrides the project's storage (BATON_DATABASE_URL or --storage); relative to the cwd. */
  storage?: string;
  /** Run a worker in this process. */
  worker?: boolean;
  leaseMs?: number;
  pollMs?: number;
  crashPoint?: (name: string) => void;
  /** SQLite: write through a writer thread, so the database works on the second core. */
  threadedWriter?: boolean;
  /** Create the store when it does not exist (default true; commands that only read pass false). */
  createStore?: boolean;
  /** An already loaded project (then `dir` is only used for messages). */
  project?: Project;
  /** Adjusts the action registry before flows are checked (eval swaps in recorders and recorded context). */
  configure?: (registry: Registry) => void;
  /** Decides instead of the configured providers (tests: `scriptedDecider`). */
  decider?: Decider;
  /** Where provider keys and base URLs are read (default: the project's, the environment over its secrets file). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Outbox dispatcher: backoff after a failed delivery (default 5 s; tests shorten it). */
  deliveryBackoffMs?: number;
  /** Schedules: first retry after a slot that failed to fire (default 5 s; tests shorten it). */
  scheduleBackoffMs?: number;
}

/** Who is calling, once authenticated (or the local user in direct mode). */
export type CallerInfo = Principal & { via?: string };

export class Baton {
  readonly project: Project;
  readonly store: Store;
  readonly engine: Engine;
  readonly directory: Directory;
  readonly registry: Registry;
  private readonly versions = new Map<string, CompiledFlow>();

  private constructor(
    project: Project,
    store: Store,
    engine: Engine,
    directory: Directory,
    registry: Registry,
    versions: Map<string, CompiledFlow>,
  ) {
    this.project = project;
    this.store = store;
    this.engine = engine;
    this.directory = directory;
    this.registry = registry;
    this.versions = versions;
    this.prom = new PromMetrics(engine);
    this.intake = new Intake({
      engine,
      store,
      count: (flow, trigger, outcome) => this.prom.countIntake(flow, trigger, outcome),
      comment: async (id, actor, text, data) => {
        await this.mutate(id, (w) => cmd.addComment(w, actor, text, data));
      },
      parsers: PARSERS,
      parse: {
        people: directory,
        ...(project.channels.slack ? { slack: readerOf(project.channels.slack) } : {}),
      },
    });
  }

  /** From triggers to handoffs: mapping, threading, the dead-letter list (src/intake/). */
  readonly intake: Intake;

  static async open(o: OpenOptions): Promise<Baton> {
    const project = o.project ?? (await loadProject(o.dir));
    const registry = new Registry(new Tables(project.tables));
    await registry.loadProjectModules(project.actionsDir, project.dir);
    const directory = new Directory(project.def);
    const outbound = new OutboundPolicy(project.def.outbound);
    const connectors = await openConnectors(project.connectors, registry, {
      outbound,
      projectDir: project.dir,
      people: directory,
    });
    let store: Store;
    try {
      o.configure?.(registry);
      checkUses(project, registry);
      store = await openStore(resolveStorageUrl(project, o.storage), {
        threaded: o.threadedWriter ?? false,
        create: o.createStore ?? true,
      });
    } catch (e) {
      await closeConnectors(connectors);
      throw e;
    }
    const decider = modelDecider(project, o.decider, o.env ?? project.env);
    const versions = new Map<string, CompiledFlow>();
    for (const f of project.flows.values()) {
      versions.set(f.version, f);
      await publishVersion(store, f);
    }
    const runtime: Runtime = {
      directory,
      registry,
      maxActions: project.def.guardrails.maxActions,
      outbound,
      budget: { store, costCap: { ...project.def.guardrails.costCap } },
      ...(project.def.guardrails.riskApproval ? { riskApproval: project.def.guardrails.riskApproval } : {}),
      ...(decider ? { models: modelRuntime(project, decider, store, o.env ?? project.env) } : {}),
      flowFor: flowsByVersion(store, (version) => versions.get(version)),
    };
    const engine = new Engine({
      store,
      runtime,
      flows: project.flows,
      worker: o.worker ?? false,
      leaseMs: o.leaseMs ?? project.def.worker.leaseMs,
      batchSize: project.def.worker.batchSize,
      pollMs: o.pollMs ?? project.def.worker.pollMs,
      shutdownGraceMs: project.def.worker.shutdownGraceMs,
      ...(o.crashPoint ? { crashPoint: o.crashPoint } : {}),
    });
    const baton = new Baton(project, store, engine, directory, registry, versions);
    baton.runtime = runtime;
    baton.openConnectors = connectors;
    // Slack and email: notices go to the outbox with their step; this process's worker drains it.
    baton.channels = openChannels(project, store);
    const reach = channelReach(directory, baton.channels);
    if (reach) runtime.channels = reach;
    // Started with the worker (engine.start); `dispatcher.drain()` delivers on demand.
    if (reach) {
      const dispatcher = new Dispatcher({
        store,
        directory,
        channels: baton.channels,
        workerId: engine.workerId,
        pollMs: o.pollMs ?? project.def.worker.pollMs,
        ...(o.deliveryBackoffMs !== undefined ? { backoffMs: o.deliveryBackoffMs } : {}),
      });
      baton.dispatcher = dispatcher;
      engine.attach(dispatcher);
      engine.on('committed', (c) => {
        if (c.outbox?.length) dispatcher.poke();
      });
    }
    // Schedules fire wherever a worker runs (started with it, like the dispatcher).
    baton.schedules = new ScheduleRunner({
      store,
      registry,
      flows: project.flows,
      deliver: (d) => baton.deliver(d),
      workerId: engine.workerId,
      leaseMs: o.leaseMs ?? project.def.worker.leaseMs,
      pollMs: o.pollMs ?? project.def.worker.pollMs,
      ...(o.scheduleBackoffMs !== undefined ? { backoffMs: o.scheduleBackoffMs } : {}),
    });
    engine.attach(baton.schedules);
    return baton;
  }

  runtime!: Runtime;
  /** Fires the flows' schedules (runs with this process's worker; `runDue()` on demand). */
  schedules!: ScheduleRunner;
  /** The connectors of baton.yaml, opened: their actions and sources are in the registry. */
  openConnectors: OpenConnector[] = [];
  /** The channels this project configures (Slack, email); empty when none. */
  channels: Channel[] = [];
  /** Delivers the outbox (runs with this process's worker) when a channel is configured. */
  dispatcher: Dispatcher | undefined;
  /** Counts every commit of this process's engine from the start (cheap: a switch per event). */
  private readonly prom: PromMetrics;

  /** Prometheus text for this process's engine. */
  metricsText(): Promise<string> {
    return this.prom.text();
  }

  get metricsContentType(): string {
    return PROMETHEUS_CONTENT_TYPE;
  }

  startWorker(): void {
    this.engine.start();
  }

  /** Every action's and context source's parameters as JSON Schema (for the OpenAPI document). */
  async useSchemas(): Promise<UseSchema[]> {
    return useSchemas(this.registry);
  }

  /** The configured connectors, their actions and sources, and the flow entries that fall back. */
  async connectors(): Promise<ConnectorsView> {
    return connectorsView(this.openConnectors, this.project.flows.values(), this.registry);
  }

  /** One read call per connector (or the one named) to prove credentials and reachability. */
  async checkConnectors(name?: string): Promise<ConnectorCheck[]> {
    if (name !== undefined && !this.openConnectors.some((c) => c.configured.name === name)) {
      const have = this.openConnectors.map((c) => c.configured.name);
      throw new BatonError(
        'not_found',
        `no connector ${name} is configured${have.length ? ` (have: ${have.join(', ')})` : ' (baton.yaml has no connectors)'}`,
      );
    }
    return checkConnectors(this.openConnectors, name);
  }

  async close(): Promise<void> {
    this.prom.close();
    await this.engine.stop();
    closeChannels(this.channels);
    await closeConnectors(this.openConnectors);
    await this.store.close();
  }

  // ---- intake and reads

  /** Intake. `via`: `webhook` for HTTP intake that is not marked as a person's (see Engine.intake). */
  async send(
    flow: string,
    input: unknown,
    caller: Actor,
    via: 'webhook' | 'manual' = 'manual',
  ): Promise<IntakeResult> {
    try {
      const r = await this.engine.intake(flow, input, caller, via);
      this.prom.countIntake(flow, via, r.created ? 'created' : 'duplicate');
      return r;
    } catch (e) {
      // Refused input is answered to the caller (422, 409), not kept: count it, for known flows only.
      if (e instanceof BatonError && e.code !== 'not_found') this.prom.countIntake(flow, via, 'refused');
      throw e;
    }
  }

  // ---- intake from triggers (email, Slack, schedules, vendor webhooks)

  /** Takes what a trigger received: a handoff made or found, a comment, or a dead-letter entry. */
  deliver(d: Delivery): Promise<DeliveryResult> {
    return this.intake.deliver(d);
  }

  /** The dead-letter list (newest first); `flows` limits it to a token's reach. */
  intakeFailures(filter: {
    flow?: string;
    flows?: readonly string[];
    state?: IntakeFailureState;
    limit?: number;
    before?: number;
  }) {
    return this.intake.failures(filter);
  }

  intakeFailure(id: string) {
    return this.intake.failure(id);
  }

  /** Replays a dead-letter entry against the flow as it is now. */
  replayIntake(id: string, by: string) {
    return this.intake.replay(id, by);
  }

  dropIntake(id: string, by: string) {
    return this.intake.drop(id, by);
  }

  /** Each flow's triggers (or one flow's): live or not, where they listen, when they last fired. */
  async triggers(flow?: string): Promise<Array<{ flow: string; triggers: TriggerView[] }>> {
    const flows = flow === undefined ? this.engine.flowList() : [this.engine.flow(flow)];
    const fires = await this.store.intake.fires(flow);
    return Promise.all(
      flows.map(async (f) => ({
        flow: f.def.id,
        triggers: triggerViews(
          this.project,
          f,
          fires,
          f.def.trigger.schedule ? await this.store.intake.schedule(f.def.id) : undefined,
        ),
      })),
    );
  }

  async get(id: string): Promise<HandoffView> {
    const s = await this.snapshot(id);
    const notices = this.channels.length > 0 ? await noticesOf(this.store, id) : [];
    return handoffView(s, await this.store.events(id), notices);
  }

  /** The handoff a flow's idempotency key names: the id the sender used (`L-1`) finds its handoff. */
  async getByKey(flow: string, key: string): Promise<HandoffView> {
    const h = await this.store.byKey(flow, key);
    if (!h) throw new BatonError('not_found', `flow ${flow} has no handoff with idempotency key ${key}`);
    return this.get(h.id);
  }

  /** A page of handoffs; each with a one-line subject and, while it waits, its SLA's due time. */
  async list(filter: HandoffFilter) {
    const page = await this.store.list(filter);
    return {
      items: await listItems(page.items, (v) => this.runtime.flowFor(v)),
      nextCursor: page.nextCursor ?? null,
    };
  }

  /** The board: open work by owner, with `cards` > 0 each column's first page (board.ts). */
  board(filter: BoardFilter, cards = 0): Promise<BoardRead> {
    return readBoard(this.store, (v) => this.runtime.flowFor(v), filter, cards);
  }

  async snapshot(id: string): Promise<HandoffSnapshot> {
    const s = await this.store.get(id);
    if (!s) throw new BatonError('not_found', `handoff ${id} does not exist`);
    return s;
  }

  flows() {
    return this.engine.flowList().map(flowView);
  }

  flowDetail(id: string) {
    return flowDetailView(this.engine.flow(id));
  }

  private reloading: Promise<unknown> = Promise.resolve();

  /**
   * Reads the flow files again: new versions are published and live for new handoffs, running
   * handoffs keep theirs, a file that fails to load keeps its flow's version live (reload.ts).
   * One reload at a time.
   */
  reloadFlows(): Promise<FlowReload> {
    return this.oneAtATime(() => this.reloadNow());
  }

  private async reloadNow(): Promise<FlowReload> {
    const r = await reloadFlows(this.project, this.registry, this.store, this.versions);
    // A changed cron starts its schedule over; a flow that lost its schedule drops it.
    await this.schedules.ensure();
    return r;
  }

  /** Reloads and saves of flow files run one after another. */
  private oneAtATime<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.reloading.then(fn);
    this.reloading = run.catch(() => {});
    return run;
  }

  /** Checks a draft of a flow's YAML file as a reload would (flow-edit.ts). */
  async checkFlowDraft(flow: string, text: string): Promise<DraftCheck> {
    return checkDraft(this.project, this.registry, flow, text);
  }

  /** Writes a checked draft over the flow's file and makes it live as a new version (flow-edit.ts). */
  saveFlow(flow: string, text: string, expectedVersion: string): Promise<SavedFlow> {
    return this.oneAtATime(() =>
      saveFlow(this.project, this.registry, flow, text, expectedVersion, () => this.reloadNow()),
    );
  }

  /** The live flows' files and texts (another thread compiles its own copy from them). */
  async liveFlowSources(): Promise<Array<{ file: string; source: string }>> {
    return [...this.project.flows.values()].map((f) => ({ file: f.file, source: f.source }));
  }

  async tasks(user?: string, state?: 'open' | 'done' | 'cancelled') {
    const owners = user ? this.directory.ownersOf(user) : undefined;
    const tasks = await this.store.tasks({
      ...(owners ? { assignees: owners } : {}),
      ...(state ? { state } : {}),
    });
    return tasks.map(taskView);
  }

  /** The tasks of one queue (`team:…` or `role:…`). */
  async queueTasks(queue: string, state?: 'open' | 'done' | 'cancelled') {
    return (await this.store.tasks({ assignees: [queue], ...(state ? { state } : {}) })).map(taskView);
  }

  /** The inbox of one queue (`team:…` or `role:…`). */
  async queueInbox(queue: string) {
    return (await this.store.inbox({ owners: [queue] })).map(inboxView);
  }

  async inbox(user?: string) {
    const owners = user ? this.directory.ownersOf(user) : undefined;
    return (await this.store.inbox(owners ? { owners } : {})).map(inboxView);
  }

  async approvals(state?: ApprovalRecord['state'], handoffId?: string) {
    const approvals = await this.store.approvals({
      ...(state ? { state } : {}),
      ...(handoffId ? { handoffId } : {}),
    });
    return approvals.map(approvalView);
  }

  /**
   * What `p` may do to the handoff now (each command tried on a copy with its own checks), which
   * actions a rollback can undo, and who the work may be reassigned to. Without a caller (an
   * anonymous read) every command is refused.
   */
  async permitted(id: string, p: CallerInfo | undefined) {
    const snap = await this.snapshot(id);
    const flow = await this.runtime.flowFor(snap.handoff.flowVersion);
    let c: cmd.Caller | { refused: string };
    if (!p) c = { refused: 'A token is required to act on a handoff' };
    else if (!this.directory.hasUser(p.user))
      c = { refused: `${p.user} is not a person declared in baton.yaml` };
    else c = this.caller(p);
    return permittedCommands(snap, flow, this.runtime, c);
  }

  /** What waits for a person: approvals they may vote on, work waiting for their acceptance. */
  waiting(user: string, reach?: readonly string[]) {
    const flows = [...this.project.flows.keys()];
    return waitingFor(this.store, this.runtime, flows, user, reach);
  }

  // ---- people's commands

  /** Applies `change` to a fresh copy of the handoff and commits it, retrying on conflicts. */
  private async mutate(
    id: string,
    change: (w: Work, flow: CompiledFlow) => void | Promise<void>,
  ): Promise<HandoffView> {
    for (let attempt = 0; attempt < 8; attempt++) {
      const snap = await this.snapshot(id);
      const flow = await this.runtime.flowFor(snap.handoff.flowVersion);
      const w = new Work(snap);
      await change(w, flow);
      const outcome = await this.engine.commitWork(w, flow);
      if (outcome.ok) return this.get(id);
      await new Promise((r) => setTimeout(r, 2 + Math.random() * 10 * (attempt + 1)));
    }
    throw new BatonError('conflict', `handoff ${id} is changing too fast; try again`, { retryable: true });
  }

  private caller(p: CallerInfo): cmd.Caller {
    if (!this.directory.hasUser(p.user)) {
      throw new BatonError('forbidden', `${p.user} is not a person declared in baton.yaml`);
    }
    return {
      user: p.user,
      operator: p.access === 'operator' || p.access === 'admin',
      ...(p.via ? { via: p.via } : {}),
    };
  }

  accept(id: string, p: CallerInfo, comment?: string) {
    return this.mutate(id, (w) => cmd.accept(w, this.runtime, this.caller(p), comment));
  }

  decline(id: string, p: CallerInfo, reason: string, comment?: string) {
    const r = returnReason(reason);
    return this.mutate(id, (w, flow) => cmd.decline(w, flow, this.runtime, this.caller(p), r, comment));
  }

  giveBack(id: string, p: CallerInfo, reason: string, comment?: string) {
    const r = returnReason(reason);
    return this.mutate(id, (w, flow) => cmd.giveBack(w, flow, this.runtime, this.caller(p), r, comment));
  }

  /** Amends the input by a JSON merge patch; the sender (who sent it in), the owner or an operator. */
  async amend(id: string, p: CallerInfo, patch: Record<string, unknown>, comment?: string) {
    const caller = this.caller(p);
    const received = (await this.store.events(id)).find((e) => e.type === 'received');
    const sender = received?.actor.kind === 'user' ? received.actor.id : undefined;
    return this.mutate(id, (w, flow) => amend(w, flow, this.runtime, caller, patch, sender, comment));
  }

  reassign(id: string, p: CallerInfo, to: string, comment?: string) {
    return this.mutate(id, (w, flow) => cmd.reassign(w, flow, this.runtime, this.caller(p), to, comment));
  }

  complete(id: string, p: CallerInfo, comment?: string) {
    return this.mutate(id, (w) => cmd.complete(w, this.runtime, this.caller(p), comment));
  }

  cancel(id: string, p: CallerInfo, comment?: string) {
    return this.mutate(id, (w) => cmd.cancel(w, this.runtime, this.caller(p), comment));
  }

  retry(id: string, p: CallerInfo, comment?: string) {
    return this.mutate(id, (w) => cmd.retry(w, this.runtime, this.caller(p), comment));
  }

  resolve(
    id: string,
    action: string,
    p: CallerInfo,
    outcome: 'succeeded' | 'failed' | 'retry',
    comment?: string,
  ) {
    return this.mutate(id, (w) => cmd.resolve(w, this.runtime, this.caller(p), action, outcome, comment));
  }

  /** Shadow mode: where people routed the work. The same owner again (a retried call) changes nothing. */
  async observed(id: string, p: CallerInfo, owner: string) {
    const known = (await this.snapshot(id)).handoff.observed;
    if (known?.owner === owner) return this.get(id);
    return this.mutate(id, (w) => cmd.observe(w, this.runtime, this.caller(p), owner));
  }

  async rollback(id: string, p: CallerInfo, comment?: string): Promise<HandoffView> {
    const c = this.caller(p);
    await rollbackHandoff(this.engine, this.store, this.runtime, id, c, comment, async () => {
      const snap = await this.snapshot(id);
      return { snap, flow: await this.runtime.flowFor(snap.handoff.flowVersion) };
    });
    return this.get(id);
  }

  /** Approves or rejects. `id` is an approval id, or a handoff id with exactly one pending approval. */
  async decide(
    id: string,
    p: CallerInfo,
    decision: 'approve' | 'reject',
    comment?: string,
    edits?: { owner?: string; params?: Record<string, unknown> },
  ) {
    const approvalId = await this.approvalIdFor(id);
    const approval = await this.store.approval(approvalId);
    if (!approval) throw new BatonError('not_found', `approval ${approvalId} does not exist`);
    const c = this.caller(p);
    // The approval as this step leaves it (the last attempt's, which is what was committed).
    let after: ApprovalRecord | undefined;
    const view = await this.mutate(approval.handoffId, (w, flow) => {
      const ap = w.approvals.find((a) => a.id === approvalId);
      if (!ap) throw new BatonError('not_found', `approval ${approvalId} does not exist`);
      after = ap;
      const vote: Vote = {
        user: c.user,
        decision,
        ...(comment ? { comment } : {}),
        ...(c.via ? { via: c.via } : {}),
        ...(edits ? { edits } : {}),
      };
      const state = castVote(w, flow, this.runtime, ap, vote);
      if (state === 'pending') return;
      if (ap.kind === 'decision')
        applyDecisionApproval(w, flow, this.runtime, ap, cmd.actorOf(c), edits?.owner);
      else applyActionApproval(w, flow, this.runtime, ap, cmd.actorOf(c));
    });
    // The record (channels render it); the HTTP API and the CLI show approvalView of it.
    return { approval: after!, handoff: { id: view.id, state: view.state, owner: view.owner } };
  }

  private async approvalIdFor(id: string): Promise<string> {
    if (id.startsWith('apr_')) return id;
    const pending = await this.store.approvals({ handoffId: id, state: 'pending' });
    if (pending.length === 1) return pending[0]!.id;
    if (pending.length === 0) {
      if (!(await this.store.get(id))) throw new BatonError('not_found', `no approval or handoff ${id}`);
      throw new BatonError('not_found', `handoff ${id} has no pending approval`);
    }
    throw new BatonError(
      'validation_failed',
      `handoff ${id} has ${pending.length} pending approvals: name one (${pending.map((a) => a.id).join(', ')})`,
    );
  }

  // ---- channels

  /** What an email link stands for (GET of the confirm page: changes nothing). */
  linkView(token: string): Promise<LinkView> {
    return viewLink(this.store, token);
  }

  /** Uses an email link from its confirm page: once, as the person it was sent to. */
  useLink(token: string, choice: LinkChoice, comment?: string): Promise<LinkOutcome> {
    return useLink(this, token, choice, comment);
  }

  /** Slack replay protection: false when this signed request was seen already. */
  rememberRequest(key: string, at: number, forgetBefore: number): Promise<boolean> {
    return this.store.rememberRequest(key, at, forgetBefore);
  }

  // ---- tokens

  /** A token for a declared person, optionally scoped to flows and/or teams; the secret is returned once. */
  async createToken(user: string, access: AccessLevel, o: NewToken = {}) {
    if (!this.directory.hasUser(user)) {
      throw new BatonError('validation_failed', `${user} is not a person declared in baton.yaml`, {
        details: [{ path: 'user', message: 'unknown person' }],
      });
    }
    const scope = o.scope ? checkScope(o.scope, this.scopeIds()) : undefined;
    return createToken(this.store, user, access, { ...o, ...(scope ? { scope } : {}) });
  }

  /**
   * The first-run admin token: created only when the store has never held a token, for the
   * person marked `admin: true` in baton.yaml (else the first person). Undefined when a token
   * exists already or nobody is declared.
   */
  async createFirstRunToken(): Promise<{ id: string; user: string; token: string } | undefined> {
    const people = this.project.def.people;
    const admin = people.find((p) => p.admin) ?? people[0];
    if (!admin) return undefined;
    const { token, row } = newTokenRow(admin.id, 'admin', { name: 'first run', createdBy: 'first-run' });
    if (!(await this.store.createFirstToken(row))) return undefined;
    return { id: row.id, user: admin.id, token };
  }

  /** Revokes a token at once; `by` is recorded with it. False when it was already revoked. */
  async revokeToken(id: string, by?: string): Promise<boolean> {
    const known = (await this.store.listTokens()).find((t) => t.id === id);
    if (!known) throw new BatonError('not_found', `token ${id} does not exist (see baton token ls)`);
    if (known.revokedAt !== undefined) return false;
    return this.store.revokeToken(id, Date.now(), by);
  }

  /** The flows a scoped caller reaches (undefined: all). */
  reachOf(p: Principal): ReadonlySet<string> | undefined {
    return flowsInReach(
      p.scope,
      [...this.project.flows.values()].map((f) => f.def),
    );
  }

  private scopeIds() {
    return {
      flows: new Set([...this.project.flows.values()].map((f) => f.def.id)),
      teams: new Set(this.project.def.teams.map((t) => t.id)),
    };
  }

  authenticate(secret: string): Promise<Principal> {
    return authenticate(this.store, secret, (id) => this.directory.hasUser(id));
  }
}

function returnReason(reason: string): ReturnReason {
  if ((RETURN_REASONS as readonly string[]).includes(reason)) return reason as ReturnReason;
  throw new BatonError('validation_failed', `reason must be one of ${RETURN_REASONS.join(', ')}`, {
    details: [{ path: 'reason', message: `not one of ${RETURN_REASONS.join(' | ')}` }],
  });
}

/** Every `use:` of every flow must name an action or context source that exists (reload.ts). */
function checkUses(project: Project, registry: Registry): void {
  const problems = [...project.flows.values()].flatMap((f) => flowUseProblems(f, registry));
  if (problems.length) {
    throw new BatonError(
      'flow_invalid',
      problems.map((p) => `${p.file}: ${p.path}: ${p.message}`).join('\n'),
      { details: problems },
    );
  }
}
