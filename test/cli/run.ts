// Runs the real `baton` command as a subprocess in a temporary copy of the example project.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT, tempProject } from '../support/project.ts';

export const BIN = path.join(ROOT, 'bin', 'baton.js');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliProject {
  dir: string;
  db: string;
  env: NodeJS.ProcessEnv;
  run(args: string[], options?: { env?: NodeJS.ProcessEnv; input?: string }): Promise<RunResult>;
  /** Runs and parses stdout as JSON (adds --json); fails the test on a non-zero exit. */
  json<T = unknown>(args: string[], options?: { env?: NodeJS.ProcessEnv }): Promise<T>;
  cleanup(): void;
}

/** The environment without anything that would point the CLI elsewhere. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['BATON_URL', 'BATON_TOKEN', 'BATON_PROJECT', 'BATON_DATABASE_URL', 'BATON_DEBUG'])
    delete env[k];
  return env;
}

export function runCli(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: options.env ?? cleanEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

export function cliProject(files: Record<string, string> = {}): CliProject {
  const p = tempProject(files);
  const db = path.join(p.dir, 'data', 'baton.db');
  const env = { ...cleanEnv(), BATON_DATABASE_URL: `sqlite:${db}` };
  const project: CliProject = {
    dir: p.dir,
    db,
    env,
    run: (args, o = {}) =>
      runCli(args, {
        cwd: p.dir,
        env: { ...env, ...o.env },
        ...(o.input !== undefined ? { input: o.input } : {}),
      }),
    async json<T>(args: string[], o: { env?: NodeJS.ProcessEnv } = {}): Promise<T> {
      const r = await project.run([...args, '--json'], o);
      if (r.code !== 0) throw new Error(`baton ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return JSON.parse(r.stdout) as T;
    },
    cleanup: p.cleanup,
  };
  return project;
}

/**
 * A fresh temporary project, removed when the test ends. Pass the test context's
 * `onTestFinished` (in concurrent tests the global one may belong to another test).
 */
export function fresh(onFinished: (fn: () => void) => void, files: Record<string, string> = {}): CliProject {
  const p = cliProject(files);
  onFinished(() => p.cleanup());
  return p;
}
