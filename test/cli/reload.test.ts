// Flow files reload in a running `baton serve`: an edit goes live as a new version for new
// handoffs (running ones keep theirs), a bad edit keeps the old version and is reported, SIGHUP
// and `baton reload` do the same on demand. Also: `baton send` to a manual-only flow over HTTP.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES } from '../support/project.ts';
import { freePort, kill, startServe, type ServerProcess } from '../support/server.ts';
import type { HandoffView } from '../../src/service/views.ts';
import { cliProject, type CliProject } from './run.ts';

let p: CliProject;
let server: ServerProcess;
let admin = '';
let flowFile = '';
let original = '';

const manualFlow = (text: string) =>
  text
    .replace('id: lead-to-owner', 'id: desk-leads')
    .replace(/trigger: \{ webhook: \{\} \}.*/, 'trigger: { manual: {} }');

async function get<T>(url: string): Promise<T> {
  return (await (await fetch(server.url + url)).json()) as T;
}
const liveVersion = async () => (await get<{ version: string }>('/v1/flows/lead-to-owner')).version;

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function send(id: string): Promise<HandoffView> {
  const r = await fetch(`${server.url}/v1/flows/lead-to-owner/handoffs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id, company: 'Acme', email: 'jo@acme.com' }),
  });
  const { id: hid } = (await r.json()) as { id: string };
  let h = await get<HandoffView>(`/v1/handoffs/${hid}`);
  await until(
    `${id} handed off`,
    async () => (h = await get<HandoffView>(`/v1/handoffs/${hid}`)).state === 'handed_off',
  );
  return h;
}

beforeAll(async () => {
  const flowText = readFileSync(path.join(EXAMPLES, 'flows/lead-to-owner.yaml'), 'utf8');
  p = cliProject({ 'flows/desk-leads.yaml': manualFlow(flowText) });
  flowFile = path.join(p.dir, 'flows/lead-to-owner.yaml');
  original = readFileSync(flowFile, 'utf8');
  server = await startServe(p.dir, await freePort(), p.env as Record<string, string>);
  admin = /First run: an admin token for dana\. .*\n +(bt_\S+)\n/.exec(server.output())?.[1] ?? '';
}, 60_000);

afterAll(async () => {
  await kill(server);
  p.cleanup();
});

describe('flow reload in baton serve', () => {
  it('says at start which version of each flow is live', async () => {
    const v1 = await liveVersion();
    expect(v1).toMatch(/^[0-9a-f]{64}$/);
    expect(server.output()).toContain(
      `lead-to-owner (auto, team:marketing -> team:sales-ops) version ${v1.slice(0, 12)}`,
    );
    expect(server.output()).toContain('reload   on a change to a flow file, on SIGHUP or with baton reload');
  });

  it('baton send hands work to a manual-only flow over HTTP; a webhook call is refused', async () => {
    const input = JSON.stringify({ id: 'D-1', company: 'Acme', email: 'jo@acme.com' });
    // Without a token nobody is named as the person handing it over: refused.
    const anonymous = await p.run(['send', 'desk-leads', input], { env: { BATON_URL: server.url } });
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toContain('trigger=manual means a person hands the work over');
    const env = { BATON_URL: server.url, BATON_TOKEN: admin };
    const sent = await p.run(['send', 'desk-leads', input], { env });
    expect([sent.code, sent.stderr]).toEqual([0, '']);
    expect(sent.stdout).toMatch(/^h_\S+ received\n$/);
    const hook = await fetch(`${server.url}/v1/flows/desk-leads/handoffs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: input,
    });
    expect(hook.status).toBe(409);
    expect(((await hook.json()) as { error: { code: string } }).error.code).toBe('trigger_not_enabled');
  });

  it('an edit goes live for new handoffs; running ones keep their version', async () => {
    const v1 = await liveVersion();
    const before = await send('R-1');
    expect(before.flowVersion).toBe(v1);

    writeFileSync(
      flowFile,
      original.replace("title: 'Call ${input.company}'", "title: 'Ring ${input.company}'"),
    );
    await until('the new version', async () => (await liveVersion()) !== v1);
    const v2 = await liveVersion();
    await until('the reload line', () =>
      server.output().includes(`now ${v2.slice(0, 12)} (was ${v1.slice(0, 12)})`),
    );
    expect(server.output()).toContain('flows reloaded (a flow file changed)');

    const after = await send('R-2');
    expect(after.flowVersion).toBe(v2);
    expect(after.actions.find((a) => a.id === 'task')?.params).toMatchObject({ title: 'Ring Acme' });
    expect((await get<HandoffView>(`/v1/handoffs/${before.id}`)).flowVersion).toBe(v1);
    // Over HTTP too, the sender's id finds the handoff.
    const shown = await p.run(['show', 'lead-to-owner/R-1'], { env: { BATON_URL: server.url } });
    expect(shown.stdout).toContain(`flow version ${v1.slice(0, 12)}`);
    expect(shown.stdout.split('\n')[0]).toBe(`${before.id}  lead-to-owner  handed_off`);
    const listed = await get<{ items: Array<{ id: string; version: string }> }>('/v1/flows');
    expect(listed.items.find((f) => f.id === 'lead-to-owner')?.version).toBe(v2);
  });

  it('a bad edit keeps the old version live and is reported; SIGHUP and baton reload say so too', async () => {
    const v2 = await liveVersion();
    const mark = server.output().length;
    writeFileSync(flowFile, original.replace(/^mode: auto.*$/m, 'mode: sometimes'));
    await until('the problem report', () => server.output().slice(mark).includes('problem'));
    const report = server.output().slice(mark);
    expect(report).toContain('flows reloaded (a flow file changed)');
    expect(report).toContain(
      `lead-to-owner  stays at ${v2.slice(0, 12)}: flows/lead-to-owner.yaml did not load`,
    );
    expect(report).toMatch(/flows\/lead-to-owner\.yaml:\d+:\d+: mode: /);
    expect(await liveVersion()).toBe(v2);
    expect((await send('R-3')).flowVersion).toBe(v2);

    const hup = server.output().length;
    server.child.kill('SIGHUP');
    await until('the SIGHUP reload', () => server.output().slice(hup).includes('flows reloaded (SIGHUP)'));
    await until('its report', () => server.output().slice(hup).includes('did not load'));
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

    const env = { BATON_URL: server.url, BATON_TOKEN: admin };
    const cli = await p.run(['reload'], { env });
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain(`lead-to-owner  stays at ${v2.slice(0, 12)}`);
    expect(cli.stderr).toMatch(
      /^baton: 1 problem in the flow files; the flows they hold stay as they were\n {2}flows\/lead-to-owner\.yaml:\d+:\d+: mode: /,
    );
    const anonymous = await p.run(['reload'], { env: { BATON_URL: server.url } });
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toContain('(HTTP 401 unauthorized)');

    writeFileSync(flowFile, original);
    await until('the fixed file', async () => (await liveVersion()) !== v2);
    const fixed = await p.json<{ flows: Array<{ id: string; change: string }>; errors: unknown[] }>(
      ['reload'],
      {
        env,
      },
    );
    expect(fixed.errors).toEqual([]);
    expect(fixed.flows.find((f) => f.id === 'lead-to-owner')?.change).toBe('unchanged');
    expect(server.child.exitCode).toBeNull();
  });
});
