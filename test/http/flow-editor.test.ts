// The flow editor's routes on a real server over a copy of the example project: version
// history, drafts (changes through the YAML document, checks with line and field, the diff),
// eval runs on the live flow and on a draft, and saves (atomic, reloaded, refused when stale).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTemp, type TempServer } from './helpers.ts';

/** A flow written in TypeScript (plain data in an ES module): not editable from the console. */
const TS_FLOW = `export default {
  id: 'typed', name: 'Typed', boundary: { from: 'team:ops', to: 'team:support' },
  input: { type: 'object' }, decide: { otherwise: { owner: 'user:kim' } },
};
`;

let s: TempServer;
let admin: string;
let viewer: string;
const file = () => path.join(s.baton.project.dir, 'flows/lead-to-owner.yaml');
const RAISE = [
  { op: 'set', path: ['decide', 'rules', 1, 'when'], value: 'has(input.amount) && input.amount > 50000.0' },
];

beforeAll(async () => {
  s = await startTemp({}, { 'flows/typed.flow.mjs': TS_FLOW });
  admin = await s.token('dana', 'admin');
  viewer = await s.token('kim', 'viewer');
}, 30_000);
afterAll(async () => s?.close());

describe('flow versions', () => {
  it('lists the published versions with the handoffs that pinned each; the live one marked', async () => {
    await s.send({ id: 'V1', company: 'Acme', email: 'jo@acme.com' });
    const r = await s.call('GET', '/v1/flows/lead-to-owner/versions', { token: viewer });
    expect(r.status).toBe(200);
    const live = s.baton.flowDetail('lead-to-owner').version;
    expect(r.body.items).toEqual([
      {
        version: live,
        name: 'Qualified lead to account owner',
        publishedAt: expect.any(String),
        handoffs: 1,
        live: true,
      },
    ]);
    expect((await s.call('GET', '/v1/flows/nope/versions', { token: viewer })).status).toBe(404);
  });
});

describe('drafts', () => {
  it('applies changes to the file, checks them and gives the diff; nothing is written', async () => {
    const before = readFileSync(file(), 'utf8');
    const r = await s.call('POST', '/v1/flows/lead-to-owner/draft', {
      token: admin,
      body: { changes: RAISE },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      flow: 'lead-to-owner',
      baseVersion: s.baton.flowDetail('lead-to-owner').version,
      valid: true,
      changed: true,
      errors: [],
    });
    expect(r.body.version).not.toBe(r.body.baseVersion);
    expect(r.body.yaml).toContain("when: 'has(input.amount) && input.amount > 50000.0'");
    expect(r.body.yaml).toContain('# CEL rules, first match wins.');
    expect(r.body.diff).toContain("-      when: 'has(input.amount) && input.amount > 5000.0'\n");
    expect(r.body.diff).toContain("+      when: 'has(input.amount) && input.amount > 50000.0'\n");
    expect(r.body.diff.split('\n').filter((l: string) => /^[-+][^-+]/.test(l))).toHaveLength(2);
    expect(readFileSync(file(), 'utf8')).toBe(before);
  });

  it('reports what keeps a draft from loading with line and field, as the server loads files', async () => {
    // The compiler's checks (CEL), then the project's (owners it declares), as a reload runs them.
    for (const [change, field, text] of [
      [
        { op: 'set', path: ['decide', 'rules', 0, 'when'], value: 'input.amount >' },
        'decide.rules[0].when',
        'when:',
      ],
      [
        { op: 'set', path: ['decide', 'rules', 2, 'owner'], value: 'user:nobody' },
        'decide.rules[2].owner',
        'owner: user:nobody',
      ],
    ] as const) {
      const r = await s.call('POST', '/v1/flows/lead-to-owner/draft', {
        token: admin,
        body: { changes: [change] },
      });
      expect(r.status).toBe(200);
      expect(r.body.valid).toBe(false);
      expect(r.body.version).toBeUndefined();
      expect(r.body.errors).toHaveLength(1);
      const [e] = r.body.errors;
      expect(e).toMatchObject({ file: 'flows/lead-to-owner.yaml', path: field });
      expect(r.body.yaml.split('\n')[e.line - 1]).toContain(text);
    }
  });

  it('takes a whole text too; refuses changes that do not fit the file, naming them', async () => {
    const yaml = readFileSync(file(), 'utf8').replace('mode: auto', 'mode: shadow');
    const whole = await s.call('POST', '/v1/flows/lead-to-owner/draft', { token: admin, body: { yaml } });
    expect(whole.body).toMatchObject({ valid: true, changed: true, yaml });
    const bad = await s.call('POST', '/v1/flows/lead-to-owner/draft', {
      token: admin,
      body: { changes: [{ op: 'delete', path: ['decide', 'rules', 9] }] },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details[0]).toMatchObject({ path: 'changes[0].path' });
    const both = await s.call('POST', '/v1/flows/lead-to-owner/draft', {
      token: admin,
      body: { yaml, changes: [] },
    });
    expect(both.status).toBe(422);
    expect(both.body.error.details[0].path).toBe('changes');
    const typed = await s.call('POST', '/v1/flows/typed/draft', {
      token: admin,
      body: { yaml: 'id: typed' },
    });
    expect(typed.status).toBe(409);
    expect(typed.body.error.message).toMatch(/TypeScript.*flows\/typed\.flow\.mjs/);
    expect(
      (await s.call('POST', '/v1/flows/lead-to-owner/draft', { token: viewer, body: { yaml } })).status,
    ).toBe(403);
  });
});

describe('eval runs', () => {
  it('runs the cases on the live flow for any reader, and on a draft for an admin', async () => {
    const live = await s.call('POST', '/v1/flows/lead-to-owner/eval', { token: viewer, body: {} });
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ flow: 'lead-to-owner', draft: false, failed: 0 });
    expect(live.body.passed).toBeGreaterThan(3);

    const draft = await s.call('POST', '/v1/flows/lead-to-owner/draft', {
      token: admin,
      body: { changes: RAISE },
    });
    const run = await s.call('POST', '/v1/flows/lead-to-owner/eval', {
      token: admin,
      body: { yaml: draft.body.yaml },
    });
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ draft: true, version: draft.body.version });
    const failed = run.body.cases.filter((c: { passed: boolean }) => !c.passed);
    expect(failed.map((c: { name: string }) => c.name)).toContain(
      'enterprise deal up to 50k needs no approval',
    );
    expect(failed[0].failures.join('\n')).toMatch(/enterprise/);
    expect(run.body.failed).toBe(failed.length);

    expect(
      (
        await s.call('POST', '/v1/flows/lead-to-owner/eval', {
          token: viewer,
          body: { yaml: draft.body.yaml },
        })
      ).status,
    ).toBe(403);
    const broken = await s.call('POST', '/v1/flows/lead-to-owner/eval', {
      token: admin,
      body: { yaml: draft.body.yaml.replace('owner: team:smb-sales', 'owner: nobody') },
    });
    expect(broken.status).toBe(422);
    expect(broken.body.error.details[0]).toMatchObject({
      path: 'decide.rules[2].owner',
      line: expect.any(Number),
    });
    // Cases that name a rule the draft renamed no longer fit it: said with the cases file's line.
    const renamed = await s.call('POST', '/v1/flows/lead-to-owner/eval', {
      token: admin,
      body: { yaml: draft.body.yaml.replace('- name: enterprise', '- name: big deals') },
    });
    expect(renamed.status).toBe(422);
    expect(renamed.body.error.details[0]).toMatchObject({
      file: 'flows/lead-to-owner.cases.yaml',
      line: expect.any(Number),
    });
    expect(renamed.text).not.toContain(s.baton.project.dir);
    const none = await s.call('POST', '/v1/flows/typed/eval', { token: viewer, body: {} });
    expect(none.body).toMatchObject({ cases: [], passed: 0, failed: 0 });
  }, 60_000);
});

describe('saving', () => {
  it('writes the draft with its comments, makes it the live version and lists it', async () => {
    const before = readFileSync(file(), 'utf8');
    const base = s.baton.flowDetail('lead-to-owner').version;
    const draft = await s.call('POST', '/v1/flows/lead-to-owner/draft', {
      token: admin,
      body: { changes: RAISE },
    });
    const stale = await s.call('PUT', '/v1/flows/lead-to-owner', {
      token: admin,
      body: { yaml: draft.body.yaml, expectedVersion: 'not-the-live-one' },
    });
    expect(stale.status).toBe(409);
    expect(
      (
        await s.call('PUT', '/v1/flows/lead-to-owner', {
          token: viewer,
          body: { yaml: draft.body.yaml, expectedVersion: base },
        })
      ).status,
    ).toBe(403);

    const saved = await s.call('PUT', '/v1/flows/lead-to-owner', {
      token: admin,
      body: { yaml: draft.body.yaml, expectedVersion: base },
    });
    expect(saved.status).toBe(200);
    expect(saved.body).toEqual({
      id: 'lead-to-owner',
      version: draft.body.version,
      previous: base,
      file: 'flows/lead-to-owner.yaml',
      change: 'updated',
    });
    const after = readFileSync(file(), 'utf8');
    expect(after).toBe(draft.body.yaml);
    expect(comments(after)).toEqual(comments(before));
    expect(s.baton.flowDetail('lead-to-owner').version).toBe(draft.body.version);
    const versions = await s.call('GET', '/v1/flows/lead-to-owner/versions', { token: viewer });
    expect(versions.body.items.map((v: { version: string; live: boolean }) => [v.version, v.live])).toEqual([
      [draft.body.version, true],
      [base, false],
    ]);
    // Each version keeps its text: the one before shows what changed from it to the live one.
    const old = await s.call('GET', `/v1/flows/lead-to-owner/versions/${base}`, { token: viewer });
    expect(old.status).toBe(200);
    expect(old.body).toMatchObject({ version: base, live: false, source: before });
    expect(old.body.diff).toContain("+      when: 'has(input.amount) && input.amount > 50000.0'\n");
    const now = await s.call('GET', `/v1/flows/lead-to-owner/versions/${draft.body.version}`, {
      token: viewer,
    });
    expect(now.body).toMatchObject({ live: true, diff: '' });
    const other = s.baton.flowDetail('invoice-approval').version;
    expect((await s.call('GET', `/v1/flows/lead-to-owner/versions/${other}`, { token: viewer })).status).toBe(
      404,
    );
    // A new handoff pins the saved version: a 20k lead is no longer enterprise.
    const id = await s.send({ id: 'V2', company: 'Mid', email: 'a@mid.io', amount: 20000 });
    expect((await s.call('GET', `/v1/handoffs/${id}`, { token: viewer })).body.owner).toBe('team:smb-sales');
  });

  it('refuses a draft that does not load (422 with line and field) and a file changed on disk (409)', async () => {
    const live = s.baton.flowDetail('lead-to-owner').version;
    const text = readFileSync(file(), 'utf8');
    const bad = await s.call('PUT', '/v1/flows/lead-to-owner', {
      token: admin,
      body: { yaml: text.replace('mode: auto', 'mode: sometimes'), expectedVersion: live },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details[0]).toMatchObject({ path: 'mode', line: expect.any(Number) });
    expect(readFileSync(file(), 'utf8')).toBe(text);

    writeFileSync(file(), `${text}# edited by hand\n`);
    const changed = await s.call('PUT', '/v1/flows/lead-to-owner', {
      token: admin,
      body: { yaml: text.replace('mode: auto', 'mode: shadow'), expectedVersion: live },
    });
    expect(changed.status).toBe(409);
    expect(changed.body.error.message).toMatch(/changed on disk/);
    writeFileSync(file(), text);

    const typed = await s.call('PUT', '/v1/flows/typed', {
      token: admin,
      body: { yaml: 'id: typed', expectedVersion: 'x' },
    });
    expect(typed.status).toBe(409);
  });
});

const comments = (text: string) => text.split('\n').filter((l) => /(^|\s)#/.test(l));
