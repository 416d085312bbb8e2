// `baton serve` on PostgreSQL (the machine's server, a fresh schema): intake, hand-off,
// readiness, and a restart that keeps everything.
import { afterAll, describe, expect, it } from 'vitest';
import { tempProject } from './support/project.ts';
import { freePort, kill, startServe, startWorker } from './support/server.ts';
import { dropSchema, freshSchema, schemaUrl } from '../src/store/postgres/testing.ts';

const schema = freshSchema();
const project = tempProject();
afterAll(async () => {
  project.cleanup();
  await dropSchema(schema);
});

describe('baton serve on PostgreSQL', () => {
  it('takes a handoff, hands it off, and still has it after a restart', async () => {
    // A password in the URL (the local server trusts loopback and ignores it) is never printed.
    const env = { BATON_DATABASE_URL: schemaUrl(schema).replace('//postgres@', '//postgres:hunter2@') };
    let server = await startServe(project.dir, await freePort(), env);
    expect(server.output()).toContain(`schema=${schema}`);
    expect(server.output()).toContain('postgres:***@');
    expect(server.output()).not.toContain('hunter2');
    const r = await fetch(`${server.url}/v1/flows/lead-to-owner/handoffs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'PG-1', company: 'Acme', email: 'jo@acme.com' }),
    });
    expect(r.status).toBe(202);
    const { id } = (await r.json()) as { id: string };
    let state = '';
    for (let i = 0; i < 100 && state !== 'handed_off'; i++) {
      state = ((await (await fetch(`${server.url}/v1/handoffs/${id}`)).json()) as { state: string }).state;
      if (state !== 'handed_off') await new Promise((res) => setTimeout(res, 50));
    }
    expect(state).toBe('handed_off');
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ok: true, store: { kind: 'postgres' } });
    await kill(server);
    server = await startServe(project.dir, await freePort(), env);
    const view = (await (await fetch(`${server.url}/v1/handoffs/${id}`)).json()) as {
      state: string;
      owner: string;
    };
    expect(view).toMatchObject({ state: 'handed_off', owner: 'user:kim' });
    const audit = (await (await fetch(`${server.url}/v1/audit/verify`)).json()) as { ok: boolean };
    expect(audit.ok).toBe(true);
    await kill(server, 'SIGTERM');
  });
});

describe('scale-out on PostgreSQL: an API process and separate workers', () => {
  it('serve --no-worker takes intake; two `baton worker` processes hand every handoff off once', async () => {
    const { appendFileSync } = await import('node:fs');
    const path = await import('node:path');
    const own = freshSchema();
    const p = tempProject();
    appendFileSync(
      path.join(p.dir, 'baton.yaml'),
      '\nworker: { pollMs: 50, leaseMs: 5000, batchSize: 50 }\n',
    );
    const env = { BATON_DATABASE_URL: schemaUrl(own) };
    const api = await startServe(p.dir, await freePort(), env, ['--no-worker']);
    const workers = await Promise.all([1, 2].map(() => startWorker(p.dir, env)));
    try {
      const ids = await Promise.all(
        Array.from({ length: 30 }, async (_, i) => {
          const r = await fetch(`${api.url}/v1/flows/lead-to-owner/handoffs`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ id: `W-${i}`, company: `Co ${i}`, email: `b${i}@acme.com` }),
          });
          return ((await r.json()) as { id: string }).id;
        }),
      );
      let items: Array<{ state: string }> = [];
      for (let i = 0; i < 200; i++) {
        items = (
          (await (await fetch(`${api.url}/v1/handoffs?limit=100`)).json()) as {
            items: Array<{ state: string }>;
          }
        ).items;
        if (items.length === 30 && items.every((h) => h.state === 'handed_off')) break;
        await new Promise((res) => setTimeout(res, 50));
      }
      expect(items.filter((h) => h.state === 'handed_off')).toHaveLength(ids.length);
      const tasks = (await (await fetch(`${api.url}/v1/tasks?owner=user:kim`)).json()) as {
        items: unknown[];
      };
      expect(tasks.items).toHaveLength(30);
      const audit = (await (await fetch(`${api.url}/v1/audit/verify`)).json()) as { ok: boolean };
      expect(audit.ok).toBe(true);
    } finally {
      await Promise.all(workers.map((w) => kill(w, 'SIGTERM')));
      await kill(api, 'SIGTERM');
      p.cleanup();
      await dropSchema(own);
    }
  });
});

describe('wake-ups on PostgreSQL', () => {
  it('a worker that polls once a minute still picks up new work at once (LISTEN/NOTIFY)', async () => {
    const { appendFileSync } = await import('node:fs');
    const path = await import('node:path');
    const { Baton } = await import('../src/service/baton.ts');
    const own = freshSchema();
    const p = tempProject();
    appendFileSync(path.join(p.dir, 'baton.yaml'), '\nworker: { pollMs: 60000 }\n');
    const url = schemaUrl(own);
    const api = await Baton.open({ dir: p.dir, storage: url, worker: false });
    const worker = await Baton.open({ dir: p.dir, storage: url, worker: true });
    try {
      worker.engine.start();
      await new Promise((r) => setTimeout(r, 300)); // listening, and its first poll done
      const t0 = Date.now();
      const { id } = await api.send(
        'lead-to-owner',
        { id: 'N-1', company: 'Acme', email: 'a@acme.com' },
        { kind: 'system', id: 'test' },
      );
      let state = '';
      while (state !== 'handed_off' && Date.now() - t0 < 10_000) {
        state = (await api.get(id)).state;
        if (state !== 'handed_off') await new Promise((r) => setTimeout(r, 20));
      }
      expect(state).toBe('handed_off');
      expect(Date.now() - t0).toBeLessThan(5_000);
    } finally {
      await worker.close();
      await api.close();
      p.cleanup();
      await dropSchema(own);
    }
  });
});
