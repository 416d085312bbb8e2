// Chaos test on PostgreSQL (scale-out): an API process (`serve --no-worker`) and three `baton
// worker` processes share one schema and take 2,000 handoffs whose flows call an HTTP sink.
// Meanwhile one worker is SIGKILLed (and restarted) and another is SIGSTOPped for longer than its
// lease, then resumed. Nothing acknowledged may be lost, no effect may repeat, the audit chain
// must verify, and the paused worker's late commits must be refused (fencing).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { ROOT, tempProject, ALLOW_LOOPBACK } from './support/project.ts';
import { freePort, kill, startServe, startWorker, type ServerProcess } from './support/server.ts';
import { dropSchema, freshSchema, schemaUrl, TEST_URL } from '../src/store/postgres/testing.ts';
import { Baton } from '../src/service/baton.ts';
import { sinkFlow } from './support/sink-flow.ts';

const TOTAL = 2000;
const LANES = 16;
const LEASE_MS = 2000;

/** Records every call's Idempotency-Key and when it arrived; answers after a short delay. */
class Sink {
  readonly calls = new Map<string, number[]>();
  server!: Server;
  url = '';
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const key = String(req.headers['idempotency-key'] ?? '');
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const at = this.calls.get(key) ?? [];
        at.push(Date.now());
        this.calls.set(key, at);
        // Latency keeps calls in flight, so a paused worker is caught with outstanding calls;
        // `slow-` ids answer after the caller's timeout (1 s with a 2 s lease).
        const delay = body.includes('"slow-') ? 1500 : 50 + Math.random() * 150;
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"ok":true}');
        }, delay);
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    const a = this.server.address();
    this.url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  }
  count(key: string): number {
    return this.calls.get(key)?.length ?? 0;
  }
}

const sink = new Sink();
const schema = freshSchema();
const env = { BATON_DATABASE_URL: schemaUrl(schema) };
const project = tempProject();
const workers: ServerProcess[] = [];
let api: ServerProcess | undefined;
let db: pg.Pool | undefined;

async function worker(): Promise<ServerProcess> {
  const w = await startWorker(project.dir, env);
  workers.push(w);
  return w;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL'); // also ends a stopped process
  await exited;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  await sink.start();
  writeFileSync(
    path.join(project.dir, 'flows', 'chaos-put.yaml'),
    sinkFlow('chaos-put', 'http.put', sink.url),
  );
  writeFileSync(
    path.join(project.dir, 'flows', 'chaos-post.yaml'),
    sinkFlow('chaos-post', 'http.post', sink.url),
  );
  appendFileSync(
    path.join(project.dir, 'baton.yaml'),
    `\nworker: { leaseMs: ${LEASE_MS}, pollMs: 100, batchSize: 200 }\n${ALLOW_LOOPBACK}`,
  );
  db = new pg.Pool({ connectionString: TEST_URL, max: 2, options: `-c search_path=${schema}` });
});

afterAll(async () => {
  for (const w of workers) await stopProcess(w.child);
  if (api) await kill(api);
  await db?.end().catch(() => undefined);
  await new Promise((r) => sink.server.close(r));
  project.cleanup();
  await dropSchema(schema);
});

/** An operator token, made with the CLI on the project's PostgreSQL store. */
function operatorToken(): string {
  const out = execFileSync(
    process.execPath,
    [
      path.join(ROOT, 'bin/baton.js'),
      'token',
      'create',
      '--user',
      'ops',
      '--access',
      'operator',
      '--json',
      '--project',
      project.dir,
    ],
    { encoding: 'utf8', env: { ...process.env, ...env } },
  );
  return (JSON.parse(out) as { token: string }).token;
}

async function send(url: string, flowId: string, id: string): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(`${url}/v1/flows/${flowId}/handoffs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id }),
      });
      const text = await r.text();
      if (r.status === 202 || r.status === 200) return (JSON.parse(text) as { id: string }).id;
      if (i >= 5) throw new Error(`intake ${id}: ${r.status} ${text}`);
    } catch (e) {
      if (i >= 5) throw e;
    }
    await sleep(100);
  }
}

async function sql<T>(text: string, values: unknown[] = []): Promise<T[]> {
  return (await db!.query(text, values)).rows as T[];
}

/** The external calls a worker had started (committed as running) but not yet recorded. */
interface Outstanding {
  handoff: string;
  action: string;
  attempt: number;
  call: number;
  key: string;
}

describe('chaos test on PostgreSQL', () => {
  it('an API and three workers survive SIGKILL and SIGSTOP past the lease: no loss, no repeat, stale commits refused', async () => {
    const t0 = Date.now();
    await db!.query('SELECT 1');
    api = await startServe(project.dir, await freePort(), env, ['--no-worker']);
    const token = operatorToken();
    const [victim, sleeper] = await Promise.all([worker(), worker(), worker()]);

    const acknowledged = new Map<string, { flow: string; key: string }>();
    const keys = Array.from({ length: TOTAL }, (_, i) => ({
      flow: i % 2 ? 'chaos-post' : 'chaos-put',
      key: `c${i}`,
    }));
    let next = 0;
    const lanes = Promise.all(
      Array.from({ length: LANES }, async () => {
        while (next < keys.length) {
          const k = keys[next++]!;
          acknowledged.set(await send(api!.url, k.flow, k.key), k);
        }
      }),
    );
    // The lanes advance `next` and fill `acknowledged` concurrently.
    const until = async (n: number) => {
      for (;;) {
        if (acknowledged.size >= n || next >= TOTAL) return;
        await sleep(10);
      }
    };

    // SIGKILL one worker mid-load; a restarted one releases its leases (the pid is gone).
    await until(TOTAL * 0.2);
    await stopProcess(victim.child);
    await sleep(300);
    await worker();

    // SIGSTOP another mid-load, for longer than its lease.
    await until(TOTAL * 0.4);
    const sleeperPid = sleeper.child.pid!;
    // Its committed, unrecorded calls; rows its open transactions still lock are left out
    // (those commits are legitimate: nobody else can claim a locked row).
    const outstandingOf = async (): Promise<Outstanding[]> => {
      const client = await db!.connect();
      try {
        await client.query('BEGIN');
        const rows = (
          await client.query(
            `SELECT h.id AS handoff, a.id AS action, h.attempt, a.calls AS call, a.idem_key AS key
               FROM handoffs h JOIN actions a ON a.handoff_id = h.id
              WHERE h.lease_owner LIKE $1 AND a.state = 'running' AND a.started_attempt = h.attempt
              FOR SHARE OF h SKIP LOCKED`,
            [`%:${sleeperPid}:%`],
          )
        ).rows as Outstanding[];
        await client.query('ROLLBACK');
        return rows;
      } finally {
        client.release();
      }
    };
    let stoppedAt = 0;
    let ackAtStop = 0;
    let outstanding: Outstanding[] = [];
    // Caught with nothing outstanding (rare): resume it briefly and pause it again.
    for (let i = 0; i < 5 && outstanding.length === 0; i++) {
      if (i > 0) {
        sleeper.child.kill('SIGCONT');
        await sleep(200);
      }
      sleeper.child.kill('SIGSTOP');
      stoppedAt = Date.now();
      ackAtStop = acknowledged.size;
      await sleep(300); // statements it sent before stopping have reached the server
      outstanding = await outstandingOf();
    }
    expect(outstanding.length, 'the paused worker had calls in flight').toBeGreaterThan(0);
    // Stay stopped until its lease has expired and every one of those handoffs was claimed by
    // another worker (a new attempt): whatever it commits afterwards is stale.
    for (;;) {
      const taken = await sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM handoffs WHERE id = ANY($1) AND attempt > ($2::int[])[array_position($1::text[], id::text)]`,
        [outstanding.map((o) => o.handoff), outstanding.map((o) => o.attempt)],
      );
      if (taken[0]!.n === outstanding.length && Date.now() - stoppedAt > LEASE_MS + 500) break;
      expect(Date.now() - stoppedAt, 'another worker takes over the paused one').toBeLessThan(20_000);
      await sleep(100);
    }
    const resumedAt = Date.now();
    const ackedWhilePaused = acknowledged.size - ackAtStop;
    sleeper.child.kill('SIGCONT');
    await lanes;
    expect(acknowledged.size).toBe(TOTAL);

    // Settle: every handoff handed off or failed, nothing leased, and the resumed worker's
    // outstanding calls over (they time out after leaseMs - 1 s).
    const settle = async () => {
      for (let i = 0; i < 300; i++) {
        const [row] = await sql<{ busy: number }>(
          `SELECT count(*)::int AS busy FROM handoffs
            WHERE state NOT IN ('handed_off', 'failed') OR lease_owner IS NOT NULL`,
        );
        if (row!.busy === 0 && Date.now() - resumedAt > LEASE_MS) return;
        await sleep(100);
      }
      throw new Error('the handoffs did not settle in 30 s');
    };
    await settle();

    // Non-idempotent calls whose outcome is unknown wait for a person, who checks the sink.
    const failed = await sql<{ id: string }>(`SELECT id FROM handoffs WHERE state = 'failed'`);
    for (const { id } of failed) {
      const view = (await (await fetch(`${api.url}/v1/handoffs/${id}`)).json()) as {
        flow: string;
        actions: Array<{ id: string; state: string; idempotencyKey: string }>;
      };
      const effect = view.actions.find((a) => a.id === 'effect')!;
      expect(view.flow, `${id} failed`).toBe('chaos-post');
      expect(effect.state).toBe('outcome_unknown');
      const r = await fetch(`${api.url}/v1/handoffs/${id}/actions/effect/resolve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ outcome: sink.count(effect.idempotencyKey) > 0 ? 'succeeded' : 'retry' }),
      });
      expect(r.status, await r.text()).toBe(200);
    }
    await settle();

    // Every acknowledged handoff is handed off (read through the API, page by page).
    const states = new Map<string, string>();
    let cursor: string | undefined;
    do {
      const page = (await (
        await fetch(`${api.url}/v1/handoffs?limit=1000${cursor ? `&cursor=${cursor}` : ''}`)
      ).json()) as { items: Array<{ id: string; state: string }>; nextCursor?: string };
      for (const h of page.items) states.set(h.id, h.state);
      cursor = page.nextCursor;
    } while (cursor);
    expect(states.size).toBe(TOTAL);
    for (const id of acknowledged.keys()) expect(states.get(id), `handoff ${id}`).toBe('handed_off');

    const events = await sql<{ handoff_id: string; seq: number; at: number; type: string; data: string }>(
      'SELECT handoff_id, seq, at, type, data FROM events ORDER BY handoff_id, seq',
    );
    const byHandoff = new Map<string, Array<{ at: number; type: string; data: Record<string, unknown> }>>();
    for (const e of events) {
      const list = byHandoff.get(e.handoff_id) ?? [];
      list.push({ at: e.at, type: e.type, data: JSON.parse(e.data) as Record<string, unknown> });
      byHandoff.set(e.handoff_id, list);
    }
    // What happened to one handoff, for failure messages (times in ms from the start).
    const history = (id: string): string =>
      [
        `paused ${stoppedAt - t0}..${resumedAt - t0}`,
        `sink ${(sink.calls.get(`${id}:effect`) ?? []).map((at) => at - t0).join(',')}`,
        ...(byHandoff.get(id) ?? []).map(
          (e) => `${e.at - t0} ${e.type} ${JSON.stringify({ ...e.data, idempotencyKey: undefined })}`,
        ),
      ].join('\n');

    let repeatedAfterTimeout = 0;
    // Effects: a POST reached the sink exactly once, a PUT at least once, only with its key.
    for (const [id, k] of acknowledged) {
      const calls = sink.count(`${id}:effect`);
      if (k.flow === 'chaos-post') {
        // A POST that timed out is never sent again (its outcome is unknown; a person resolves it),
        // so no retry after a timeout may appear in the record.
        const timedOut = (byHandoff.get(id) ?? []).filter(
          (e) =>
            e.type === 'action_retry_scheduled' &&
            e.data.action === 'effect' &&
            /timeout/i.test(String(e.data.error)),
        ).length;
        repeatedAfterTimeout += timedOut;
        expect(calls, `POST for ${id}\n${history(id)}`).toBe(1 + timedOut);
      } else expect(calls, `PUT for ${id}\n${history(id)}`).toBeGreaterThanOrEqual(1);
    }
    expect(sink.calls.size).toBe(TOTAL);

    // Fencing. The record holds one completion per action: one action_succeeded, or a person's
    // `resolved: succeeded` instead, never both and never two.
    let unknown = 0;
    for (const [id, list] of byHandoff) {
      for (const action of ['effect', 'task']) {
        const done = list.filter(
          (e) =>
            e.data.action === action &&
            (e.type === 'action_succeeded' || (e.type === 'resolved' && e.data.outcome === 'succeeded')),
        );
        expect(done.length, `completions of ${id}/${action}`).toBe(1);
      }
      unknown += list.filter((e) => e.type === 'action_outcome_unknown').length;
    }
    // The paused worker's outstanding calls: after SIGCONT it went on to record their outcomes
    // under its old attempt. Those commits must have been refused: in each chain the next event
    // about the action after its stale `action_started` is the new attempt's
    // `action_outcome_unknown`, not an outcome the paused worker reported.
    let reachedSink = 0;
    for (const o of outstanding) {
      const list = byHandoff.get(o.handoff)!;
      const started = list.findIndex(
        (e) => e.type === 'action_started' && e.data.action === o.action && e.data.call === o.call,
      );
      expect(started, `${o.handoff}: the stale call's action_started`).toBeGreaterThanOrEqual(0);
      const after = list.slice(started + 1).find((e) => e.data.action === o.action);
      expect(after?.type, `${o.handoff}/${o.action} after the paused worker's call`).toBe(
        'action_outcome_unknown',
      );
      if ((sink.calls.get(o.key) ?? []).some((at) => at < resumedAt)) reachedSink++;
    }
    expect(unknown).toBeGreaterThanOrEqual(outstanding.length);
    // Some of those calls were answered while it was paused: it had outcomes to report late.
    expect(reachedSink).toBeGreaterThan(0);

    const audit = (await (await fetch(`${api.url}/v1/audit/verify`)).json()) as {
      ok: boolean;
      checked: number;
      problems: unknown[];
    };
    expect(audit.problems).toEqual([]);
    expect(audit.ok).toBe(true);
    expect(audit.checked).toBeGreaterThan(TOTAL * 4);

    // The paused worker survived its pause and the restarted one is still running.
    for (const w of workers.slice(1)) expect(w.child.exitCode, w.output()).toBeNull();
    const repeated = [...sink.calls.values()].filter((c) => c.length > 1).length;
    console.log(
      `chaos test: ${TOTAL} handoffs in ${Date.now() - t0} ms; paused worker had ${outstanding.length} calls outstanding ` +
        `(${reachedSink} reached the sink before it resumed), ${ackedWhilePaused} intakes while paused, ${unknown} unknown outcomes, ${failed.length} resolved by a person, ` +
        `${repeated} keys called more than once (${repeatedAfterTimeout} POSTs repeated after a timeout)`,
    );
  }, 120_000);

  // A non-idempotent call that timed out after it was sent has an unknown outcome: it waits for a
  // person instead of being sent again.
  it('a POST that times out after it was sent is not repeated', async () => {
    const own = freshSchema();
    const baton = await Baton.open({ dir: project.dir, storage: schemaUrl(own), worker: false });
    try {
      const { id } = await baton.send('chaos-post', { id: 'slow-1' }, { kind: 'system', id: 'test' });
      for (let i = 0; i < 30 && !['handed_off', 'failed'].includes((await baton.get(id)).state); i++) {
        await baton.engine.drain();
        await sleep(100);
      }
      expect(sink.count(`${id}:effect`)).toBe(1);
    } finally {
      await baton.close();
      await dropSchema(own);
    }
  }, 30_000);
});
