// The mcp connector against the reference servers from the registry: memory and filesystem over
// stdio, everything over stdio and over streamable HTTP (on loopback). Tools become actions with
// the risk their annotations give, read-only tools also untrusted sources; a server that dies,
// hangs or answers isError gives a failed call, never a crash.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ActionContext } from '../../actions/define.ts';
import { Registry } from '../../actions/registry.ts';
import { Tables } from '../../actions/tables.ts';
import { isBatonError } from '../../core/errors.ts';
import { actionSchema, contextSourceSchema } from '../../core/flow-schema.ts';
import { OutboundPolicy } from '../../outbound/policy.ts';
import {
  connectorContract,
  NO_PEOPLE,
  startHostileServer,
  type HostileMode,
} from '../../../test/support/connector-contract.ts';
import { startEverythingHttp, type EverythingHttp } from '../../../test/support/mcp-everything-http.ts';
import { ROOT } from '../../../test/support/project.ts';
import type { ConnectorAction, ConnectorInstance, ConnectorSource } from '../define.ts';
import { openConnectors, readConnectors } from '../configure.ts';
import { mcpConnector } from './connector.ts';

const require = createRequire(import.meta.url);
const serverJs = (pkg: string) => require.resolve(`@modelcontextprotocol/${pkg}/dist/index.js`);
const NODE = process.execPath;

const dir = mkdtempSync(path.join(tmpdir(), 'baton-mcp-'));
const files = path.join(dir, 'files');
const memory = (extra: Record<string, unknown> = {}) => ({
  command: NODE,
  args: [serverJs('server-memory')],
  env: { MEMORY_FILE_PATH: path.join(dir, 'memory.jsonl') },
  ...extra,
});

/** A node -e script: the child writes its pid, then is the server (a test can end it). */
const pidThenServe = (pidFile: string, pkg: string) =>
  `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); import(${JSON.stringify(`file://${serverJs(pkg)}`)})`;

const opened: ConnectorInstance[] = [];
async function open(
  settings: Record<string, unknown>,
  name = 'tools',
  outbound = new OutboundPolicy({ allowHosts: ['127.0.0.1'] }),
): Promise<ConnectorInstance> {
  const { configured, problems } = readConnectors({ [name]: { type: 'mcp', ...settings } });
  expect(problems).toEqual([]);
  const [o] = await openConnectors(configured, new Registry(new Tables(new Map())), {
    outbound,
    projectDir: ROOT,
    people: NO_PEOPLE,
  });
  opened.push(o!.instance);
  return o!.instance;
}

afterAll(async () => {
  await Promise.allSettled(opened.map(async (i) => i.close?.()));
  rmSync(dir, { recursive: true, force: true });
});

const ctx = (timeoutMs = 10_000): ActionContext => ({
  handoffId: 'h_1',
  flow: 'f',
  actionId: 'a',
  idempotencyKey: 'h_1:a',
  owner: 'team:x',
  signal: AbortSignal.timeout(timeoutMs),
  outbound: new OutboundPolicy(),
});
const sctx = (timeoutMs = 10_000) => ({ handoffId: 'h', flow: 'f', signal: AbortSignal.timeout(timeoutMs) });

const act = (i: ConnectorInstance, id: string): ConnectorAction => {
  const a = i.actions.find((x) => x.id === id);
  if (!a) throw new Error(`no action ${id} (has ${i.actions.map((x) => x.id).join(', ')})`);
  return a;
};
const src = (i: ConnectorInstance, id: string): ConnectorSource => {
  const s = i.sources.find((x) => x.id === id);
  if (!s) throw new Error(`no source ${id}`);
  return s;
};
const failure = (p: unknown): Promise<unknown> =>
  Promise.resolve(p).then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );

describe('mcp over stdio: server-memory', () => {
  it('lists the tools as actions with the risk their annotations give, read-only ones also as untrusted sources', async () => {
    const m = await open(memory());
    const create = act(m, 'tools.create_entities');
    expect([create.risk, create.idempotent, create.outbound]).toEqual(['medium', false, false]);
    expect(create.irreversible).toMatch(/MCP has no undo/);
    const del = act(m, 'tools.delete_entities');
    expect([del.risk, del.idempotent, del.idempotency]).toEqual(['high', true, 'natural']);
    const read = act(m, 'tools.read_graph');
    expect(read.risk).toBe('low');
    expect(src(m, 'tools.read_graph').trust).toBe('untrusted');
    expect(m.sources.map((s) => s.id).sort()).toEqual([
      'tools.open_nodes',
      'tools.read_graph',
      'tools.search_nodes',
    ]);
    expect(await m.check(AbortSignal.timeout(10_000))).toMatch(/^memory-server \S+: 9 tools$/);
  });

  it('create_entities writes what read_graph then reads; bad arguments stop at the schema', async () => {
    const m = await open(memory());
    const create = act(m, 'tools.create_entities');
    const args = { entities: [{ name: 'Acme', entityType: 'company', observations: ['renews in May'] }] };
    const r = (await create.run(create.params.parse(args), ctx())) as { text: string };
    expect(r.text).toContain('Acme');
    const graph = (await src(m, 'tools.read_graph').fetch({}, sctx())) as {
      structured?: unknown;
      text: string;
    };
    expect(JSON.stringify(graph)).toContain('renews in May');
    expect(readFileSync(path.join(dir, 'memory.jsonl'), 'utf8')).toContain('Acme');
    const bad = create.params.safeParse({ entities: 'Acme' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['entities']);
    // The tool's own parameters appear in the flow's JSON Schema.
    const js = z.toJSONSchema(create.params, { io: 'input', unrepresentable: 'any' }) as {
      properties?: Record<string, unknown>;
      required?: string[];
    };
    expect(Object.keys(js.properties ?? {})).toEqual(['entities']);
    expect(js.required).toEqual(['entities']);
  });

  it('baton.yaml may raise a tool’s risk, never lower it, and only for tools the server has', async () => {
    const raised = await open(memory({ tools: { read_graph: { risk: 'high' } } }));
    expect(act(raised, 'tools.read_graph').risk).toBe('high');
    await expect(open(memory({ tools: { delete_entities: { risk: 'low' } } }))).rejects.toThrow(
      /delete_entities\.risk: low is below high.*may only raise/,
    );
    await expect(open(memory({ tools: { drop_everything: {} } }))).rejects.toThrow(/no such tool/);
  });

  it('a server that dies is started again: a read (retried) gets its answer from the new process', async () => {
    const pidFile = path.join(dir, 'memory.pid');
    const m = await open(memory({ args: ['-e', pidThenServe(pidFile, 'server-memory')] }));
    const first = Number(readFileSync(pidFile, 'utf8'));
    process.kill(first, 'SIGKILL');
    const graph = await src(m, 'tools.read_graph').fetch({}, sctx());
    expect(JSON.stringify(graph)).toContain('Acme');
    expect(Number(readFileSync(pidFile, 'utf8'))).not.toBe(first);
  });

  it('a server that dies mid-call fails that call (an action is not retried); the next call starts it again', async () => {
    const pidFile = path.join(dir, 'everything.pid');
    const ev = await open({ command: NODE, args: ['-e', pidThenServe(pidFile, 'server-everything')] }, 'ev2');
    const first = Number(readFileSync(pidFile, 'utf8'));
    const started = Date.now();
    const inFlight = failure(
      act(ev, 'ev2.trigger-long-running-operation').run({ duration: 20, steps: 2 }, ctx(25_000)),
    );
    await new Promise((r) => setTimeout(r, 300));
    process.kill(first, 'SIGKILL');
    const e = await inFlight;
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toMatch(/closed/i);
    expect(Date.now() - started).toBeLessThan(5000);
    const r = (await act(ev, 'ev2.get-sum').run({ a: 4, b: 5 }, ctx())) as { text: string };
    expect(r.text).toMatch(/9/);
    expect(Number(readFileSync(pidFile, 'utf8'))).not.toBe(first);
  });

  it('a command that does not start fails the open with its name and what it wrote to stderr', async () => {
    const e = await failure(
      open({ command: NODE, args: ['-e', 'console.error("no config file"); process.exit(3)'] }),
    );
    expect((e as Error).message).toMatch(/did not open.*did not start a session.*no config file/);
  });
});

describe('mcp over stdio: server-filesystem on a temp folder', () => {
  let fsTools: ConnectorInstance;
  beforeAll(async () => {
    rmSync(files, { recursive: true, force: true });
    require('node:fs').mkdirSync(files);
    writeFileSync(path.join(files, 'notes.txt'), 'first line\n');
    fsTools = await open({ command: NODE, args: [serverJs('server-filesystem'), files] }, 'fs');
  });

  it('read tools are low and sources; write tools are high, create_directory medium', () => {
    const risk = (t: string) => act(fsTools, `fs.${t}`).risk;
    expect([risk('read_text_file'), risk('list_directory'), risk('search_files')]).toEqual([
      'low',
      'low',
      'low',
    ]);
    expect([risk('write_file'), risk('edit_file'), risk('move_file')]).toEqual(['high', 'high', 'high']);
    expect(risk('create_directory')).toBe('medium');
    expect(act(fsTools, 'fs.write_file').idempotency).toBe('natural');
    expect(act(fsTools, 'fs.edit_file').idempotent).toBe(false);
    expect(fsTools.sources.some((s) => s.id === 'fs.write_file')).toBe(false);
    expect(src(fsTools, 'fs.read_text_file').trust).toBe('untrusted');
  });

  it('write_file writes, read_text_file reads it back', async () => {
    const target = path.join(files, 'out.txt');
    await act(fsTools, 'fs.write_file').run({ path: target, content: 'hello from baton' }, ctx());
    expect(readFileSync(target, 'utf8')).toBe('hello from baton');
    const r = (await src(fsTools, 'fs.read_text_file').fetch({ path: target }, sctx())) as { text: string };
    expect(r.text).toBe('hello from baton');
  });

  it('a tool answering isError is a failed call, not retried, and the session lives on', async () => {
    const e = await failure(src(fsTools, 'fs.read_text_file').fetch({ path: '/etc/hostname' }, sctx()));
    expect(isBatonError(e) && !e.retryable).toBe(true);
    expect((e as Error).message).toMatch(/fs\.read_text_file failed: .*(denied|outside)/i);
    const ok = (await src(fsTools, 'fs.read_text_file').fetch(
      { path: path.join(files, 'notes.txt') },
      sctx(),
    )) as {
      text: string;
    };
    expect(ok.text).toBe('first line\n');
  });
});

describe('mcp over stdio: server-everything', () => {
  let ev: ConnectorInstance;
  beforeAll(async () => {
    process.env.BATON_PARENT_ONLY = 'parent-secret-value-42';
    ev = await open(
      {
        command: NODE,
        args: [serverJs('server-everything'), 'stdio'],
        env: { EVERYTHING_PLANTED: 'given-by-baton-yaml' },
        tools: { 'trigger-long-running-operation': { timeoutMs: 600 } },
      },
      'ev',
    );
  });
  afterAll(() => {
    delete process.env.BATON_PARENT_ONLY;
  });

  it('tool names with - are action ids a flow can use', async () => {
    const sum = act(ev, 'ev.get-sum');
    expect(actionSchema.shape.use.safeParse('ev.get-sum').success).toBe(true);
    expect(contextSourceSchema.shape.use.safeParse('ev.get-sum').success).toBe(true);
    expect(actionSchema.shape.use.safeParse('ev.-sum').success).toBe(false);
    const r = (await sum.run(sum.params.parse({ a: 2, b: 3 }), ctx())) as { text: string };
    expect(r.text).toMatch(/5/);
    expect(sum.params.safeParse({ a: 'two', b: 3 }).success).toBe(false);
  });

  it('the server gets the configured environment, not Baton’s', async () => {
    const r = (await src(ev, 'ev.get-env').fetch({}, sctx())) as { text: string };
    expect(r.text).toContain('given-by-baton-yaml');
    expect(r.text).not.toContain('parent-secret-value-42');
  });

  it('a tool that hangs ends at its timeout; the next call still works', async () => {
    const started = Date.now();
    const e = await failure(
      act(ev, 'ev.trigger-long-running-operation').run({ duration: 30, steps: 3 }, ctx()),
    );
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toMatch(/timed out|timeout/i);
    expect(Date.now() - started).toBeLessThan(5000);
    const r = (await act(ev, 'ev.get-sum').run({ a: 1, b: 1 }, ctx())) as { text: string };
    expect(r.text).toMatch(/2/);
  });

  it('structured content is kept', async () => {
    const r = (await src(ev, 'ev.get-structured-content').fetch({ location: 'New York' }, sctx())) as {
      structured?: unknown;
    };
    expect(r.structured).toBeDefined();
  });
});

describe('mcp over streamable HTTP: server-everything on loopback', () => {
  const TOKEN = 'mcp-http-token-8d2c';
  let server: EverythingHttp;
  beforeAll(async () => {
    server = await startEverythingHttp(TOKEN);
  });
  afterAll(async () => server?.close());

  it('connects with the configured headers, lists and calls tools, and close ends the session', async () => {
    const ev = await open({ url: server.url, headers: { authorization: `Bearer ${TOKEN}` } }, 'web');
    expect(await ev.check(AbortSignal.timeout(10_000))).toMatch(/^mcp-servers\/everything \S+: \d+ tools$/);
    const r = (await act(ev, 'web.get-sum').run({ a: 20, b: 22 }, ctx())) as { text: string };
    expect(r.text).toMatch(/42/);
    expect(server.sessions()).toBe(1);
    await ev.close!();
    await expect.poll(() => server.sessions()).toBe(0);
  });

  it('every connection goes through the outbound policy (the pinned fetch), to the checked address', async () => {
    const seen: string[] = [];
    const policy = new OutboundPolicy(
      { allowHosts: ['127.0.0.1'] },
      undefined,
      (t) => void seen.push(t.address),
    );
    const ev = await open({ url: server.url, headers: { authorization: `Bearer ${TOKEN}` } }, 'web', policy);
    const before = seen.length;
    await act(ev, 'web.echo').run({ message: 'hi' }, ctx());
    expect(seen.length).toBeGreaterThan(before);
    expect(new Set(seen)).toEqual(new Set(['127.0.0.1']));
    await ev.close!();
  });

  it('a wrong token fails the open without showing it', async () => {
    const e = await failure(
      open({ url: server.url, headers: { authorization: 'Bearer wrong-token-9911' } }, 'web'),
    );
    expect((e as Error).message).toMatch(/did not open/);
    expect((e as Error).message).not.toContain('wrong-token-9911');
  });

  it('an endpoint the project does not allow is refused before connecting', async () => {
    const e = await failure(
      open({ url: server.url, headers: { authorization: `Bearer ${TOKEN}` } }, 'web', new OutboundPolicy()),
    );
    expect((e as Error).message).toMatch(/may not be reached: 127\.0\.0\.1, a loopback address/);
  });

  it.each(['500', '401', 'garbage', 'slow', 'huge'] as HostileMode[])(
    'a server answering %s fails the open in bounded time, never a hang',
    async (mode) => {
      const hostile = await startHostileServer();
      hostile.mode = mode;
      const started = Date.now();
      try {
        const e = await failure(
          open(
            {
              url: `${hostile.url}/mcp`,
              headers: { authorization: `Bearer ${TOKEN}` },
              startTimeoutMs: 1500,
            },
            'web',
          ),
        );
        expect((e as Error).message).toMatch(/did not open/);
        expect((e as Error).message).not.toContain(TOKEN);
        expect(Date.now() - started).toBeLessThan(8000);
      } finally {
        await hostile.close();
      }
    },
  );
});

connectorContract({
  definition: mcpConnector as never,
  settings: memory(),
});
