// POST /v1/flows/reload on the in-process server: flows added, updated, removed, and files
// that do not load (bad YAML, an unknown action) keep what they held.
import { readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXAMPLES } from '../support/project.ts';
import { startTemp, type TempServer } from './helpers.ts';

let s: TempServer | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const lead = readFileSync(path.join(EXAMPLES, 'flows/lead-to-owner.yaml'), 'utf8');

describe('POST /v1/flows/reload', () => {
  it('adds, updates and removes flows; a file that does not load keeps its flow', async () => {
    s = await startTemp();
    const admin = await s.token('dana', 'admin');
    const dir = path.join(s.baton.project.dir, 'flows');
    const reload = () => s!.call('POST', '/v1/flows/reload', { token: admin });
    const v1 = (await s.call('GET', '/v1/flows/lead-to-owner')).body.version;

    const quiet = await reload();
    expect(quiet.status).toBe(200);
    expect(quiet.body.errors).toEqual([]);
    expect(new Set(quiet.body.flows.map((f: { change: string }) => f.change))).toEqual(
      new Set(['unchanged']),
    );

    writeFileSync(path.join(dir, 'desk.yaml'), lead.replace('id: lead-to-owner', 'id: desk'));
    writeFileSync(
      path.join(dir, 'lead-to-owner.yaml'),
      lead.replace('guardrails: { maxActions: 5 }', 'guardrails: { maxActions: 4 }'),
    );
    rmSync(path.join(dir, 'support-escalation.yaml'));
    writeFileSync(
      path.join(dir, 'invoice-approval.yaml'),
      readFileSync(path.join(dir, 'invoice-approval.yaml'), 'utf8').replace(
        /use: builtin\.notify_owner/,
        'use: builtin.nope',
      ),
    );
    const r = await reload();
    const byId = Object.fromEntries(r.body.flows.map((f: { id: string }) => [f.id, f]));
    expect(byId['desk']).toMatchObject({ change: 'added', file: 'flows/desk.yaml' });
    expect(byId['lead-to-owner']).toMatchObject({ change: 'updated', previous: v1 });
    expect(byId['support-escalation']).toMatchObject({ change: 'removed' });
    expect(byId['invoice-approval']).toMatchObject({ change: 'kept' });
    expect(r.body.errors).toEqual([
      expect.objectContaining({
        file: 'flows/invoice-approval.yaml',
        message: expect.stringContaining('unknown action builtin.nope'),
      }),
    ]);

    expect((await s.call('GET', '/v1/flows/lead-to-owner')).body.version).toBe(byId['lead-to-owner'].version);
    expect((await s.call('GET', '/v1/flows/support-escalation')).status).toBe(404);
    const desk = await s.send({ id: 'D1', company: 'Acme', email: 'jo@acme.com' }, 'desk');
    expect((await s.call('GET', `/v1/handoffs/${desk}`)).body.flowVersion).toBe(byId['desk'].version);

    // A lookup of a table the project lacks does not go live (tables are read at start).
    writeFileSync(
      path.join(dir, 'desk.yaml'),
      lead.replace('id: lead-to-owner', 'id: desk').replace('table: accounts', 'table: nosuch'),
    );
    const noTable = await reload();
    expect(noTable.body.flows.find((f: { id: string }) => f.id === 'desk')).toMatchObject({ change: 'kept' });
    expect(noTable.body.errors).toContainEqual(
      expect.objectContaining({
        file: 'flows/desk.yaml',
        message: expect.stringContaining('lookup table "nosuch" does not exist'),
      }),
    );

    const viewer = await s.token('kim', 'viewer');
    expect((await s.call('POST', '/v1/flows/reload', { token: viewer })).status).toBe(403);
  });

  it('reloads a TypeScript flow when its file changes', async () => {
    s = await startTemp();
    const admin = await s.token('dana', 'admin');
    const file = path.join(s.baton.project.dir, 'flows', 'desk.flow.ts');
    const flowTs = (maxActions: number): string => `import { defineFlow } from 'baton';
export default defineFlow({
  id: 'desk',
  name: 'Desk',
  boundary: { from: 'team:marketing', to: 'team:sales-ops' },
  trigger: { webhook: {} },
  input: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
  idempotencyKey: 'input.id',
  decide: { otherwise: { owner: 'team:sales-ops' } },
  actions: [],
  handoff: { acceptWithin: '1h' },
  guardrails: { maxActions: ${maxActions} },
});
`;
    writeFileSync(file, flowTs(3));
    const added = await s.call('POST', '/v1/flows/reload', { token: admin });
    expect(added.body.errors).toEqual([]);
    const first = added.body.flows.find((f: { id: string }) => f.id === 'desk');
    expect(first).toMatchObject({ change: 'added', file: 'flows/desk.flow.ts' });

    writeFileSync(file, flowTs(4));
    // The module cache is keyed by the file's modification time: make sure it moved.
    const later = new Date(Date.now() + 2000);
    utimesSync(file, later, later);
    const updated = await s.call('POST', '/v1/flows/reload', { token: admin });
    expect(updated.body.errors).toEqual([]);
    const second = updated.body.flows.find((f: { id: string }) => f.id === 'desk');
    expect(second).toMatchObject({ change: 'updated', previous: first.version });
    expect((await s.call('GET', '/v1/flows/desk')).body.version).toBe(second.version);
  });
});
