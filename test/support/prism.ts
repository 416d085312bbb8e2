// Stoplight Prism serving a vendor's published API description on a loopback port, with request
// validation on: a request the real API would refuse gets a 4xx whose `sl-violations` header
// names what is wrong, so a connector test fails on it. The descriptions are copied, with their
// sources, under test/fixtures/vendor-specs/ (see its README).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './project.ts';
import { freePort } from './server.ts';

export const SPECS = path.join(ROOT, 'test/fixtures/vendor-specs');

export interface Prism {
  /** http://127.0.0.1:PORT (add the vendor's path prefix, e.g. /api/v2). */
  url: string;
  /** Prism's log lines so far (each request with its violations). */
  log(): string;
  close(): Promise<void>;
}

export interface PrismOptions {
  /** `--errors`: a request that breaks the description is answered 4xx (default true). */
  errors?: boolean;
  /** `-d`: dynamic examples (needed for Jira, whose examples are strings). */
  dynamic?: boolean;
}

/** Starts Prism on `spec` (a file name under test/fixtures/vendor-specs/) and waits for it. */
export async function startPrism(spec: string, o: PrismOptions = {}): Promise<Prism> {
  const port = await freePort();
  const args = ['mock', path.join(SPECS, spec), '-h', '127.0.0.1', '-p', String(port)];
  if (o.errors ?? true) args.push('--errors');
  if (o.dynamic) args.push('-d');
  const bin = path.join(ROOT, 'node_modules/@stoplight/prism-cli/dist/index.js');
  const child: ChildProcess = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`prism did not start on ${spec} in 60 s:\n${out}`)),
      60_000,
    );
    const onData = (): void => {
      if (/Prism is listening/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`prism exited (${code}) on ${spec}:\n${out}`));
    });
  });
  child.removeAllListeners('exit');
  return {
    url: `http://127.0.0.1:${port}`,
    log: () => out,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The `sl-violations` of an answer, if Prism refused the request. */
export const violations = (headers: Headers | Record<string, unknown>): string | undefined => {
  const v = headers instanceof Headers ? headers.get('sl-violations') : headers['sl-violations'];
  return typeof v === 'string' ? v : undefined;
};
