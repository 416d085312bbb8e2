// Engine behaviour through the service on SQLite: the lease fence, retries with backoff,
// project-defined actions, rollback, shadow and suggest modes, approval rejections.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { Work } from '../src/engine/work.ts';
import { openTemp, intakeActor, asUser, ROOT, loopbackAllowed } from './support/project.ts';

let env: Awaited<ReturnType<typeof openTemp>> | undefined;
let sink: Server | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
  sink?.close();
  sink = undefined;
});

/** A local HTTP endpoint that answers with the given statuses in turn and records keys. */
async function endpoint(statuses: number[]): Promise<{ url: string; keys: string[] }> {
  const keys: string[] = [];
  let i = 0;
  sink = createServer((req, res) => {
    keys.push(String(req.headers['idempotency-key']));
    req.resume();
    res.writeHead(statuses[Math.min(i++, statuses.length - 1)]!, { 'content-type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((r) => sink!.listen(0, '127.0.0.1', r));
  const a = sink.address();
  return { url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`, keys };
}

const simpleFlow = (actions: string, extra = '') => `id: simple
name: Simple
boundary: { from: team:ops, to: team:finance }
input: { type: object, required: [id], properties: { id: { type: string, pattern: "^[A-Za-z0-9-]+$" }, amount: { type: number }, by: { type: string, pattern: "^[a-z]+$" } } }
idempotencyKey: input.id
decide:
  otherwise: { owner: team:finance }
actions:
${actions}
${extra}
`;

async function settle(ms = 3000): Promise<void> {
  const { baton } = env!;
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await baton.engine.drain();
    const busy = await baton.store.query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM handoffs WHERE state IN ('received','building_context','deciding','acting')",
    );
    if (busy[0]!.n === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('engine behaviour', () => {
  it('fences a stale worker: a commit from an earlier attempt changes nothing', async () => {
    env = await openTemp({}, { worker: false });
    const { baton } = env;
    const { id } = await baton.send(
      'lead-to-owner',
      { id: 'F1', company: 'Acme', email: 'a@acme.com' },
      intakeActor,
    );
    const stale = (await baton.store.get(id))!;
    // Another worker claims it (its lease is due right away).
    const claimed = await baton.store.claim({
      worker: 'other',
      now: Date.now() + 60_000,
      leaseMs: 30_000,
      limit: 10,
    });
    expect(claimed.map((s) => s.handoff.id)).toContain(id);
    const w = new Work(stale);
    w.to('cancelled');
    w.event('cancelled', { kind: 'engine', id: 'stale' });
    expect(await baton.store.commit([w.toCommit()])).toEqual([{ ok: false, reason: 'conflict' }]);
    const now = (await baton.store.get(id))!;
    expect(now.handoff.state).toBe('received');
    expect(now.handoff.attempt).toBe(claimed.find((s) => s.handoff.id === id)!.handoff.attempt);
    expect((await baton.store.events(id)).map((e) => e.type)).toEqual(['received']);
  });

  it('retries a failing call with backoff and the same idempotency key, then succeeds', async () => {
    const ep = await endpoint([503, 500, 200]);
    env = await openTemp(
      {
        ...loopbackAllowed(),
        'flows/simple.yaml': simpleFlow(
          `  - { id: post, use: http.put, with: { url: "${ep.url}/x", body: { id: "\${input.id}" } }, retry: { attempts: 4, backoff: 20ms } }`,
        ),
      },
      { worker: true, pollMs: 20 },
    );
    const { baton } = env;
    baton.engine.start();
    const { id } = await baton.send('simple', { id: 'R1' }, intakeActor);
    await settle();
    const h = await baton.get(id);
    expect(h.state).toBe('handed_off');
    expect(ep.keys).toEqual([`${id}:post`, `${id}:post`, `${id}:post`]);
    const types = h.events.map((e) => e.type);
    expect(types.filter((t) => t === 'action_retry_scheduled')).toHaveLength(2);
    expect(h.actions[0]).toMatchObject({ state: 'succeeded', calls: 3 });
  });

  it('fails to a person after the last attempt, and `retry` runs it again', async () => {
    const ep = await endpoint([500, 500, 200]);
    env = await openTemp(
      {
        ...loopbackAllowed(),
        'flows/simple.yaml': simpleFlow(
          `  - { id: post, use: http.put, with: { url: "${ep.url}/x" }, retry: { attempts: 2, backoff: 10ms } }`,
        ),
      },
      { worker: true, pollMs: 20 },
    );
    const { baton } = env;
    baton.engine.start();
    const { id } = await baton.send('simple', { id: 'R2' }, intakeActor);
    await settle();
    let h = await baton.get(id);
    expect(h.state).toBe('failed');
    expect(h.owner).toBe('team:finance');
    expect(h.actions[0]).toMatchObject({ state: 'failed' });
    h = await baton.retry(id, asUser('ari', 'operator'));
    await settle();
    h = await baton.get(id);
    expect(h.state).toBe('handed_off');
    expect(ep.keys).toHaveLength(3);
  });

  it('does not retry a 4xx answer', async () => {
    const ep = await endpoint([400]);
    env = await openTemp(
      {
        ...loopbackAllowed(),
        'flows/simple.yaml': simpleFlow(`  - { id: post, use: http.post, with: { url: "${ep.url}/x" } }`),
      },
      { worker: true, pollMs: 20 },
    );
    env.baton.engine.start();
    const { id } = await env.baton.send('simple', { id: 'R3' }, intakeActor);
    await settle();
    expect((await env.baton.get(id)).state).toBe('failed');
    expect(ep.keys).toHaveLength(1);
  });

  it('runs a project-defined action from actions/*.ts and rolls the handoff back newest first', async () => {
    const define = `${ROOT}/src/actions/define.ts`;
    env = await openTemp(
      {
        'actions/ledger.ts': `import { z } from 'zod';
import { defineAction } from '${define}';
export const calls: string[] = [];
(globalThis as any).__ledgerCalls = calls;
export const book = defineAction({
  id: 'acme.book', risk: 'medium', idempotent: true,
  params: z.object({ ref: z.string() }),
  async run(p, ctx) { calls.push('book ' + p.ref + ' ' + ctx.idempotencyKey); return { booked: p.ref }; },
  async rollback(p, result, ctx) { calls.push('unbook ' + (result as { booked: string }).booked + ' ' + ctx.idempotencyKey); },
});
`,
        'flows/simple.yaml': simpleFlow(`  - { id: book, use: acme.book, with: { ref: "\${input.id}" } }
  - { id: task, use: builtin.create_task, with: { title: "Check \${input.id}" } }`),
      },
      { worker: false },
    );
    const { baton } = env;
    const { id } = await baton.send('simple', { id: 'B1' }, intakeActor);
    await settle();
    expect((await baton.get(id)).state).toBe('handed_off');
    const calls = (globalThis as { __ledgerCalls?: string[] }).__ledgerCalls!;
    expect(calls).toEqual([`book B1 ${id}:book`]);
    expect((await baton.tasks()).map((t) => t.state)).toEqual(['open']);
    const h = await baton.rollback(id, asUser('ari', 'operator'));
    expect(h.state).toBe('rolled_back');
    expect(h.actions.map((a) => [a.id, a.state])).toEqual([
      ['book', 'rolled_back'],
      ['task', 'rolled_back'],
    ]);
    expect(calls).toEqual([`book B1 ${id}:book`, `unbook B1 ${id}:book:rollback`]);
    expect((await baton.tasks()).map((t) => t.state)).toEqual(['cancelled']);
    const types = h.events.map((e) => e.type);
    expect(types.indexOf('action_rolled_back')).toBeLessThan(types.lastIndexOf('action_rolled_back'));
    expect(h.events.filter((e) => e.type === 'action_rolled_back').map((e) => e.data.action)).toEqual([
      'task',
      'book',
    ]);
  });

  it('stores what a project action or context source returns as plain JSON, or says why it cannot', async () => {
    const define = `${ROOT}/src/actions/define.ts`;
    env = await openTemp(
      {
        'actions/odd.ts': `import { z } from 'zod';
import { defineAction, defineContextSource } from '${define}';
export const odd = defineAction({
  id: 'acme.odd', risk: 'low', idempotent: true, params: z.object({}),
  async run() { const a: any = { when: new Date(0) }; a.self = a; return a; },
});
export const when = defineAction({
  id: 'acme.when', risk: 'low', idempotent: true, params: z.object({}),
  async run() { return { when: new Date(0), skip: undefined, n: 10n > 1n }; },
});
export const big = defineContextSource({
  id: 'acme.big', params: z.object({}),
  async fetch() { return { id: 10n }; },
});
`,
        'flows/simple.yaml': simpleFlow(`  - { id: odd, use: acme.odd, with: {} }
  - { id: when, use: acme.when, with: {} }`).replace(
          'decide:',
          'context:\n  - { name: big, use: acme.big, with: {} }\ndecide:',
        ),
      },
      { worker: false },
    );
    const { baton } = env;
    const { id } = await baton.send('simple', { id: 'J1' }, intakeActor);
    await settle();
    const h = await baton.get(id);
    expect(h.state).toBe('handed_off');
    const odd = h.actions.find((a) => a.id === 'odd')!;
    expect(odd.state).toBe('succeeded');
    expect(odd.result).toEqual({ unstorable: expect.stringMatching(/^not JSON: .*circular/i) });
    expect(h.actions.find((a) => a.id === 'when')!.result).toEqual({
      when: '1970-01-01T00:00:00.000Z',
      n: true,
    });
    expect(h.context).toEqual({ big: { unstorable: expect.stringMatching(/BigInt/) } });
  });

  it('a step that cannot be written goes to a person with the error instead of looping', async () => {
    env = await openTemp(
      { 'flows/simple.yaml': simpleFlow(`  - { id: task, use: builtin.create_task, with: { title: "x" } }`) },
      { worker: false },
    );
    const { baton } = env;
    const commit = baton.store.commit.bind(baton.store);
    let refused = 0;
    baton.store.commit = async (batch) => {
      if (batch.some((c) => c.handoff.state === 'handed_off')) {
        refused++;
        throw new TypeError('this value cannot be written');
      }
      return commit(batch);
    };
    const { id } = await baton.send('simple', { id: 'P1' }, intakeActor);
    await settle();
    const h = await baton.get(id);
    expect(h.state).toBe('failed');
    expect(h.events.at(-1)?.data).toMatchObject({
      error: expect.stringContaining('this value cannot be written'),
    });
    expect(refused).toBe(1);
  });

  it('shadow mode decides, acts on nothing, and measures agreement with what people did', async () => {
    env = await openTemp(
      {
        'flows/shadow.yaml': simpleFlow(`  - { id: task, use: builtin.create_task, with: { title: "x" } }`)
          .replace('id: simple', 'id: shadow')
          .replace('decide:', 'mode: shadow\ndecide:'),
      },
      { worker: false },
    );
    const { baton } = env;
    const a = await baton.send('shadow', { id: 'S1' }, intakeActor);
    const b = await baton.send('shadow', { id: 'S2' }, intakeActor);
    await settle();
    const h = await baton.get(a.id);
    expect(h.state).toBe('completed');
    expect(h.actions).toEqual([]);
    expect(await baton.tasks()).toEqual([]);
    expect(h.events.find((e) => e.type === 'shadow_recorded')?.data).toEqual({
      wouldOwn: 'team:finance',
      wouldRun: ['task'],
    });
    expect((await baton.observed(a.id, asUser('ari'), 'team:finance')).observed).toMatchObject({
      agreed: true,
    });
    expect((await baton.observed(b.id, asUser('ari'), 'user:dana')).observed).toMatchObject({
      agreed: false,
    });
    await expect(baton.observed(a.id, asUser('ari'), 'nobody')).rejects.toMatchObject({
      code: 'validation_failed',
    });
  });

  it('suggest mode waits for a person; a correction is an override and counts as rework', async () => {
    env = await openTemp(
      {
        'flows/suggest.yaml': simpleFlow(`  - { id: task, use: builtin.create_task, with: { title: "x" } }`)
          .replace('id: simple', 'id: suggest')
          .replace('decide:', 'mode: suggest\ndecide:'),
      },
      { worker: false },
    );
    const { baton } = env;
    const a = await baton.send('suggest', { id: 'G1' }, intakeActor);
    const b = await baton.send('suggest', { id: 'G2' }, intakeActor);
    await settle();
    expect((await baton.get(a.id)).state).toBe('awaiting_approval');
    expect(await baton.tasks()).toEqual([]);
    const [pa] = await baton.approvals('pending', a.id);
    expect(pa).toMatchObject({ kind: 'decision', levels: [{ approvers: ['team:finance'] }] });
    // Confirmed as is.
    await baton.decide(a.id, asUser('ari'), 'approve');
    await settle();
    expect(await baton.get(a.id)).toMatchObject({ state: 'handed_off', owner: 'team:finance', rework: 0 });
    // Corrected to another owner.
    await baton.decide(b.id, asUser('ari'), 'approve', 'belongs to Dana', { owner: 'user:dana' });
    await settle();
    const hb = await baton.get(b.id);
    expect(hb).toMatchObject({ state: 'handed_off', owner: 'user:dana', rework: 1 });
    expect(hb.decision).toMatchObject({ by: 'human', owner: 'user:dana' });
    expect(hb.events.some((e) => e.type === 'overridden')).toBe(true);
  });

  it('onReject skip goes on without the action; stop escalates and skips the rest; decided approvals answer 409', async () => {
    const gate = (onReject: string) =>
      `    approval: { levels: [ { approvers: [role:finance-manager] } ], onReject: ${onReject} }`;
    env = await openTemp(
      {
        'flows/simple.yaml': simpleFlow(`  - id: first
    use: builtin.create_task
    with: { title: "first" }
${gate('skip')}
  - { id: second, use: builtin.create_task, with: { title: "second" } }`),
        'flows/strict.yaml': simpleFlow(`  - id: first
    use: builtin.create_task
    with: { title: "first" }
${gate('stop')}
  - { id: second, use: builtin.create_task, with: { title: "second" } }`).replace('id: simple', 'id: strict'),
      },
      { worker: false },
    );
    const { baton } = env;
    const a = await baton.send('simple', { id: 'J1' }, intakeActor);
    const b = await baton.send('strict', { id: 'J2' }, intakeActor);
    await settle();
    await baton.decide(a.id, asUser('ari'), 'reject', 'not needed');
    await baton.decide(b.id, asUser('ari'), 'reject', 'no');
    await settle();
    const ha = await baton.get(a.id);
    expect(ha.state).toBe('handed_off');
    expect(ha.actions.map((x) => [x.id, x.state])).toEqual([
      ['first', 'skipped'],
      ['second', 'succeeded'],
    ]);
    const hb = await baton.get(b.id);
    expect(hb.state).toBe('escalated');
    expect(hb.actions.map((x) => [x.id, x.state])).toEqual([
      ['first', 'skipped'],
      ['second', 'skipped'],
    ]);
    const [apr] = await baton.approvals(undefined, a.id);
    await expect(baton.decide(apr!.id, asUser('ari'), 'approve')).rejects.toMatchObject({
      code: 'already_decided',
    });
  });

  it('cancel voids pending approvals and skips pending actions', async () => {
    env = await openTemp({}, { worker: false });
    const { baton } = env;
    const { id } = await baton.send(
      'lead-to-owner',
      { id: 'C1', company: 'Big', email: 'x@big.io', amount: 90000 },
      intakeActor,
    );
    await settle();
    expect((await baton.get(id)).state).toBe('awaiting_approval');
    const h = await baton.cancel(id, asUser('ops', 'operator'), 'duplicate lead');
    expect(h.state).toBe('cancelled');
    expect(h.approvals.map((a) => a.state)).toEqual(['voided']);
    expect(h.actions.filter((a) => a.state === 'pending' || a.state === 'awaiting_approval')).toEqual([]);
    await expect(baton.accept(id, asUser('kim'))).rejects.toMatchObject({ code: 'invalid_transition' });
  });

  it('pins the flow version a handoff started under', async () => {
    env = await openTemp({}, { worker: false });
    const { baton } = env;
    const { id } = await baton.send(
      'lead-to-owner',
      { id: 'V1', company: 'Acme', email: 'a@acme.com' },
      intakeActor,
    );
    const version = (await baton.get(id)).flowVersion;
    expect(version).toBe(baton.engine.flow('lead-to-owner').version);
    expect(await baton.store.flowVersion(version)).toMatchObject({ flowId: 'lead-to-owner' });
  });
});

describe('intake guards', () => {
  it('refuses non-finite numbers and absurd nesting with 422-class errors, not a crash', async () => {
    env = await openTemp({}, { worker: false });
    let deep: unknown = 'x';
    for (let i = 0; i < 20_000; i++) deep = { d: deep };
    await expect(
      env.baton.send(
        'lead-to-owner',
        { id: 'D1', company: 'Acme', email: 'a@acme.com', amount: Infinity },
        intakeActor,
      ),
    ).rejects.toMatchObject({ code: 'validation_failed', details: [{ path: 'input.amount' }] });
    await expect(
      env.baton.send(
        'lead-to-owner',
        { id: 'D2', company: 'Acme', email: 'a@acme.com', extra: deep },
        intakeActor,
      ),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    expect((await env.baton.list({})).items).toEqual([]);
  });
});

describe('flow versions', () => {
  it('a handoff keeps running under the version it started with after the flow file changes', async () => {
    const { readFileSync, rmSync, writeFileSync } = await import('node:fs');
    const path = await import('node:path');
    const v1 = simpleFlow(
      `  - { id: task, use: builtin.create_task, with: { title: "v1 task" } }`,
      'handoff: { acceptWithin: 15m }',
    );
    env = await openTemp({ 'flows/simple.yaml': v1 }, { worker: false });
    const dir = env.dir;
    const storage = `sqlite:${path.join(dir, 'data', 'baton.db')}`;
    const { id } = await env.baton.send('simple', { id: 'V1' }, intakeActor);
    await settle();
    const before = await env.baton.get(id);
    await env.baton.close();
    // The flow changes: another title and an escalation ladder.
    const file = path.join(dir, 'flows', 'simple.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8')
        .replace('v1 task', 'v2 task')
        .replace(
          'handoff: { acceptWithin: 15m }',
          'handoff: { acceptWithin: 15m, escalate: [ { after: 1m, to: team:ops } ] }',
        ),
    );
    const { Baton } = await import('../src/service/baton.ts');
    const reopened = await Baton.open({ dir, storage });
    env = {
      baton: reopened,
      dir,
      close: async () => {
        await reopened.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
    expect(reopened.engine.flow('simple').version).not.toBe(before.flowVersion);
    const pinned = await reopened.runtime.flowFor(before.flowVersion);
    expect(pinned.def.actions[0]!.with).toEqual({ title: 'v1 task' });
    expect(pinned.ladder).toEqual([]);
    // A new handoff uses the new version; the old one keeps its own.
    const second = await reopened.send('simple', { id: 'V2' }, intakeActor);
    await reopened.engine.drain();
    expect((await reopened.get(second.id)).flowVersion).toBe(reopened.engine.flow('simple').version);
    expect((await reopened.get(id)).flowVersion).toBe(before.flowVersion);
    expect((await reopened.tasks()).map((t) => t.title).sort()).toEqual(['v1 task', 'v2 task']);
  });
});

describe('restart after a crash', () => {
  it('releases the leases of a dead process on this host at start, so its handoffs resume at once', async () => {
    const { hostname } = await import('node:os');
    env = await openTemp({}, { worker: false });
    const { id } = await env.baton.send(
      'lead-to-owner',
      { id: 'L-dead', company: 'Acme', email: 'a@acme.com' },
      intakeActor,
    );
    // A worker that died mid-step (pid 2^22 + 1 does not exist) holds a 10-minute lease.
    const [s] = await env.baton.store.claim({
      worker: `${hostname()}:4194305:x`,
      now: Date.now() + 1,
      leaseMs: 600_000,
      limit: 1,
    });
    expect(s?.handoff.id).toBe(id);
    await env.baton.close();
    const { Baton } = await import('../src/service/baton.ts');
    const path = await import('node:path');
    const reopened = await Baton.open({
      dir: env.dir,
      storage: `sqlite:${path.join(env.dir, 'data', 'baton.db')}`,
      worker: true,
      pollMs: 20,
    });
    const dir = env.dir;
    const { rmSync } = await import('node:fs');
    env = {
      baton: reopened,
      dir,
      close: async () => {
        await reopened.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
    reopened.engine.start();
    const until = Date.now() + 3000;
    while ((await reopened.get(id)).state !== 'handed_off' && Date.now() < until)
      await new Promise((r) => setTimeout(r, 20));
    expect((await reopened.get(id)).state).toBe('handed_off');
  });
});
