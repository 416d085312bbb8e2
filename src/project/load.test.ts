import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BatonError } from '../core/errors.ts';
import { loadProject, resolveStorageUrl } from './load.ts';

const PROJECT = `storage: sqlite:./data/baton.db
server: { port: 3100 }
people:
  - { id: dana, name: Dana Ruiz, email: dana@example.com, roles: [cfo] }
  - { id: sam, roles: [sales-manager] }
  - { id: lee, roles: [sales-manager, cro] }
teams:
  - { id: sales, members: [sam, lee], manager: dana }
  - { id: ops, members: [dana] }
fallbackOwner: team:ops
connectors:
  slack: { token: "\${SLACK_BOT_TOKEN}", signingSecret: "\${SLACK_SIGNING_SECRET:-dev-secret}" }
  mail: { type: email, smtp: "smtp://mail.example.com/\${HOOK_PATH}", from: "literal $\${x} <b@example.com>" }
`;

const FLOW = `id: intake
name: Intake
boundary: { from: team:ops, to: team:sales }
input: { type: object, properties: { amount: { type: number } } }
decide:
  rules:
    - { when: "input.amount > 10.0", owner: user:sam }
  otherwise: { owner: team:sales }
actions:
  - id: crm
    use: builtin.create_task
    approval: { levels: [ { approvers: [user:dana, role:cfo] } ] }
handoff: { escalate: [ { after: 1h, to: manager } ] }
`;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'baton-project-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const ENV = { SLACK_BOT_TOKEN: 'xoxb-1', HOOK_PATH: 'in' };

async function failure(dir: string, env: Record<string, string> = ENV): Promise<BatonError> {
  try {
    await loadProject(dir, { env });
  } catch (e) {
    return e as BatonError;
  }
  throw new Error('expected the project to be invalid');
}

function lineOf(text: string, needle: string): number {
  return text.slice(0, text.indexOf(needle)).split('\n').length;
}

describe('loadProject', () => {
  it('loads the project file, flows and tables', async () => {
    const dir = project({
      'baton.yaml': PROJECT,
      'flows/intake.yaml': FLOW,
      'flows/intake.cases.yaml': '- { input: {} }\n',
      'tables/accounts.csv': 'domain,owner,note\nacme.com,dana,"big, old account"\nbeta.io,sam,\n',
      'tables/regions.yaml': '- { code: EU, team: sales }\n- { code: US, team: ops, weight: 2 }\n',
    });
    const p = await loadProject(dir, { env: ENV });
    expect(p.dir).toBe(resolve(dir));
    expect(p.file).toBe(join(resolve(dir), 'baton.yaml'));
    expect(p.def.server.port).toBe(3100);
    expect(p.flowsDir).toBe(join(resolve(dir), 'flows'));
    expect(p.actionsDir).toBe(join(resolve(dir), 'actions'));
    expect([...p.flows.keys()]).toEqual(['intake']);
    expect(p.tables.get('accounts')).toEqual([
      { domain: 'acme.com', owner: 'dana', note: 'big, old account' },
      { domain: 'beta.io', owner: 'sam', note: '' },
    ]);
    expect(p.tables.get('regions')).toEqual([
      { code: 'EU', team: 'sales' },
      { code: 'US', team: 'ops', weight: 2 },
    ]);
    // Also accepts the path of baton.yaml itself.
    expect((await loadProject(join(dir, 'baton.yaml'), { env: ENV })).dir).toBe(resolve(dir));
  });

  it('resolves ${ENV_VAR} references in connectors, with defaults and $${ escapes', async () => {
    const p = await loadProject(project({ 'baton.yaml': PROJECT }), { env: ENV });
    expect(p.def.connectors).toEqual({
      slack: { token: 'xoxb-1', signingSecret: 'dev-secret' },
      mail: { type: 'email', smtp: 'smtp://mail.example.com/in', from: 'literal ${x} <b@example.com>' },
    });
  });

  it('reports a missing environment variable with its field and line', async () => {
    const err = await failure(project({ 'baton.yaml': PROJECT }), { HOOK_PATH: 'x' });
    expect(err.code).toBe('project_invalid');
    expect(err.details).toHaveLength(1);
    expect(err.details[0]).toMatchObject({
      path: 'connectors.slack.token',
      line: lineOf(PROJECT, 'SLACK_BOT_TOKEN'),
    });
    expect(err.details[0]!.message).toMatch(/environment variable SLACK_BOT_TOKEN is not set/);
  });

  it('answers directory questions', async () => {
    const p = await loadProject(project({ 'baton.yaml': PROJECT }), { env: ENV });
    expect(p.people.get('dana')?.name).toBe('Dana Ruiz');
    expect(p.teams.get('sales')?.members).toEqual(['sam', 'lee']);
    expect(p.rolesOf('lee')).toEqual(['sales-manager', 'cro']);
    expect(p.rolesOf('nobody')).toEqual([]);
    expect(p.membersOfRole('sales-manager')).toEqual(['sam', 'lee']);
    expect(p.teamsOf('dana')).toEqual(['ops']);
    expect(p.managerOf('team:sales')).toBe('user:dana');
    expect(p.managerOf('user:sam')).toBe('user:dana');
    expect(p.managerOf('team:ops')).toBeUndefined();
    expect(p.managerOf('user:dana')).toBeUndefined();
    expect(p.managerOf('role:cfo')).toBeUndefined();
  });

  it('loads delegations and reports bad ones with file, line and field', async () => {
    const good = `${PROJECT}delegations:\n  - { from: dana, to: sam, until: 2026-12-24, flows: [intake] }\n`;
    const p = await loadProject(project({ 'baton.yaml': good, 'flows/intake.yaml': FLOW }), { env: ENV });
    expect(p.def.delegations).toEqual([{ from: 'dana', to: 'sam', until: '2026-12-24', flows: ['intake'] }]);

    const lines = [
      '  - { from: dana, to: ghost, until: 2026-12-24 }',
      '  - { from: sam, to: sam, until: 2026-12-24 }',
      '  - { from: sam, to: lee, until: 2026-02-30 }',
      '  - { from: sam, to: lee, until: next week }',
      '  - { from: lee, to: sam, since: 2026-12-24, until: 2026-12-01 }',
      '  - { from: lee, to: dana, until: 2026-12-24, flows: [intake, nope] }',
      '  - { from: lee, to: dana }',
    ];
    // Schema errors first (the fields themselves), then references, as for the rest of the file.
    const schema = `${PROJECT}delegations:\n${[2, 3, 6].map((i) => lines[i]).join('\n')}\n`;
    const e1 = await failure(project({ 'baton.yaml': schema, 'flows/intake.yaml': FLOW }));
    expect(e1.code).toBe('project_invalid');
    expect(e1.details.map((d) => [d.path, d.line, d.message])).toEqual([
      ['delegations[0].until', lineOf(schema, lines[2]!), expect.stringMatching(/a date like 2026-12-24/)],
      ['delegations[1].until', lineOf(schema, lines[3]!), expect.stringMatching(/a date like/)],
      ['delegations[2].until', lineOf(schema, lines[6]!), expect.anything()],
    ]);
    expect(e1.details.every((d) => /baton\.yaml$/.test(d.file ?? ''))).toBe(true);
    const refs = `${PROJECT}delegations:\n${[0, 1, 5].map((i) => lines[i]).join('\n')}\n`;
    const e2 = await failure(project({ 'baton.yaml': refs, 'flows/intake.yaml': FLOW }));
    expect(e2.details.map((d) => [d.path, d.line, d.message])).toEqual([
      ['delegations[0].to', lineOf(refs, lines[0]!), expect.stringMatching(/unknown person "ghost"/)],
      ['delegations[1].to', lineOf(refs, lines[1]!), expect.stringMatching(/cannot stand in for themselves/)],
      ['delegations[2].flows[1]', lineOf(refs, lines[5]!), expect.stringMatching(/unknown flow "nope"/)],
    ]);
    // An end before the start is caught once the fields themselves are valid.
    const reversed = `${PROJECT}delegations:\n${lines[4]}\n`;
    const e3 = await failure(project({ 'baton.yaml': reversed }));
    expect(e3.details.map((d) => [d.path, d.line, d.message])).toEqual([
      ['delegations[0].until', lineOf(reversed, lines[4]!), expect.stringMatching(/ends before it starts/)],
    ]);
  });

  it('reports schema errors of baton.yaml with line and field', async () => {
    const text = PROJECT.replace('port: 3100', 'port: lots');
    const err = await failure(project({ 'baton.yaml': text }));
    expect(err.details[0]).toMatchObject({ path: 'server.port', line: 2 });
    expect(err.details[0]!.file).toMatch(/baton\.yaml$/);
  });

  it('reports YAML syntax errors of baton.yaml', async () => {
    const err = await failure(project({ 'baton.yaml': 'people: [\n' }));
    expect(err.code).toBe('project_invalid');
    expect(err.details[0]!.message).toMatch(/^YAML: /);
  });

  it('checks team members and managers', async () => {
    const text = PROJECT.replace('members: [sam, lee], manager: dana', 'members: [sam, kim], manager: joe');
    const err = await failure(project({ 'baton.yaml': text }));
    expect(err.details.map((d) => [d.path, d.message])).toEqual([
      ['teams[0].members[1]', 'unknown person "kim": declare it under people:'],
      ['teams[0].manager', 'unknown person "joe": declare it under people:'],
    ]);
    expect(err.details[0]!.line).toBe(lineOf(text, 'kim'));
  });

  it('checks the people and teams that flows name', async () => {
    const flow = FLOW.replace('owner: user:sam', 'owner: user:samm')
      .replace('to: team:sales }', 'to: team:sails }')
      .replace('approvers: [user:dana, role:cfo]', 'approvers: [user:dan, role:cfo]');
    const err = await failure(project({ 'baton.yaml': PROJECT, 'flows/intake.yaml': flow }));
    expect(err.code).toBe('flow_invalid');
    expect(err.details.map((d) => [d.path, d.line])).toEqual([
      ['boundary.to', lineOf(flow, 'team:sails')],
      ['decide.rules[0].owner', lineOf(flow, 'user:samm')],
      ['actions[0].approval.levels[0].approvers[0]', lineOf(flow, 'user:dan,')],
    ]);
    expect(err.details[0]!.message).toBe('unknown team "sails": declare it under teams: in baton.yaml');
    expect(err.details[0]!.file).toMatch(/flows\/intake\.yaml$/);
  });

  it('collects errors of the project file, flows and tables together', async () => {
    const err = await failure(
      project({
        'baton.yaml': PROJECT.replace('fallbackOwner: team:ops', 'fallbackOwner: team:nobody'),
        'flows/intake.yaml': FLOW.replace('after: 1h', 'after: soon'),
        'tables/bad.csv': 'a,b\n"x,1\n',
        'tables/list.yaml': 'a: 1\n',
      }),
    );
    expect(err.code).toBe('project_invalid');
    expect(err.details.map((d) => d.path)).toEqual(['fallbackOwner', '', '', 'handoff.escalate[0].after']);
    expect(err.details[1]).toMatchObject({ line: 2, column: 1 });
    expect(err.details[1]!.message).toMatch(/^CSV: unterminated/);
    expect(err.details[2]!.message).toMatch(/list of rows/);
  });

  it('reports a missing baton.yaml', async () => {
    const err = await failure(project({}));
    expect(err.code).toBe('project_invalid');
    expect(err.message).toMatch(/no baton\.yaml in .*baton init/);
  });
});

describe('resolveStorageUrl', () => {
  const p = { dir: '/srv/proj', def: { storage: 'sqlite:./data/baton.db' } } as Parameters<
    typeof resolveStorageUrl
  >[0];
  const withStorage = (storage: string): Parameters<typeof resolveStorageUrl>[0] => ({
    ...p,
    def: { ...p.def, storage },
  });

  it('resolves the project storage against the project folder', () => {
    expect(resolveStorageUrl(p)).toBe('sqlite:/srv/proj/data/baton.db');
    expect(resolveStorageUrl(withStorage('sqlite:/var/baton.db'))).toBe('sqlite:/var/baton.db');
    expect(resolveStorageUrl(withStorage('sqlite:///var/baton.db'))).toBe('sqlite:/var/baton.db');
    expect(resolveStorageUrl(withStorage('sqlite::memory:'))).toBe('sqlite::memory:');
    expect(resolveStorageUrl(withStorage('data/x.db'))).toBe('sqlite:/srv/proj/data/x.db');
    expect(resolveStorageUrl(withStorage('postgres://u@h/db?schema=b'))).toBe('postgres://u@h/db?schema=b');
  });

  it('resolves an override against the working directory', () => {
    expect(resolveStorageUrl(p, 'sqlite:./other.db')).toBe(`sqlite:${resolve(process.cwd(), 'other.db')}`);
    expect(resolveStorageUrl(p, '')).toBe('sqlite:/srv/proj/data/baton.db');
    expect(resolveStorageUrl(p, 'postgresql://h/db')).toBe('postgresql://h/db');
  });
});
