// A real console to drive: `baton serve` as a child process on a throwaway copy of a project
// (the examples unless told otherwise), with tokens made by the CLI and intake over HTTP.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT, tempProject } from '../../support/project.ts';
import { freePort, kill, startServe, type ServerProcess } from '../../support/server.ts';

export type Access = 'admin' | 'operator' | 'viewer' | 'intake';

export interface RunningConsole {
  url: string;
  dir: string;
  server: ServerProcess;
  /** A new API token for a declared person (the CLI on the same store). */
  token(user: string, access: Access): string;
  /** Intake over HTTP (anonymous loopback intake, as the examples allow): the handoff id. */
  send(flow: string, input: Record<string, unknown>): Promise<string>;
  /** A call of the API with a bearer token; the parsed JSON answer and its status. */
  call(method: string, p: string, token: string, body?: unknown): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export function requireBuild(): void {
  if (!existsSync(path.join(ROOT, 'console/dist/index.html'))) {
    throw new Error('The console is not built: run `npm run console:build` (npm ci runs it)');
  }
}

export async function startConsole(
  files: Record<string, string> = {},
  o: { args?: string[] } = {},
): Promise<RunningConsole> {
  requireBuild();
  const project = tempProject(files);
  const server = await startServe(project.dir, await freePort(), {}, o.args ?? []);
  const cli = (...args: string[]) => {
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, 'bin/baton.js'), ...args, '--project', project.dir],
      {
        encoding: 'utf8',
      },
    );
    if (r.status !== 0) throw new Error(`baton ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const call: RunningConsole['call'] = async (method, p, token, body) => {
    const res = await fetch(`${server.url}${p}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  return {
    url: server.url,
    dir: project.dir,
    server,
    token: (user, access) =>
      (JSON.parse(cli('token', 'create', '--user', user, '--access', access, '--json')) as { token: string })
        .token,
    async send(flow, input) {
      const res = await fetch(`${server.url}/v1/flows/${flow}/handoffs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input),
      });
      const body = (await res.json()) as { id?: string; error?: { message: string } };
      if (!body.id) throw new Error(`intake into ${flow} answered ${res.status}: ${body.error?.message}`);
      return body.id;
    },
    call,
    async stop() {
      // A graceful stop first (it is what people do); a server that lingers is killed.
      const timer = setTimeout(() => server.child.kill('SIGKILL'), 5000);
      await kill(server, 'SIGTERM');
      clearTimeout(timer);
      project.cleanup();
    },
  };
}
