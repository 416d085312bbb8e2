// The service with its engine on another thread (engine-thread.ts). Reads that the HTTP server
// makes on every request (tokens, readiness, audit, metrics summary) use this thread's own
// read-only connection; everything that changes a handoff, and every service call, goes to the
// engine thread, which owns the writing connection and the worker.
import { Worker } from 'node:worker_threads';
import { EventEmitter } from 'node:events';
import { BatonError, errorText, fromWire } from '../core/errors.ts';
import { loadProject, resolveStorageUrl, type Project } from '../project/load.ts';
import { openStore } from '../store/open.ts';
import type { BoardFilter, HandoffCommit, Store } from '../store/port.ts';
import { readBoard, type BoardRead } from './board.ts';
import { flowsByVersion, type FlowFor } from './flow-by-version.ts';
import { Directory } from '../engine/directory.ts';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics/prometheus.ts';
import type { Baton, OpenOptions } from './baton.ts';
import type { BatonApi, CommitSource, Forwarded } from './api.ts';
import type { FromEngine, ToEngine } from './engine-thread.ts';
import { TurnBatch } from './batch.ts';
import { authenticate, type Principal } from './tokens.ts';
import { flowDetailView, flowView } from './views.ts';
import { viewLink } from '../channels/confirm.ts';
import { flowsInReach } from './scope.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import { parseFlow } from '../flow/load.ts';

type Call<K extends Forwarded> = (...args: Parameters<Baton[K]>) => ReturnType<Baton[K]>;

export class RemoteBaton implements BatonApi {
  readonly project: Project;
  readonly directory: Directory;
  readonly store: Store;
  readonly metricsContentType = PROMETHEUS_CONTENT_TYPE;
  readonly engine: CommitSource;
  private readonly worker: Worker;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: unknown) => void }
  >();
  private readonly commits = new EventEmitter<{ committed: [HandoffCommit] }>();
  private nextId = 1;
  /** Calls of one turn of the event loop, sent to the engine thread together. */
  private readonly outbox: TurnBatch<ToEngine>;
  private closed = false;
  /** Set before asking the thread to stop, so its exit is expected. */
  private closing = false;

  private constructor(project: Project, store: Store, worker: Worker, onFatal?: (e: Error) => void) {
    this.project = project;
    this.directory = new Directory(project.def);
    this.store = store;
    this.worker = worker;
    worker.on('message', (batch: FromEngine[]) => {
      for (const m of batch) this.receive(m);
    });
    this.outbox = new TurnBatch<ToEngine>((items) => worker.postMessage(items));
    // An uncaught error ends the thread: keep it, so the exit says why.
    let cause = '';
    worker.on('error', (e) => {
      cause = `: ${e.stack ?? errorText(e)}`;
      this.failAll(e);
    });
    worker.on('exit', (code) => {
      if (this.closed || this.closing) return;
      const e = new BatonError('store_error', `the engine thread exited (${code})${cause}`);
      this.failAll(e);
      this.closed = true;
      void this.store.close();
      // Crash-only, like the writer thread: the caller stops the process (serve exits non-zero).
      if (onFatal) onFatal(e);
      else {
        setImmediate(() => {
          throw e;
        });
      }
    });
    // Commit notices cross threads only while someone listens (the live stream).
    const commits = this.commits;
    const control = (c: 'subscribe' | 'unsubscribe'): void =>
      void this.post({ id: this.nextId++, control: c }).catch(() => {});
    this.engine = {
      on(event, listener) {
        commits.on(event, listener);
        if (commits.listenerCount('committed') === 1) control('subscribe');
        return this;
      },
      off(event, listener) {
        commits.off(event, listener);
        if (commits.listenerCount('committed') === 0) control('unsubscribe');
        return this;
      },
    };
  }

  static async open(
    o: Omit<OpenOptions, 'configure' | 'crashPoint' | 'project'>,
    onFatal?: (e: Error) => void,
  ): Promise<RemoteBaton> {
    const project = await loadProject(o.dir);
    const url = resolveStorageUrl(project, o.storage);
    const worker = new Worker(new URL('./engine-thread.ts', import.meta.url), {
      workerData: { threadedWriter: true, ...o, storage: url },
    });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (batch: FromEngine[]): void => {
        if (batch.some((m) => 'id' in m && m.id === 0)) {
          worker.off('message', onMessage);
          worker.off('error', reject);
          resolve();
        }
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.once('exit', (code) =>
        reject(new BatonError('project_invalid', `the engine thread could not start (exit ${code})`)),
      );
    });
    // Opened after the engine thread has migrated the schema; this thread only reads through it.
    const reader = await openStore(url);
    return new RemoteBaton(project, reader, worker, onFatal);
  }

  private receive(m: FromEngine): void {
    if ('commit' in m) {
      this.commits.emit('committed', m.commit as unknown as HandoffCommit);
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else {
      p.reject(fromWire(m.error, 'internal'));
    }
  }

  private failAll(e: unknown): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private post(message: ToEngine): Promise<unknown> {
    if (this.closed) return Promise.reject(new BatonError('store_error', 'the service is closed'));
    return new Promise((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject });
      this.outbox.push(message);
    });
  }

  private call<K extends Forwarded>(name: K): Call<K> {
    return ((...args: unknown[]) => this.post({ id: this.nextId++, call: name, args })) as unknown as Call<K>;
  }

  // Service calls, answered by the engine thread.
  readonly send = this.call('send');
  readonly get = this.call('get');
  readonly getByKey = this.call('getByKey');
  readonly list = this.call('list');
  readonly tasks = this.call('tasks');
  readonly queueTasks = this.call('queueTasks');
  readonly inbox = this.call('inbox');
  readonly queueInbox = this.call('queueInbox');
  readonly approvals = this.call('approvals');
  readonly permitted = this.call('permitted');
  readonly waiting = this.call('waiting');
  readonly decide = this.call('decide');
  readonly accept = this.call('accept');
  readonly decline = this.call('decline');
  readonly giveBack = this.call('giveBack');
  readonly reassign = this.call('reassign');
  readonly amend = this.call('amend');
  readonly complete = this.call('complete');
  readonly cancel = this.call('cancel');
  readonly retry = this.call('retry');
  readonly resolve = this.call('resolve');
  readonly observed = this.call('observed');
  readonly rollback = this.call('rollback');
  readonly connectors = this.call('connectors');
  readonly checkConnectors = this.call('checkConnectors');
  readonly useSchemas = this.call('useSchemas');
  readonly createToken = this.call('createToken');
  readonly createFirstRunToken = this.call('createFirstRunToken');
  readonly revokeToken = this.call('revokeToken');
  readonly metricsText = this.call('metricsText');
  readonly useLink = this.call('useLink');
  readonly rememberRequest = this.call('rememberRequest');
  readonly deliver = this.call('deliver');
  readonly intakeFailures = this.call('intakeFailures');
  readonly intakeFailure = this.call('intakeFailure');
  readonly replayIntake = this.call('replayIntake');
  readonly dropIntake = this.call('dropIntake');
  readonly triggers = this.call('triggers');
  private readonly liveFlowSources = this.call('liveFlowSources');

  /** Reloads on the engine thread, then compiles this thread's copy of the live flows from the same texts. */
  async reloadFlows(): ReturnType<Baton['reloadFlows']> {
    const result = await this.call('reloadFlows')();
    await this.refreshFlows();
    return result;
  }

  readonly checkFlowDraft = this.call('checkFlowDraft');

  /** Saves on the engine thread (which reloads), then refreshes this thread's copy like a reload. */
  async saveFlow(...args: Parameters<Baton['saveFlow']>): ReturnType<Baton['saveFlow']> {
    const result = await this.call('saveFlow')(...args);
    await this.refreshFlows();
    return result;
  }

  private async refreshFlows(): Promise<void> {
    const live = new Map<string, CompiledFlow>();
    for (const { file, source } of await this.liveFlowSources()) {
      const f = parseFlow(source, file);
      live.set(f.def.id, f);
    }
    this.project.flows.clear();
    for (const [id, f] of live) this.project.flows.set(id, f);
  }

  /** Read through this thread's connection: showing a link changes nothing. */
  linkView(token: string): ReturnType<Baton['linkView']> {
    return viewLink(this.store, token);
  }

  /** The board from this thread's read connection: counting needs no trip to the engine thread. */
  board(filter: BoardFilter, cards = 0): Promise<BoardRead> {
    return readBoard(this.store, (v) => this.flowFor(v), filter, cards);
  }

  #flowFor?: FlowFor;
  /** A flow by version: a live one of this thread's copy, else as published in the store. */
  private flowFor(version: string): Promise<CompiledFlow> {
    this.#flowFor ??= flowsByVersion(this.store, (v) =>
      [...this.project.flows.values()].find((f) => f.version === v),
    );
    return this.#flowFor(version);
  }

  flows(): ReturnType<Baton['flows']> {
    return [...this.project.flows.values()].map(flowView);
  }

  flowDetail(id: string): ReturnType<Baton['flowDetail']> {
    const f = this.project.flows.get(id);
    if (!f) throw new BatonError('not_found', `flow ${id} does not exist`);
    return flowDetailView(f);
  }

  reachOf(p: Principal): ReadonlySet<string> | undefined {
    return flowsInReach(
      p.scope,
      [...this.project.flows.values()].map((f) => f.def),
    );
  }

  authenticate(secret: string): Promise<Principal> {
    return authenticate(this.store, secret, (id) => this.directory.hasUser(id));
  }

  startWorker(): void {
    void this.post({ id: this.nextId++, control: 'start' }).catch(() => {});
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const exited = new Promise((r) => this.worker.once('exit', r));
    this.closing = true;
    await this.post({ id: this.nextId++, control: 'close' });
    this.closed = true;
    await exited;
    await this.store.close();
  }
}
