// A real server on a free port over a temporary copy of the example project, with a worker.
import { openTemp } from '../support/project.ts';
import { startServer } from '../../src/server/listen.ts';
import type { ServerOptions } from '../../src/server/app.ts';
import type { AccessLevel } from '../../src/core/project-schema.ts';

export interface Call {
  status: number;
  headers: Headers;
  // oxlint-disable-next-line typescript/no-explicit-any -- test convenience: JSON bodies of any shape
  body: any;
  text: string;
}

export async function startTemp(options: ServerOptions = {}, files: Record<string, string> = {}) {
  const env = await openTemp(files, { worker: true, pollMs: 20 });
  env.baton.engine.start();
  const server = await startServer(env.baton, { port: 0, ...options });

  async function call(
    method: string,
    path: string,
    o: { body?: unknown; raw?: string; token?: string; headers?: Record<string, string> } = {},
  ): Promise<Call> {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers['authorization'] = `Bearer ${o.token}`;
    let body: string | undefined;
    if (o.raw !== undefined) body = o.raw;
    else if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(server.url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, body: json, text };
  }

  async function token(user: string, access: AccessLevel): Promise<string> {
    return (await env.baton.createToken(user, access)).token;
  }

  /** Sends a handoff anonymously (loopback) and waits until the worker has settled it. */
  async function send(input: Record<string, unknown>, flow = 'lead-to-owner'): Promise<string> {
    const r = await call('POST', `/v1/flows/${flow}/handoffs`, { body: input });
    if (r.status !== 202) throw new Error(`intake failed: ${r.status} ${r.text}`);
    const id = r.body.id as string;
    await waitFor(async () => {
      const h = await call('GET', `/v1/handoffs/${id}`);
      return !['received', 'building_context', 'deciding', 'acting'].includes(h.body.state);
    });
    return id;
  }

  return {
    baton: env.baton,
    url: server.url,
    call,
    token,
    send,
    async close() {
      await server.close();
      await env.close();
    },
  };
}

export type TempServer = Awaited<ReturnType<typeof startTemp>>;

export async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 15));
  }
}
