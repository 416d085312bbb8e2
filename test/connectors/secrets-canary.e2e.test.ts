// The canary: secrets planted in the environment for every configured connector, and a server
// that echoes whatever credentials it receives into its error answers. A real `baton serve`
// runs handoffs whose connector calls fail that way; then every output is searched for the
// secrets: the server's log, every API answer, the CLI's output, the audit export and the bytes
// of the store (database and WAL). None may hold one.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempProject } from '../support/project.ts';
import { freePort, kill, startServe, type ServerProcess } from '../support/server.ts';

/** name → value: each goes into the environment and is referenced from baton.yaml as ${name}. */
const SECRETS: Record<string, string> = {
  CANARY_SLACK_TOKEN: 'xoxb-CANARY-7f3a9c1e5b0d',
  CANARY_SLACK_SIGNING: 'CANARY-sign-2d8e4f6a1c',
  CANARY_HUBSPOT_TOKEN: 'pat-na1-CANARY-91b7e3d2',
  CANARY_ZENDESK_TOKEN: 'CANARY-zd-5e0c7a19f3',
  CANARY_JIRA_TOKEN: 'CANARY-jira-8d2b64ce01',
  CANARY_BILLING_TOKEN: 'CANARY-billing-3fa9d07b',
};

let echo: Server;
let echoUrl = '';
let serve: ServerProcess | undefined;
let project: ReturnType<typeof tempProject>;

/** Answers every request with a refusal that quotes its headers and body back. */
async function startEcho(): Promise<void> {
  echo = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const quoted = `${JSON.stringify(req.headers)} ${body}`;
      if ((req.url ?? '').startsWith('/slack/')) {
        // Slack answers 200 with ok:false; the SDK puts `error` into its message.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: `invalid_auth ${quoted}` }));
        return;
      }
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `bad credentials ${quoted}`, error: quoted }));
    });
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
}

const flow = `id: canary
name: Canary
boundary: { from: team:ops, to: team:finance }
input: { type: object, required: [id], properties: { id: { type: string, pattern: "^[A-Z0-9-]+$" } } }
idempotencyKey: input.id
decide: { otherwise: { owner: team:finance } }
actions:
  - { id: post, use: slack.post_message, with: { channel: C0CANARY, text: "Lead \${input.id}" }, retry: { attempts: 1 } }
  - { id: bill, use: billing.post, with: { path: /invoices, body: { id: "\${input.id}" } }, retry: { attempts: 1 } }
`;

const lookup = `id: canary-lookup
name: Canary lookup
boundary: { from: team:ops, to: team:finance }
input: { type: object, required: [id], properties: { id: { type: string, pattern: "^[A-Z0-9-]+$" } } }
idempotencyKey: input.id
context:
  - { name: account, use: hubspot.find_company, with: { domain: acme.com } }
  - { name: ticket, use: zendesk.get_ticket, with: { ticket_id: 7 } }
decide: { otherwise: { owner: team:finance } }
`;

/** Runs the CLI without blocking this process (the echo server answers from here). */
const cli = (args: string[], env: NodeJS.ProcessEnv) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'bin/baton.js'), ...args, '--project', project.dir],
      { env },
      (e, stdout, stderr) => resolve({ status: e ? Number(e.code ?? 1) : 0, stdout, stderr }),
    );
  });
const baton = (args: string[]) => cli(args, { ...process.env, ...SECRETS });

const outputs: Array<[string, string]> = [];

beforeAll(async () => {
  await startEcho();
  project = tempProject({
    'flows/canary.yaml': flow,
    'flows/canary-lookup.yaml': lookup,
    'baton.yaml': `${readFileSync(path.join(ROOT, 'examples/baton.yaml'), 'utf8')}
outbound: { allowHosts: [127.0.0.1] }
connectors:
  slack: { token: "\${CANARY_SLACK_TOKEN}", signingSecret: "\${CANARY_SLACK_SIGNING}", apiUrl: "${echoUrl}/slack/" }
  hubspot: { token: "\${CANARY_HUBSPOT_TOKEN}", basePath: "${echoUrl}" }
  zendesk: { endpointUri: "${echoUrl}/api/v2", username: agent@example.com, token: "\${CANARY_ZENDESK_TOKEN}" }
  jira: { host: "${echoUrl}", email: agent@example.com, apiToken: "\${CANARY_JIRA_TOKEN}" }
  billing: { type: http, baseUrl: "${echoUrl}/billing", headers: { authorization: "Bearer \${CANARY_BILLING_TOKEN}" }, allowHosts: [127.0.0.1] }
`,
  });
  serve = await startServe(project.dir, await freePort(), SECRETS);
}, 60_000);

afterAll(async () => {
  if (serve) await kill(serve);
  echo?.close();
  project?.cleanup();
});

describe('secrets never leave', () => {
  it('a failing call records an error that names the failure but not the secret', async () => {
    const token = /First run: an admin token for \w+\.[^\n]*\n\s+(\S+)/.exec(serve!.output())![1]!;
    const auth = { authorization: `Bearer ${token}` };
    const sent = await fetch(`${serve!.url}/v1/flows/canary/handoffs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'C-1' }),
    });
    expect(sent.status).toBe(202);
    const { id } = (await sent.json()) as { id: string };
    let view: { state: string; actions: Array<{ state: string; error: string | null }> } | undefined;
    for (let i = 0; i < 200; i++) {
      const answer = await fetch(`${serve!.url}/v1/handoffs/${id}`, { headers: auth });
      const text = await answer.text();
      outputs.push([`GET /v1/handoffs/${id}`, text]);
      view = JSON.parse(text) as typeof view;
      if (view!.actions[0]?.state === 'failed') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(view!.actions[0]!.state).toBe('failed');
    // Reads that fail with the credentials echoed back: the handoff fails, naming the read.
    const read = await fetch(`${serve!.url}/v1/flows/canary-lookup/handoffs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'C-2' }),
    });
    const readId = ((await read.json()) as { id: string }).id;
    for (let i = 0; i < 200; i++) {
      const text = await (await fetch(`${serve!.url}/v1/handoffs/${readId}`, { headers: auth })).text();
      outputs.push([`GET /v1/handoffs/${readId}`, text]);
      if (/"state":"(failed|escalated)"/.test(text)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(outputs.at(-1)![1]).toMatch(/hubspot/);
    // The failure is named (with the vendor's words), the token is not.
    expect(view!.actions[0]!.error).toMatch(/invalid_auth/);
    expect(view!.actions[0]!.error).toContain('***');

    for (const url of ['/v1/connectors', '/v1/handoffs?limit=50', '/v1/openapi.json', '/metrics']) {
      const r = await fetch(`${serve!.url}${url}`, { headers: auth });
      outputs.push([`GET ${url}`, await r.text()]);
    }
    const check = await fetch(`${serve!.url}/v1/connectors/check`, { method: 'POST', headers: auth });
    const checkText = await check.text();
    outputs.push(['POST /v1/connectors/check', checkText]);
    expect(checkText).toMatch(/"ok":false/);
    const events = await fetch(`${serve!.url}/v1/handoffs/${id}`, { headers: auth });
    outputs.push(['events', await events.text()]);
  }, 60_000);

  it('the CLI shows and checks connectors with the secrets masked, and says what failed', async () => {
    const list = await baton(['connectors']);
    expect(list.stdout).toContain('token: ***');
    outputs.push(['baton connectors', list.stdout + list.stderr]);
    const check = await baton(['connectors', 'check']);
    expect(check.status).toBe(1);
    expect(check.stdout).toMatch(/FAIL slack \(slack\): .*invalid_auth/);
    outputs.push(['baton connectors check', check.stdout + check.stderr]);
    // A missing variable names the variable, never a value.
    const missing = await cli(['validate'], {
      ...process.env,
      CANARY_SLACK_TOKEN: SECRETS.CANARY_SLACK_TOKEN!,
    });
    expect(missing.stderr).toContain('CANARY_SLACK_SIGNING is not set');
    outputs.push(['baton validate (missing variable)', missing.stdout + missing.stderr]);
  });

  it('nothing holds a secret: log, answers, CLI, audit export, store bytes', async () => {
    await kill(serve!, 'SIGTERM');
    outputs.push(['serve log', serve!.output()]);
    const exported = await baton(['audit', 'export']);
    outputs.push(['baton audit export', exported.stdout + exported.stderr]);
    expect(exported.stdout.length).toBeGreaterThan(100);
    const dataDir = path.join(project.dir, 'data');
    for (const f of readdirSync(dataDir))
      outputs.push([`store ${f}`, readFileSync(path.join(dataDir, f)).toString('latin1')]);
    writeFileSync(path.join(project.dir, 'outputs.txt'), outputs.map(([k, v]) => `== ${k}\n${v}`).join('\n'));
    for (const [where, text] of outputs)
      for (const [name, value] of Object.entries(SECRETS)) {
        expect(text.includes(value), `${name} found in ${where}`).toBe(false);
        expect(text.includes(encodeURIComponent(value)), `${name} (encoded) found in ${where}`).toBe(false);
      }
    expect(outputs.length).toBeGreaterThan(10);
  });
});
