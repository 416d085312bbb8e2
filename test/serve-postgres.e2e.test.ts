// `baton serve` on PostgreSQL (the machine's server, a fresh schema): intake, hand-off,
// readiness, and a restart that keeps everything.
import { afterAll, describe, expect, it } from 'vitest';
import { tempProject } from './support/project.ts';
import { freePort, kill, startServe } from './support/server.ts';
import { dropSchema, freshSchema, schemaUrl } from '../src/store/postgres/testing.ts';

const schema = freshSchema();
const project = tempProject();
afterAll(async () => {
  project.cleanup();
  await dropSchema(schema);
});

describe('baton serve on PostgreSQL', () => {
  it('takes a handoff, hands it off, and still has it after a restart', async () => {
    const env = { BATON_DATABASE_URL: schemaUrl(schema) };
    let server = await startServe(project.dir, await freePort(), env);
    expect(server.output()).toContain(`schema=${schema}`);
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
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
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
