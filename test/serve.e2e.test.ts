// `baton serve` as users run it: the engine on its own thread behind the HTTP server. Live
// stream, metrics and commands cross the thread boundary; errors keep their codes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempProject } from './support/project.ts';
import { freePort, kill, startServe, type ServerProcess } from './support/server.ts';

let project: ReturnType<typeof tempProject>;
let server: ServerProcess;
let token = '';

beforeAll(async () => {
  project = tempProject();
  server = await startServe(project.dir, await freePort());
  token = /bt_[A-Za-z0-9_-]{20,}/.exec(server.output())?.[0] ?? '';
});
afterAll(async () => {
  await kill(server, 'SIGTERM');
  project.cleanup();
});

const post = (path: string, body: unknown, auth = true) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });

describe('baton serve (engine thread)', () => {
  it('prints a first-run admin token that works', () => {
    expect(token).toMatch(/^bt_/);
  });

  it('streams commits, serves metrics, and carries error codes across the thread boundary', async () => {
    const controller = new AbortController();
    const stream = await fetch(`${server.url}/v1/stream`, { signal: controller.signal });
    const reader = stream.body!.getReader();
    const r = await post(
      '/v1/flows/lead-to-owner/handoffs',
      { id: 'S-1', company: 'Acme', email: 'a@acme.com' },
      false,
    );
    expect(r.status).toBe(202);
    const { id } = (await r.json()) as { id: string };
    let text = '';
    while (!text.includes('"state":"handed_off"'))
      text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    expect(text).toContain(id);

    const view = (await (await fetch(`${server.url}/v1/handoffs/${id}`)).json()) as {
      state: string;
      owner: string;
    };
    expect(view).toMatchObject({ state: 'handed_off', owner: 'user:kim' });

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/baton_handoffs_total\{flow="lead-to-owner",state="handed_off"\} 1/);

    // dana (the first-run admin) does not act for user:kim: forbidden, not a 500.
    const accept = await post(`/v1/handoffs/${id}/accept`, {});
    expect(accept.status).toBe(403);
    expect(((await accept.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    const missing = await post('/v1/handoffs/h_nope/complete', {});
    expect(missing.status).toBe(404);
    const cancel = await post(`/v1/handoffs/${id}/cancel`, { comment: 'test' });
    expect(cancel.status).toBe(200);
    const again = await post(`/v1/handoffs/${id}/cancel`, {});
    expect(again.status).toBe(409);
  });
});
