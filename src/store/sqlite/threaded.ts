// SQLite with a writer thread. Writes (commits, claims, tokens, flow versions) go to a worker
// thread that owns the writing connection; reads use a connection of the main thread (WAL lets
// readers and the writer work at once). Commits cross as plain rows (see rows.ts), which is
// much cheaper to pass between threads than the records themselves.
import { Worker } from 'node:worker_threads';
import type { IntakeStore } from '../intake-store.ts';
import { BatonError, fromWire } from '../../core/errors.ts';
import type { HandoffSnapshot } from '../../core/types.ts';
import { commitToRows } from '../rows.ts';
import type {
  BudgetReservation,
  BudgetSettlement,
  ReserveOutcome,
  ClaimOptions,
  CommitOutcome,
  FlowVersionRow,
  HandoffCommit,
  BoardFilter,
  HandoffFilter,
  Store,
  TokenRow,
} from '../port.ts';
import type { DeliveryRecord, LinkRecord, OutboxRecord } from '../../core/notices.ts';
import type { EventFilter } from '../event-search.ts';
import { SqliteStore } from './store.ts';
import type { WriterReply, WriterRequest } from './writer-thread.ts';
import type { CheckpointerOptions } from './checkpoint-thread.ts';

/** The checkpoint thread copies the WAL into the database file every 200 ms, and has the WAL
 * start over past 64 MB (16,384 pages of 4 KiB). */
const CHECKPOINT = { everyMs: 200, restartFrames: 16_384 };

export class ThreadedSqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  /** Two batches alternate: one is written while the engine prepares the next. */
  readonly batching = { maxBatch: 100, maxInFlight: 2 };
  private readonly worker: Worker;
  private readonly reader: SqliteStore;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: unknown) => void }
  >();
  private nextId = 1;
  private closed = false;
  /** Set before asking the thread to stop, so its exit is expected. */
  private closing = false;

  /** Copies the WAL into the database file in the background (checkpoint-thread.ts). */
  private readonly checkpointer: Worker;

  /** Intake's few writes go through the reading connection (SQLite's busy timeout orders them). */
  get intake(): IntakeStore {
    return this.reader.intake;
  }

  private constructor(worker: Worker, reader: SqliteStore, checkpointer: Worker) {
    this.worker = worker;
    this.reader = reader;
    this.checkpointer = checkpointer;
    worker.on('message', (r: WriterReply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.ok) p.resolve(r.result);
      else {
        p.reject(fromWire(r.error, 'store_error'));
      }
    });
    worker.on('error', (e) => this.failAll(e));
    worker.on('exit', (code) => {
      if (this.closed || this.closing) return;
      // Crash-only: without its writer the store cannot keep its promises, so the process stops
      // (everything acknowledged is durable; a supervisor restarts it and recovery resumes).
      const e = new BatonError('store_error', `the SQLite writer thread exited (${code}); stopping`);
      this.failAll(e);
      this.closed = true;
      setImmediate(() => {
        throw e;
      });
    });
  }

  /** `checkpoint` tunes the background checkpoint (tests make it eager). */
  static async open(
    file: string,
    checkpoint: Omit<CheckpointerOptions, 'file'> = CHECKPOINT,
  ): Promise<ThreadedSqliteStore> {
    const worker = new Worker(new URL('./writer-thread.ts', import.meta.url), {
      workerData: { file, autoCheckpointPages: 100_000 },
    });
    // The writer migrates the schema before it says it is ready; only then the reader opens.
    await new Promise<void>((resolve, reject) => {
      const onMessage = (r: WriterReply) => {
        if (r.id !== 0) return;
        worker.off('message', onMessage);
        resolve();
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
    const checkpointer = new Worker(new URL('./checkpoint-thread.ts', import.meta.url), {
      workerData: { file, ...checkpoint } satisfies CheckpointerOptions,
    });
    // A checkpoint thread that fails costs only background work: the writer's own checkpoint remains.
    checkpointer.on('error', (e) => process.emitWarning(`baton: SQLite checkpoint thread: ${String(e)}`));
    checkpointer.unref();
    return new ThreadedSqliteStore(worker, new SqliteStore({ file }), checkpointer);
  }

  private failAll(e: unknown): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private call<T>(op: WriterRequest['op'], args: unknown[]): Promise<T> {
    if (this.closed) return Promise.reject(new BatonError('store_error', 'the store is closed'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, op, args } satisfies WriterRequest);
    });
  }

  migrate(): Promise<void> {
    return this.call('migrate', []);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const done = new Promise((r) => this.worker.once('exit', r));
    this.closing = true;
    this.checkpointer.postMessage('stop');
    await this.call('close', []);
    this.closed = true;
    await done;
    await this.reader.close();
  }

  publishFlow(row: FlowVersionRow): Promise<void> {
    return this.call('publishFlow', [row]);
  }

  flowVersion(version: string) {
    return this.reader.flowVersion(version);
  }

  flowVersions(flowId: string) {
    return this.reader.flowVersions(flowId);
  }

  commit(batch: readonly HandoffCommit[]): Promise<CommitOutcome[]> {
    return this.call('commitRows', [batch.map(commitToRows)]);
  }

  claim(options: ClaimOptions): Promise<HandoffSnapshot[]> {
    return this.call('claim', [options]);
  }

  leaseHolders() {
    return this.reader.leaseHolders();
  }

  releaseLeases(worker: string): Promise<number> {
    return this.call('releaseLeases', [worker]);
  }

  nextWake() {
    return this.reader.nextWake();
  }

  get(id: string) {
    return this.reader.get(id);
  }

  byKey(flow: string, key: string) {
    return this.reader.byKey(flow, key);
  }

  events(handoffId: string) {
    return this.reader.events(handoffId);
  }

  searchEvents(filter: EventFilter) {
    return this.reader.searchEvents(filter);
  }

  list(filter: HandoffFilter) {
    return this.reader.list(filter);
  }

  board(filter: BoardFilter) {
    return this.reader.board(filter);
  }

  boardCards(filter: BoardFilter, perOwner: number) {
    return this.reader.boardCards(filter, perOwner);
  }

  approval(id: string) {
    return this.reader.approval(id);
  }

  approvals(filter: Parameters<Store['approvals']>[0]) {
    return this.reader.approvals(filter);
  }

  tasks(filter: Parameters<Store['tasks']>[0]) {
    return this.reader.tasks(filter);
  }

  inbox(filter: Parameters<Store['inbox']>[0]) {
    return this.reader.inbox(filter);
  }

  createToken(row: TokenRow): Promise<void> {
    return this.call('createToken', [row]);
  }

  createFirstToken(row: TokenRow): Promise<boolean> {
    return this.call('createFirstToken', [row]);
  }

  tokenByHash(hash: string) {
    return this.reader.tokenByHash(hash);
  }

  revokeToken(id: string, at: number, by?: string): Promise<boolean> {
    return this.call('revokeToken', [id, at, by]);
  }

  listTokens() {
    return this.reader.listTokens();
  }

  claimOutbox(options: ClaimOptions): Promise<OutboxRecord[]> {
    return this.call('claimOutbox', [options]);
  }

  settleOutbox(id: string, worker: string, change: Parameters<Store['settleOutbox']>[2]): Promise<boolean> {
    return this.call('settleOutbox', [id, worker, change]);
  }

  outbox(filter: Parameters<Store['outbox']>[0]) {
    return this.reader.outbox(filter);
  }

  putDelivery(d: DeliveryRecord): Promise<void> {
    return this.call('putDelivery', [d]);
  }

  deliveries(filter: Parameters<Store['deliveries']>[0]) {
    return this.reader.deliveries(filter);
  }

  createLink(link: LinkRecord): Promise<void> {
    return this.call('createLink', [link]);
  }

  link(hash: string) {
    return this.reader.link(hash);
  }

  useLink(hash: string, now: number): Promise<LinkRecord | undefined> {
    return this.call('useLink', [hash, now]);
  }

  releaseLink(hash: string, usedAt: number): Promise<void> {
    return this.call('releaseLink', [hash, usedAt]);
  }

  rememberRequest(key: string, at: number, forgetBefore: number): Promise<boolean> {
    return this.call('rememberRequest', [key, at, forgetBefore]);
  }

  heads(after: string | undefined, limit: number) {
    return this.reader.heads(after, limit);
  }

  checkpoints(afterSeq: number, limit: number) {
    return this.reader.checkpoints(afterSeq, limit);
  }

  reserveBudget(r: BudgetReservation): Promise<ReserveOutcome> {
    return this.call('reserveBudget', [r]);
  }

  settleBudget(id: string, s: BudgetSettlement): Promise<{ costUsd: number } | undefined> {
    return this.call('settleBudget', [id, s]);
  }

  budgetDay(flow: string, day: string) {
    return this.reader.budgetDay(flow, day);
  }

  heldReservations(before: number, limit: number) {
    return this.reader.heldReservations(before, limit);
  }

  query<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.reader.query<T>(sql, params);
  }
}
