import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { defineRoute } from '../../src/server/route.ts';
import { startTemp, waitFor, type TempServer } from './helpers.ts';

let s: TempServer | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await s?.close();
  s = undefined;
});

const lead = (id: string) => ({ id, company: 'Acme', email: 'jo@acme.com' });

/** Reads server-sent events from a response until `until` holds for the collected frames. */
async function readEvents(res: Response, until: (frames: string[]) => boolean, timeoutMs = 5000) {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const frames: string[] = [];
  let buffer = '';
  const deadline = setTimeout(() => void reader.cancel(), timeoutMs);
  try {
    while (!until(frames)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      const parts = buffer.split('\n\n');
      buffer = parts.pop()!;
      frames.push(...parts);
    }
  } finally {
    clearTimeout(deadline);
  }
  return { frames, reader };
}

describe('operations endpoints', () => {
  it('/healthz and /readyz; readyz says 503 when the store does not answer', async () => {
    s = await startTemp();
    expect((await s.call('GET', '/healthz')).body).toEqual({ ok: true });
    expect((await s.call('GET', '/readyz')).body).toMatchObject({ ok: true, store: { kind: 'sqlite' } });
    vi.spyOn(s.baton.store, 'query').mockRejectedValue(new Error('database is locked'));
    const down = await s.call('GET', '/readyz');
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe('store_error');
    expect((await s.call('GET', '/healthz')).status).toBe(200);
  });

  it('/metrics is Prometheus text with SPEC §6 names', async () => {
    s = await startTemp();
    await s.send(lead('M1'));
    const r = await s.call('GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(r.text).toMatch(/baton_handoffs_total/);
  });

  it('/v1/metrics/summary answers and validates its query', async () => {
    s = await startTemp();
    await s.send(lead('M2'));
    const r = await s.call('GET', '/v1/metrics/summary?since=7d&flow=lead-to-owner');
    expect(r.status).toBe(200);
    expect(typeof r.body).toBe('object');
    const bad = await s.call('GET', '/v1/metrics/summary?since=last-week');
    expect(bad.status).toBe(422);
    expect(bad.body.error.details[0].path).toBe('since');
  });

  it('/v1/audit/verify and /v1/audit/export', async () => {
    s = await startTemp();
    const id = await s.send(lead('AU1'));
    await s.send(lead('AU2'));
    const v = await s.call('GET', '/v1/audit/verify');
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({ ok: true, checked: expect.any(Number), problems: [] });

    const all = await s.call('GET', '/v1/audit/export');
    expect(all.status).toBe(200);
    expect(all.headers.get('content-type')).toMatch(/application\/x-ndjson/);
    const lines = all.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(4);
    const one = await s.call('GET', `/v1/audit/export?handoff=${id}`);
    const mine = one.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(mine.length).toBeGreaterThan(1);
    expect(mine.length).toBeLessThan(lines.length);
    expect(JSON.stringify(mine)).toContain(id);
    const none = await s.call('GET', '/v1/audit/export?handoff=h_nope');
    expect(none.status).toBe(404);
  });

  it('lists flows and shows one; unknown flows are 404', async () => {
    s = await startTemp();
    const list = await s.call('GET', '/v1/flows');
    const ids = list.body.items.map((f: { id: string }) => f.id);
    expect(ids).toContain('lead-to-owner');
    expect(list.body.items.find((f: { id: string }) => f.id === 'lead-to-owner')).toMatchObject({
      name: 'Qualified lead to account owner',
      mode: 'auto',
      version: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const one = await s.call('GET', '/v1/flows/lead-to-owner');
    expect(one.body).toMatchObject({ id: 'lead-to-owner', file: 'flows/lead-to-owner.yaml' });
    expect(one.body.definition.input.required).toEqual(['id', 'company', 'email']);
    expect((await s.call('GET', '/v1/flows/nope')).status).toBe(404);
  });

  it("tasks and inbox: the caller's by default, or by owner", async () => {
    s = await startTemp();
    await s.send(lead('W1'));
    await s.send({ id: 'W2', company: 'Globex', email: 'a@globex.com' });
    const kim = await s.token('kim', 'viewer');
    const mine = await s.call('GET', '/v1/tasks', { token: kim });
    expect(mine.body.items.map((t: { title: string; assignee: string }) => [t.title, t.assignee])).toEqual([
      ['Call Acme', 'user:kim'],
    ]);
    const all = await s.call('GET', '/v1/tasks');
    expect(all.body.items).toHaveLength(2);
    expect((await s.call('GET', '/v1/tasks?owner=lee')).body.items[0].title).toBe('Call Globex');
    expect((await s.call('GET', '/v1/tasks?owner=user:lee&state=open')).body.items).toHaveLength(1);
    expect((await s.call('GET', '/v1/tasks?owner=lee&state=done')).body.items).toHaveLength(0);
    expect((await s.call('GET', '/v1/tasks?owner=team:smb-sales')).body.items).toHaveLength(0);
    const nobody = await s.call('GET', '/v1/tasks?owner=nobody');
    expect(nobody.status).toBe(422);
    expect(nobody.body.error.details[0].path).toBe('owner');

    const inbox = await s.call('GET', '/v1/inbox', { token: kim });
    expect(inbox.status).toBe(200);
    expect(inbox.body.items.length).toBeGreaterThan(0);
    expect(inbox.body.items.every((m: { owner: string }) => m.owner === 'user:kim')).toBe(true);

    // Times are ISO strings here as everywhere in the API, also for a queue's lists.
    const isoTime = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    for (const item of [...all.body.items, ...inbox.body.items]) expect(item.createdAt).toEqual(isoTime);
    const queue = await s.call('GET', '/v1/inbox?owner=team:sales-ops');
    for (const item of queue.body.items) expect(item.createdAt).toEqual(isoTime);
  });
});

describe('/v1/stream', () => {
  it('delivers a handoff event for a new handoff, with heartbeats, and lets go of the engine on disconnect', async () => {
    s = await startTemp({ heartbeatMs: 50 });
    const before = s.baton.engine.listenerCount('committed');
    const ctl = new AbortController();
    const res = await fetch(`${s.url}/v1/stream`, { signal: ctl.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(s.baton.engine.listenerCount('committed')).toBe(before + 1);

    const intake = await s.call('POST', '/v1/flows/lead-to-owner/handoffs', { body: lead('S1') });
    const id = intake.body.id as string;
    const { frames } = await readEvents(
      res,
      (f) =>
        f.some((x) => x.includes('"handed_off"') && x.includes(id)) && f.some((x) => x.startsWith(': ping')),
    );
    const events = frames
      .filter((f) => f.startsWith('event: handoff'))
      .map((f) =>
        JSON.parse(
          f
            .split('\n')
            .find((l) => l.startsWith('data: '))!
            .slice(6),
        ),
      );
    expect(events[0]).toEqual({
      id,
      flow: 'lead-to-owner',
      state: 'received',
      owner: 'agent:lead-to-owner',
      events: ['received'],
      updatedAt: expect.any(String),
    });
    expect(events.at(-1)).toMatchObject({ id, state: 'handed_off', owner: 'user:kim' });

    ctl.abort();
    await waitFor(async () => s!.baton.engine.listenerCount('committed') === before);
  });

  it('filters by flow and ends streams when the server closes', async () => {
    s = await startTemp();
    const res = await fetch(`${s.url}/v1/stream?flow=invoice-approval`);
    await s.call('POST', '/v1/flows/lead-to-owner/handoffs', { body: lead('S2') });
    await s.call('POST', '/v1/flows/invoice-approval/handoffs', {
      body: { id: 'I1', vendor: 'northwind', amount: 10, currency: 'USD', requestedBy: 'ops' },
    });
    const { frames } = await readEvents(res, (f) =>
      f.some((x) => x.includes('I1') || x.includes('invoice-approval')),
    );
    expect(frames.some((f) => f.includes('lead-to-owner'))).toBe(false);
    const started = Date.now();
    const closing = s.close();
    s = undefined;
    await closing; // the open stream and idle keep-alive connections do not hold the server
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('lets a request in flight finish when the server closes', async () => {
    s = await startTemp();
    await s.call('GET', '/healthz'); // leaves an idle keep-alive connection behind
    const list = s.baton.store.list.bind(s.baton.store);
    let arrived = false;
    vi.spyOn(s.baton.store, 'list').mockImplementation(async (f) => {
      arrived = true;
      await new Promise((r) => setTimeout(r, 300));
      return list(f);
    });
    const slow = fetch(`${s.url}/v1/handoffs`);
    await waitFor(async () => arrived);
    const started = Date.now();
    const closing = s.close();
    s = undefined;
    const res = await slow;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { items: unknown[] }).items).toEqual([]);
    await closing;
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe('/v1/openapi.json', () => {
  it('describes every route with its schemas and the bearer scheme', async () => {
    s = await startTemp();
    const doc = (await s.call('GET', '/v1/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    const ops = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, m]) =>
      Object.keys(m).map((method) => `${method.toUpperCase()} ${p}`),
    );
    const expected = [
      'POST /v1/flows/{flow}/handoffs',
      'GET /v1/handoffs',
      'GET /v1/board',
      'GET /v1/handoffs/{id}',
      'GET /v1/handoffs/{id}/commands',
      'GET /v1/flows/{flow}/handoffs/{key}',
      ...[
        'accept',
        'decline',
        'return',
        'reassign',
        'complete',
        'cancel',
        'rollback',
        'retry',
        'observed',
      ].map((c) => `POST /v1/handoffs/{id}/${c}`),
      'POST /v1/handoffs/{id}/actions/{action}/resolve',
      'GET /v1/approvals',
      'POST /v1/approvals/{id}',
      'GET /v1/tasks',
      'GET /v1/inbox',
      'GET /v1/inbox/waiting',
      'PATCH /v1/handoffs/{id}/input',
      'GET /v1/flows',
      'GET /v1/flows/{flow}',
      'POST /v1/flows/reload',
      'GET /v1/flows/{flow}/versions',
      'GET /v1/flows/{flow}/versions/{version}',
      'POST /v1/flows/{flow}/draft',
      'POST /v1/flows/{flow}/eval',
      'PUT /v1/flows/{flow}',
      'GET /v1/connectors',
      'POST /v1/connectors/check',
      'POST /v1/connectors/{name}/check',
      'GET /v1/intake/failed',
      'GET /v1/intake/failed/{id}',
      'POST /v1/intake/failed/{id}/replay',
      'POST /v1/intake/failed/{id}/drop',
      'GET /v1/intake/triggers',
      'GET /v1/intake/attachments/{ref}',
      'GET /v1/metrics/summary',
      'GET /v1/audit/verify',
      'GET /v1/events',
      'GET /v1/audit/export',
      'GET /v1/stream',
      'GET /v1/session',
      'POST /v1/session',
      'DELETE /v1/session',
      'GET /metrics',
      'GET /healthz',
      'GET /readyz',
      'GET /v1/openapi.json',
      'POST /v1/intake/slack/interactions',
      'POST /v1/intake/slack/events',
      'POST /v1/intake/{connector}/{flow}',
      'GET /v1/email/links/{token}',
      'HEAD /v1/email/links/{token}',
      'POST /v1/email/links/{token}',
    ];
    expect(ops.sort()).toEqual(expected.sort());
    // Every action's parameters, from the zod schema that validates them.
    expect(doc.components.schemas['action.builtin.create_task']).toMatchObject({
      type: 'object',
      required: ['title'],
      'x-baton-risk': 'low',
    });
    expect(doc.components.schemas['source.builtin.lookup']).toMatchObject({ 'x-baton-trust': 'trusted' });

    const decline = doc.paths['/v1/handoffs/{id}/decline'].post;
    expect(decline.requestBody.required).toBe(true);
    expect(decline.requestBody.content['application/json'].schema).toMatchObject({
      type: 'object',
      required: ['reason'],
      properties: { reason: { enum: expect.arrayContaining(['missing_info', 'wrong_owner']) } },
    });
    expect(decline.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(decline.responses)).toEqual(
      expect.arrayContaining(['200', '401', '403', '404', '409', '422']),
    );
    expect(doc.paths['/v1/handoffs'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['flow', 'owner', 'state', 'breached', 'since', 'limit', 'cursor']),
    );
    expect(doc.paths['/v1/handoffs/{id}'].get.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Handoff',
    });
    expect(
      doc.paths['/v1/flows/{flow}/handoffs/{key}'].get.responses['200'].content['application/json'].schema,
    ).toEqual({ $ref: '#/components/schemas/Handoff' });
    expect(
      doc.paths['/v1/flows/{flow}/handoffs'].post.parameters.find(
        (p: { name: string }) => p.name === 'trigger',
      ),
    ).toMatchObject({ in: 'query', schema: { enum: ['webhook', 'manual'] } });
    expect(doc.components.schemas.Handoff.required).toEqual(
      expect.arrayContaining([
        'id',
        'flow',
        'flowVersion',
        'state',
        'owner',
        'input',
        'actions',
        'ledger',
        'events',
      ]),
    );
    expect(doc.paths['/healthz'].get.security).toEqual([]);
    expect(doc.paths['/v1/flows/{flow}/handoffs'].post.responses['202']).toBeDefined();
  });
});

describe('extra routes', () => {
  it('get the same auth, validation, errors and OpenAPI entry as the built-in ones', async () => {
    const echo = defineRoute({
      method: 'POST',
      url: '/v1/echo/:word',
      access: 'operate',
      tag: 'ops',
      summary: 'Echo',
      params: z.object({ word: z.string() }),
      body: z.strictObject({ times: z.int().min(1).max(3) }),
      response: { description: 'Echoed', schema: z.object({ text: z.string() }) },
      async handler({ params, body }) {
        return { text: params.word.repeat(body.times) };
      },
    });
    s = await startTemp({ routes: [echo] });
    expect((await s.call('POST', '/v1/echo/hi', { body: { times: 2 } })).status).toBe(401);
    const viewer = await s.token('kim', 'viewer');
    expect((await s.call('POST', '/v1/echo/hi', { body: { times: 2 }, token: viewer })).status).toBe(403);
    const ops = await s.token('ops', 'operator');
    const bad = await s.call('POST', '/v1/echo/hi', { body: { times: 9 }, token: ops });
    expect(bad.body.error.details).toEqual([{ path: 'times', message: 'must be at most 3' }]);
    expect((await s.call('POST', '/v1/echo/hi', { body: { times: 2 }, token: ops })).body).toEqual({
      text: 'hihi',
    });
    const doc = (await s.call('GET', '/v1/openapi.json')).body;
    expect(doc.paths['/v1/echo/{word}'].post.parameters[0]).toMatchObject({
      name: 'word',
      in: 'path',
      required: true,
    });
    // GET routes answer HEAD too.
    const head = await fetch(`${s.url}/healthz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });
});
