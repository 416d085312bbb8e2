// A crash between a connector's call and its record: the system received the write, Baton was
// killed before it heard back. After a restart, a non-idempotent action (a Slack message) is
// `outcome_unknown` and waits for a person, never posted twice; `baton resolve` settles it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempProject } from '../support/project.ts';
import { freePort, kill, startServe, type ServerProcess } from '../support/server.ts';

/** Speaks chat.postMessage; holds the first answer until told, so the test can kill Baton first. */
class HoldingSlack {
  server!: Server;
  url = '';
  posts: string[] = [];
  onPost: (() => void) | undefined;
  hold = true;
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const method = (req.url ?? '').replace(/^\/api\//, '');
        const form = new URLSearchParams(body);
        if (req.headers.authorization !== 'Bearer xoxb-crash') {
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end('{"ok":false,"error":"invalid_auth"}');
          return;
        }
        if (method === 'chat.postMessage') {
          this.posts.push(String(form.get('text')));
          this.onPost?.();
          if (this.hold) return; // never answered: Baton dies waiting
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ ok: true, channel: form.get('channel'), ts: '1700000000.000100' }));
          return;
        }
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end('{"ok":false,"error":"unknown_method"}');
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/`;
  }
}

const slack = new HoldingSlack();
let project: ReturnType<typeof tempProject>;
let serve: ServerProcess | undefined;
const env = { CRASH_SLACK_TOKEN: 'xoxb-crash', CRASH_SLACK_SIGNING: 'crash-signing-secret' };

beforeAll(async () => {
  await slack.start();
  project = tempProject({
    'flows/tell.yaml': `id: tell
name: Tell
boundary: { from: team:ops, to: team:finance }
input: { type: object, required: [id], properties: { id: { type: string, pattern: "^[A-Z0-9-]+$" } } }
idempotencyKey: input.id
decide: { otherwise: { owner: team:finance } }
actions:
  - { id: post, use: slack.post_message, with: { channel: C0FIN, text: "Invoice \${input.id}" } }
`,
    'baton.yaml': `${readFileSync(path.join(ROOT, 'examples/baton.yaml'), 'utf8')}
outbound: { allowHosts: [127.0.0.1] }
worker: { leaseMs: 1500 }
connectors:
  slack: { token: "\${CRASH_SLACK_TOKEN}", signingSecret: "\${CRASH_SLACK_SIGNING}", apiUrl: "${slack.url}" }
`,
  });
}, 30_000);

afterAll(async () => {
  if (serve) await kill(serve);
  slack.server?.close();
  project?.cleanup();
});

describe('a crash between a connector call and its record', () => {
  it('leaves a non-idempotent action outcome_unknown: never repeated, resolved by a person', async () => {
    const port = await freePort();
    serve = await startServe(project.dir, port, env);
    const token = /First run: an admin token for \w+\.[^\n]*\n\s+(\S+)/.exec(serve.output())![1]!;
    const posted = new Promise<void>((r) => (slack.onPost = r));
    const sent = await fetch(`${serve.url}/v1/flows/tell/handoffs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'INV-9' }),
    });
    const { id } = (await sent.json()) as { id: string };
    await posted;
    await kill(serve); // SIGKILL while Slack holds its answer: the post happened, unrecorded
    slack.hold = false;
    serve = await startServe(project.dir, port, env);
    const auth = { authorization: `Bearer ${token}` };
    let view: { state: string; actions: Array<{ state: string; error: string | null }> } | undefined;
    for (let i = 0; i < 200; i++) {
      view = (await (await fetch(`${serve.url}/v1/handoffs/${id}`, { headers: auth })).json()) as typeof view;
      if (view!.actions[0]!.state === 'outcome_unknown') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(view!.actions[0]!.state).toBe('outcome_unknown');
    expect(view!.actions[0]!.error).toMatch(/baton resolve/);
    expect(view!.state).toBe('failed');
    // Waiting, not retrying: Slack saw exactly one post.
    await new Promise((r) => setTimeout(r, 2000));
    expect(slack.posts).toEqual(['Invoice INV-9']);
    // A person checks Slack, sees the message, and records that it happened.
    const resolved = await fetch(`${serve.url}/v1/handoffs/${id}/actions/post/resolve`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: 'succeeded' }),
    });
    expect(resolved.status, await resolved.text()).toBe(200);
    for (let i = 0; i < 100; i++) {
      view = (await (await fetch(`${serve.url}/v1/handoffs/${id}`, { headers: auth })).json()) as typeof view;
      if (view!.state === 'handed_off') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(view!.state).toBe('handed_off');
    expect(slack.posts).toHaveLength(1);
  }, 60_000);
});

/** An internal API whose first PUT is held (Baton dies waiting); GETs answer the record. */
class HoldingApi {
  server!: Server;
  url = '';
  gets = 0;
  puts: Array<{ key: string; body: string }> = [];
  onPut: (() => void) | undefined;
  hold = true;
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        if (req.method === 'GET') {
          this.gets++;
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"new"}');
          return;
        }
        this.puts.push({ key: String(req.headers['idempotency-key']), body });
        this.onPut?.();
        if (this.hold && this.puts.length === 1) return;
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
}

describe('a crash between an idempotent connector call and its record', () => {
  it('retries the call with the same key and keeps the first capture', async () => {
    const api = new HoldingApi();
    await api.start();
    const p = tempProject({
      'flows/approve.yaml': `id: approve
name: Approve
boundary: { from: team:ops, to: team:finance }
input: { type: object, required: [id], properties: { id: { type: string, pattern: "^[A-Z0-9-]+$" } } }
idempotencyKey: input.id
decide: { otherwise: { owner: team:finance } }
actions:
  - { id: status, use: billing.put, with: { path: "/invoices/\${input.id}", body: { status: approved } } }
`,
      'baton.yaml': `${readFileSync(path.join(ROOT, 'examples/baton.yaml'), 'utf8')}
worker: { leaseMs: 1500 }
connectors:
  billing:
    type: http
    baseUrl: ${api.url}/api
    allowHosts: [127.0.0.1]
    rollback:
      put: { method: put, path: "\${params.path}", body: before }
`,
    });
    const port = await freePort();
    let s = await startServe(p.dir, port);
    try {
      const token = /First run: an admin token for \w+\.[^\n]*\n\s+(\S+)/.exec(s.output())![1]!;
      const put = new Promise<void>((r) => (api.onPut = r));
      const sent = await fetch(`${s.url}/v1/flows/approve/handoffs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'INV-3' }),
      });
      const { id } = (await sent.json()) as { id: string };
      await put;
      await kill(s); // the PUT arrived, its answer never will
      api.hold = false;
      s = await startServe(p.dir, port);
      const auth = { authorization: `Bearer ${token}` };
      let view:
        { state: string; actions: Array<{ state: string; undo: unknown; calls: number }> } | undefined;
      for (let i = 0; i < 200; i++) {
        view = (await (await fetch(`${s.url}/v1/handoffs/${id}`, { headers: auth })).json()) as typeof view;
        if (view!.state === 'handed_off') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(view!.state).toBe('handed_off');
      expect(view!.actions[0]!.state).toBe('succeeded');
      // What the GET before the write read: the record as it was, for the rollback to put back.
      expect(JSON.stringify(view!.actions[0]!.undo)).toContain('"status":"new"');
      // Called again with the same key; the capture (one GET) was not repeated after the crash.
      expect(api.puts.map((x) => x.key)).toEqual([`${id}:status`, `${id}:status`]);
      expect(api.gets).toBe(1);
    } finally {
      await kill(s);
      api.server.close();
      p.cleanup();
    }
  }, 60_000);
});
