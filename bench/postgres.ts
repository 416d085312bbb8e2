// `npm run bench -- --store postgres`: lead-to-owner end to end on PostgreSQL, a fresh schema per
// run (all dropped at the end).
//   1. in process: one Baton with its worker, `inFlight` handoffs at a time (as on SQLite)
//   2. N `baton worker` processes (1, 2, 4) draining what the intake in this process sends at
//      full speed; handoffs/s is first intake → last `handed_off` (the store is polled)
//   3. latency with 2 worker processes at a steady offered rate
//   4. over HTTP against `baton serve` (API and worker in one process)
// Alongside: commits per transaction (from the checkpoint chain, one row per transaction) and
// the CPU each process used, so the figures say where the time goes.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Baton } from '../src/service/baton.ts';
import { runInProcess } from './inprocess.ts';
import { runHttp } from './http.ts';
import { runRawPostgres } from './postgres-raw.ts';
import { PostgresStore } from '../src/store/postgres/store.ts';
import { leadInput, percentile, type RunFigures } from './common.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ACTOR = { kind: 'system', id: 'bench' } as const;
/** The worker block the temporary project gets: wake-ups on PostgreSQL are polled. */
const WORKER_BLOCK = 'worker: { pollMs: 20, batchSize: 200 }';

export interface PostgresBenchOptions {
  examples: string;
  pgUrl: string;
  total: number;
  inFlight: number;
  skipHttp: boolean;
  port: number;
  /** Worker process counts to run (default 1, 2, 4). */
  workers: number[];
  /** Write a CPU profile of each worker process into this folder. */
  profileDir?: string;
  say: (s: string) => void;
}

export interface PostgresBenchResult {
  rows: Array<[string, string, string, string]>;
  json: Record<string, unknown>;
}

/** Where the CPU went during a run, in µs per handoff. */
interface CpuShare {
  workers: number;
  intake: number;
  /** Everything else busy on the machine: the PostgreSQL server, mostly. */
  rest: number;
}

interface WorkerRun extends RunFigures {
  workers: number;
  intakePerSecond: number;
  cpu?: CpuShare;
  db: DbShare;
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export async function runPostgresBench(o: PostgresBenchOptions): Promise<PostgresBenchResult> {
  const admin = new pg.Client({ connectionString: o.pgUrl });
  try {
    await admin.connect();
  } catch (e) {
    throw new Error(
      `cannot connect to PostgreSQL at ${redact(o.pgUrl)} (--pg-url): ${(e as Error).message}`,
      { cause: e },
    );
  }
  const runId = randomBytes(4).toString('hex');
  const schemas: string[] = [];
  const storage = (label: string): { url: string; schema: string } => {
    const schema = `baton_bench_${runId}_${label}`;
    schemas.push(schema);
    const u = new URL(o.pgUrl);
    u.searchParams.set('schema', schema);
    return { url: u.toString(), schema };
  };
  // A copy of the examples whose workers poll every 20 ms.
  const work = mkdtempSync(path.join(tmpdir(), 'baton-bench-pg-'));
  const project = path.join(work, 'project');
  cpSync(o.examples, project, { recursive: true, filter: (src) => path.basename(src) !== 'data' });
  appendFileSync(path.join(project, 'baton.yaml'), `\n${WORKER_BLOCK}\n`);
  const children = new Set<ChildProcess>();
  const onSignal = () => {
    for (const c of children) c.kill('SIGKILL');
    void cleanup().finally(() => process.exit(130));
  };
  const cleanup = async () => {
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`).catch(() => undefined);
    await admin.end().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  };
  process.once('SIGINT', onSignal);
  const rows: PostgresBenchResult['rows'] = [];
  const json: Record<string, unknown> = {};
  try {
    o.say(`bench: PostgreSQL at ${redact(o.pgUrl)}, schemas baton_bench_${runId}_*`);

    for (const connections of [1, 2]) {
      const raw = storage(`raw${connections}`);
      await (await PostgresStore.open({ url: raw.url })).close();
      const r = await runRawPostgres(o.pgUrl, raw.schema, o.total, 200, connections);
      rows.push([
        `raw pg, 200 handoffs per transaction, ${connections} connection${connections > 1 ? 's' : ''}`,
        fmt(r.perSecond),
        '',
        '',
      ]);
      json[`raw_batched_${connections}_per_s`] = Math.round(r.perSecond);
      json[`raw_batched_${connections}_wal_bytes_per_handoff`] = r.walBytes;
    }
    o.say('bench: raw done');

    const inproc = storage('inproc');
    const plain = await runInProcess(project, inproc.url, o.total, o.inFlight, false);
    const plainTx = await transactions(admin, inproc.schema);
    rows.push(['Baton in process (1 worker)', fmt(plain.perSecond), fmt(plain.p50, 1), fmt(plain.p99, 1)]);
    json.in_process_per_s = Math.round(plain.perSecond);
    json.in_process_commits_per_tx = round2(plainTx.commitsPerTransaction);
    o.say('bench: in process done');

    const runs: WorkerRun[] = [];
    for (const n of o.workers) {
      const s = storage(`w${n}`);
      const r = await runWorkers(project, s.url, admin, s.schema, n, o, children);
      const tx = await transactions(admin, s.schema);
      runs.push(r);
      rows.push([
        `${n} worker process${n > 1 ? 'es' : ''} (intake here: ${fmt(r.intakePerSecond)}/s)`,
        fmt(r.perSecond),
        '',
        '',
      ]);
      json[`workers_${n}_per_s`] = Math.round(r.perSecond);
      json[`workers_${n}_intake_per_s`] = Math.round(r.intakePerSecond);
      json[`workers_${n}_commits_per_tx`] = round2(tx.commitsPerTransaction);
      json[`workers_${n}_commits_per_handoff`] = round2(tx.commits / o.total);
      json[`workers_${n}_db_per_handoff`] = r.db;
      if (r.cpu) json[`workers_${n}_cpu_us_per_handoff`] = r.cpu;
      o.say(`bench: ${n} worker${n > 1 ? 's' : ''} done`);
    }

    const rate = 1000;
    const lat = storage('latency');
    const latency = await runWorkerLatency(project, lat.url, admin, lat.schema, 2, rate, 10, o, children);
    rows.push([
      `latency, 2 worker processes, ${fmt(rate)}/s offered (${fmt(latency.handoffs)} handoffs)`,
      '',
      fmt(latency.p50, 1),
      fmt(latency.p99, 1),
    ]);
    json.p50_ms = round2(latency.p50);
    json.p99_ms = round2(latency.p99);
    o.say('bench: latency done');

    if (!o.skipHttp) {
      const h = storage('http');
      const http = await runHttp(project, h.url, o.total, o.inFlight, o.port);
      rows.push(['Baton over HTTP (baton serve)', fmt(http.perSecond), fmt(http.p50, 1), fmt(http.p99, 1)]);
      json.http_handoffs_per_s = Math.round(http.perSecond);
      o.say('bench: http done');
    } else json.http_handoffs_per_s = null;

    // The headline is the 2-worker figure (the target's shape), else the best one run.
    const head = runs.find((r) => r.workers === 2) ?? runs.toSorted((a, b) => b.perSecond - a.perSecond)[0];
    return {
      rows,
      json: {
        store: 'postgres',
        handoffs_per_s: head ? Math.round(head.perSecond) : Math.round(plain.perSecond),
        ...json,
      },
    };
  } finally {
    process.removeListener('SIGINT', onSignal);
    for (const c of children) c.kill('SIGKILL');
    await cleanup();
  }
}

/**
 * `workers` `baton worker` processes; this process sends `total` intakes, `inFlight` at a time,
 * as fast as the store takes them. Done when the store holds `total` handed-off handoffs.
 */
async function runWorkers(
  project: string,
  url: string,
  admin: pg.Client,
  schema: string,
  workers: number,
  o: PostgresBenchOptions,
  children: Set<ChildProcess>,
): Promise<WorkerRun> {
  const intake = await Baton.open({ dir: project, storage: url, worker: false });
  const procs = await startWorkers(project, url, workers, o.profileDir, children);
  try {
    const cpu0 = cpuSnapshot(procs);
    const db0 = await dbSnapshot(admin, schema);
    const t0 = performance.now();
    let next = 0;
    let intakeDone = 0;
    const lane = async (): Promise<void> => {
      while (next < o.total) {
        const i = next++;
        await intake.send('lead-to-owner', leadInput(i), ACTOR);
      }
    };
    const sending = Promise.all(Array.from({ length: o.inFlight }, lane)).then(
      () => (intakeDone = performance.now()),
    );
    const t1 = await waitHandedOff(admin, schema, o.total, procs, sending);
    await sending;
    const cpu = cpuShare(cpu0, cpuSnapshot(procs), o.total);
    const seconds = (t1 - t0) / 1000;
    await stopWorkers(procs, children);
    const db = dbShare(db0, await dbSnapshot(admin, schema, true), o.total);
    return {
      workers,
      handoffs: o.total,
      seconds,
      perSecond: o.total / seconds,
      intakePerSecond: o.total / ((intakeDone - t0) / 1000),
      p50: 0,
      p99: 0,
      db,
      ...(cpu ? { cpu } : {}),
    };
  } finally {
    await stopWorkers(procs, children);
    await intake.close();
  }
}

/**
 * Open loop: intakes arrive at `rate`/s for `seconds` and `workers` worker processes hand them
 * off. Latency is the handoff's created_at → handed_off_at, both stamped by the engine (so it
 * leaves out the final step's own commit, a few ms).
 */
async function runWorkerLatency(
  project: string,
  url: string,
  admin: pg.Client,
  schema: string,
  workers: number,
  rate: number,
  seconds: number,
  o: PostgresBenchOptions,
  children: Set<ChildProcess>,
): Promise<{ handoffs: number; p50: number; p99: number }> {
  const intake = await Baton.open({ dir: project, storage: url, worker: false });
  const procs = await startWorkers(project, url, workers, undefined, children);
  try {
    const total = rate * seconds;
    const t0 = performance.now();
    const pending: Array<Promise<unknown>> = [];
    for (let i = 0; i < total; i++) {
      const wait = t0 + (i * 1000) / rate - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      pending.push(intake.send('lead-to-owner', leadInput(1_000_000 + i), ACTOR));
    }
    const sent = Promise.all(pending);
    await waitHandedOff(admin, schema, total, procs, sent);
    await sent;
    const res = await admin.query(
      `SELECT handed_off_at - created_at AS ms FROM "${schema}".handoffs WHERE state = 'handed_off'`,
    );
    const ms = (res.rows as Array<{ ms: string }>).map((r) => Number(r.ms)).sort((a, b) => a - b);
    return { handoffs: ms.length, p50: percentile(ms, 0.5), p99: percentile(ms, 0.99) };
  } finally {
    await stopWorkers(procs, children);
    await intake.close();
  }
}

/** Polls the store every 50 ms; returns when `total` handoffs are handed off. */
async function waitHandedOff(
  admin: pg.Client,
  schema: string,
  total: number,
  procs: readonly ChildProcess[],
  sending: Promise<unknown>,
): Promise<number> {
  let failed: unknown;
  sending.catch((e: unknown) => (failed = e));
  let last = -1;
  let lastChange = performance.now();
  for (;;) {
    if (failed) throw failed;
    const dead = procs.find((p) => p.exitCode !== null || p.signalCode !== null);
    if (dead) throw new Error(`a worker exited (${dead.exitCode ?? dead.signalCode}):\n${output(dead)}`);
    const res = await admin.query(
      `SELECT COUNT(*)::int AS n FROM "${schema}".handoffs WHERE state = 'handed_off'`,
    );
    const n = (res.rows[0] as { n: number }).n;
    const now = performance.now();
    if (n >= total) return now;
    if (n !== last) [last, lastChange] = [n, now];
    else if (now - lastChange > 30_000)
      throw new Error(
        `no progress for 30 s at ${n} of ${total} handed off:\n${procs.map(output).join('\n')}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

const outputs = new WeakMap<ChildProcess, string[]>();
const output = (p: ChildProcess): string => (outputs.get(p) ?? []).join('').slice(-4000);

async function startWorkers(
  project: string,
  url: string,
  n: number,
  profileDir: string | undefined,
  children: Set<ChildProcess>,
): Promise<ChildProcess[]> {
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir)}`] : [];
  const procs = Array.from({ length: n }, () => {
    const p = spawn(
      process.execPath,
      [...profile, path.join(ROOT, 'bin/baton.js'), 'worker', '--project', project, '--storage', url],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.add(p);
    const out: string[] = [];
    outputs.set(p, out);
    p.stdout.on('data', (d: Buffer) => out.push(d.toString()));
    p.stderr.on('data', (d: Buffer) => out.push(d.toString()));
    return p;
  });
  // Ready once each prints its banner (its store is open and its worker started).
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve, reject) => {
          const check = () => {
            if (output(p).includes('Baton worker')) return resolve();
            if (p.exitCode !== null) return reject(new Error(`baton worker exited:\n${output(p)}`));
            setTimeout(check, 20);
          };
          check();
          setTimeout(() => reject(new Error(`baton worker did not start:\n${output(p)}`)), 20_000).unref();
        }),
    ),
  );
  return procs;
}

async function stopWorkers(procs: readonly ChildProcess[], children: Set<ChildProcess>): Promise<void> {
  await Promise.all(
    procs.map(async (p) => {
      if (p.exitCode === null && p.signalCode === null) {
        const exited = new Promise((r) => p.once('exit', r));
        p.kill('SIGTERM');
        await exited;
      }
      children.delete(p);
    }),
  );
}

/** Transactions that wrote commits, and commits per transaction: one checkpoint row each. */
async function transactions(admin: pg.Client, schema: string) {
  const res = await admin.query(
    `SELECT COUNT(*)::int AS tx, COALESCE(SUM(json_array_length(heads::json)), 0)::int AS commits
       FROM "${schema}".checkpoints`,
  );
  const r = res.rows[0] as { tx: number; commits: number };
  return { transactions: r.tx, commits: r.commits, commitsPerTransaction: r.commits / Math.max(1, r.tx) };
}

// What the server did per handoff. Row counters are this run's schema only (pg_stat_user_tables);
// transactions and WAL are database- and server-wide, so other load on the server shows there.
interface DbSnap {
  xact: number;
  wal: bigint;
  inserted: number;
  updated: number;
  hot: number;
  seqRead: number;
  idxFetched: number;
  handoffSeqScans: number;
}

interface DbShare {
  /** Transactions (explicit and single statements) per handoff. */
  transactions: number;
  walBytes: number;
  rowsInserted: number;
  rowsUpdated: number;
  /** Updates that touched no index (heap-only tuples). */
  hotUpdates: number;
  rowsReadBySeqScan: number;
  rowsFetchedByIndex: number;
  handoffsSeqScans: number;
}

async function dbSnapshot(admin: pg.Client, schema: string, settle = false): Promise<DbSnap> {
  // Backends report their counters at most once a second; exited ones report at exit.
  if (settle) await new Promise((r) => setTimeout(r, 1100));
  await admin.query('SELECT pg_stat_clear_snapshot()');
  const res = await admin.query(
    `SELECT (SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()) AS xact,
            pg_current_wal_lsn() - '0/0'::pg_lsn AS wal,
            SUM(n_tup_ins) AS inserted, SUM(n_tup_upd) AS updated, SUM(n_tup_hot_upd) AS hot,
            SUM(seq_tup_read) AS seq_read, SUM(COALESCE(idx_tup_fetch, 0)) AS idx_fetched,
            SUM(seq_scan) FILTER (WHERE relname = 'handoffs') AS handoff_seq_scans
       FROM pg_stat_user_tables WHERE schemaname = $1`,
    [schema],
  );
  const r = res.rows[0] as Record<string, string | null>;
  const n = (k: string) => Number(r[k] ?? 0);
  return {
    xact: n('xact'),
    wal: BigInt(String(r.wal).split('.')[0]!),
    inserted: n('inserted'),
    updated: n('updated'),
    hot: n('hot'),
    seqRead: n('seq_read'),
    idxFetched: n('idx_fetched'),
    handoffSeqScans: n('handoff_seq_scans'),
  };
}

function dbShare(a: DbSnap, b: DbSnap, handoffs: number): DbShare {
  const per = (k: Exclude<keyof DbSnap, 'wal'>) => round2((b[k] - a[k]) / handoffs);
  return {
    transactions: per('xact'),
    walBytes: Math.round(Number(b.wal - a.wal) / handoffs),
    rowsInserted: per('inserted'),
    rowsUpdated: per('updated'),
    hotUpdates: per('hot'),
    rowsReadBySeqScan: per('seqRead'),
    rowsFetchedByIndex: per('idxFetched'),
    handoffsSeqScans: b.handoffSeqScans - a.handoffSeqScans,
  };
}

// CPU accounting from /proc (Linux): this process, the worker processes, and the whole machine.
interface CpuSnap {
  self: number;
  workers: number;
  busy: number;
}

const TICK_US = 10_000; // USER_HZ is 100 on Linux

function cpuSnapshot(procs: readonly ChildProcess[]): CpuSnap | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
    const busy = fields.slice(0, 8).reduce((a, b, i) => (i === 3 || i === 4 ? a : a + b), 0) * TICK_US;
    let workers = 0;
    for (const p of procs) {
      const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      workers += (Number(rest[11]) + Number(rest[12])) * TICK_US;
    }
    const u = process.cpuUsage();
    return { self: u.user + u.system, workers, busy };
  } catch {
    return undefined;
  }
}

function cpuShare(a: CpuSnap | undefined, b: CpuSnap | undefined, handoffs: number): CpuShare | undefined {
  if (!a || !b) return undefined;
  const per = (us: number) => Math.round(us / handoffs);
  const workers = b.workers - a.workers;
  const intake = b.self - a.self;
  return { workers: per(workers), intake: per(intake), rest: per(b.busy - a.busy - workers - intake) };
}

const round2 = (n: number) => Number(n.toFixed(2));

function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}
