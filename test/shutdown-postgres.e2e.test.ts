// Graceful shutdown on PostgreSQL: a worker stopped with SIGTERM while its external calls hang
// waits the grace period, then releases its leases, so another worker resumes those handoffs at
// once instead of after the lease (30 s here) expires. The idempotent call is retried with the
// same key; the non-idempotent one becomes an unknown outcome for a person, never a blind retry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempProject, ALLOW_LOOPBACK } from './support/project.ts';
import { freePort, kill, startServe, startWorker, type ServerProcess } from './support/server.ts';
import { dropSchema, freshSchema, schemaUrl } from '../src/store/postgres/testing.ts';
import { sinkFlow } from './support/sink-flow.ts';

const schema = freshSchema();
const env = { BATON_DATABASE_URL: schemaUrl(schema) };
const project = tempProject();
const running: ServerProcess[] = [];

/** The first call of each key hangs (until the test ends); later calls answer at once. */
const calls = new Map<string, number>();
const hanging: ServerResponse[] = [];
let sink: Server;
let sinkUrl = '';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  sink = createServer((req, res) => {
    const key = String(req.headers['idempotency-key'] ?? '');
    req.resume();
    req.on('end', () => {
      const n = (calls.get(key) ?? 0) + 1;
      calls.set(key, n);
      if (n === 1) hanging.push(res);
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const a = sink.address();
  sinkUrl = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  writeFileSync(path.join(project.dir, 'flows', 'term-put.yaml'), sinkFlow('term-put', 'http.put', sinkUrl));
  writeFileSync(
    path.join(project.dir, 'flows', 'term-post.yaml'),
    sinkFlow('term-post', 'http.post', sinkUrl),
  );
  appendFileSync(
    path.join(project.dir, 'baton.yaml'),
    '\nworker: { leaseMs: 30000, pollMs: 100, shutdownGraceMs: 500 }\n' + ALLOW_LOOPBACK,
  );
});

afterAll(async () => {
  for (const p of running) await kill(p);
  for (const res of hanging) res.destroy();
  await new Promise((r) => sink.close(r));
  project.cleanup();
  await dropSchema(schema);
});

interface View {
  state: string;
  actions: Array<{ id: string; state: string }>;
}

async function view(url: string, id: string): Promise<View> {
  return (await (await fetch(`${url}/v1/handoffs/${id}`)).json()) as View;
}

describe('graceful shutdown of a worker on PostgreSQL', () => {
  it('SIGTERM releases the leases of hanging calls after the grace period; another worker resumes at once', async () => {
    const api = await startServe(project.dir, await freePort(), env, ['--no-worker']);
    running.push(api);
    const first = await startWorker(project.dir, env);
    running.push(first);

    const ids: Record<string, string> = {};
    for (const flow of ['term-put', 'term-post']) {
      const r = await fetch(`${api.url}/v1/flows/${flow}/handoffs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: `${flow}-1` }),
      });
      expect(r.status).toBe(202);
      ids[flow] = ((await r.json()) as { id: string }).id;
    }
    // Both external calls are in flight on the first worker (and hang there).
    for (let i = 0; hanging.length < 2; i++) {
      if (i > 200) throw new Error(`the calls did not arrive:\n${first.output()}`);
      await sleep(50);
    }

    // A second worker starts while the first is alive: it must not take the held handoffs.
    const second = await startWorker(project.dir, env);
    running.push(second);
    await sleep(500);
    expect(calls.size).toBe(2);
    expect([...calls.values()]).toEqual([1, 1]);

    const stoppedAt = Date.now();
    await kill(first, 'SIGTERM');
    const stopMs = Date.now() - stoppedAt;
    expect(first.child.exitCode, first.output()).toBe(0);
    expect(first.output()).toContain('stopped');
    expect(stopMs).toBeLessThan(10_000);

    // The second worker resumes both within seconds, far below the 30 s lease.
    let put: View | undefined;
    let post: View | undefined;
    for (let i = 0; i < 200; i++) {
      put = await view(api.url, ids['term-put']!);
      post = await view(api.url, ids['term-post']!);
      const postEffect = post.actions.find((a) => a.id === 'effect');
      if (put.state === 'handed_off' && postEffect?.state === 'outcome_unknown') break;
      await sleep(50);
    }
    const resumedMs = Date.now() - stoppedAt;
    expect(put?.state, second.output()).toBe('handed_off');
    expect(put?.actions.find((a) => a.id === 'effect')?.state).toBe('succeeded');
    // The idempotent PUT was repeated with the same key; the POST was not sent again.
    expect(calls.get(`${ids['term-put']}:effect`)).toBe(2);
    expect(post?.actions.find((a) => a.id === 'effect')?.state).toBe('outcome_unknown');
    expect(calls.get(`${ids['term-post']}:effect`)).toBe(1);
    expect(resumedMs).toBeLessThan(15_000);

    const audit = (await (await fetch(`${api.url}/v1/audit/verify`)).json()) as { ok: boolean };
    expect(audit.ok).toBe(true);
  }, 60_000);
});
