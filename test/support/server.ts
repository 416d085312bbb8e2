// Starts `baton serve` as a real child process (for crash and end-to-end tests).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { ROOT } from './project.ts';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
}

/** Spawns `baton serve` and resolves once /readyz answers and the start-up banner is out. */
export async function startServe(
  dir: string,
  port: number,
  env: Record<string, string> = {},
  extraArgs: string[] = [],
): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'bin/baton.js'), 'serve', '--project', dir, '--port', String(port), ...extraArgs],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`baton serve exited (${child.exitCode}):\n${out}`);
    try {
      // The banner is written just after the server listens: under load /readyz may answer first.
      const r = await fetch(`${url}/readyz`);
      if (r.ok && out.includes('Ctrl-C stops the server')) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`baton serve did not become ready:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, child, output: () => out };
}

export async function kill(p: ServerProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill(signal);
  await exited;
}

/** Spawns `baton worker` and resolves once it has printed its banner (store open, claiming). */
export async function startWorker(dir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/baton.js'), 'worker', '--project', dir], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 20_000;
  while (!out.includes('Baton worker ')) {
    if (child.exitCode !== null) throw new Error(`baton worker exited (${child.exitCode}):\n${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`baton worker did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: '', child, output: () => out };
}
