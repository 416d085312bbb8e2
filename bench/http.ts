// Drives lead-to-owner over HTTP: a real `baton serve` child process (API and worker in one
// process), `inFlight` concurrent keep-alive requests from this process. Latency is intake
// request → `handed_off` committed, observed on the server's event stream.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { leadInput, percentile, type RunFigures } from './common.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function runHttp(
  dir: string,
  storage: string,
  total: number,
  inFlight: number,
  port: number,
): Promise<RunFigures> {
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin/baton.js'),
      'serve',
      '--project',
      dir,
      '--storage',
      storage,
      '--port',
      String(port),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  const agent = new Agent({ connections: inFlight, pipelining: 1, keepAliveTimeout: 30_000 });
  try {
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`baton serve exited:\n${output}`);
      try {
        if ((await request(`${base}/readyz`, { dispatcher: agent })).statusCode === 200) break;
      } catch {
        // not yet listening
      }
      if (i > 400) throw new Error(`baton serve did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // Hand-offs arrive on the event stream.
    const handedOff = new Map<string, number>();
    const waiting = new Map<string, () => void>();
    const stream = await request(`${base}/v1/stream?flow=lead-to-owner`, { dispatcher: new Agent() });
    let buffer = '';
    stream.body.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = frame.split('\n').find((l) => l.startsWith('data: '));
        if (!data) continue;
        const e = JSON.parse(data.slice(6)) as { id: string; state: string };
        if (e.state === 'handed_off' && !handedOff.has(e.id)) {
          handedOff.set(e.id, performance.now());
          waiting.get(e.id)?.();
        }
      }
    });
    const latencies: number[] = [];
    let next = 0;
    const t0 = performance.now();
    const lane = async (): Promise<void> => {
      while (next < total) {
        const i = next++;
        const t = performance.now();
        const res = await request(`${base}/v1/flows/lead-to-owner/handoffs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(leadInput(i)),
          dispatcher: agent,
        });
        const body = (await res.body.json()) as { id: string };
        if (res.statusCode !== 202)
          throw new Error(`intake answered ${res.statusCode}: ${JSON.stringify(body)}`);
        if (!handedOff.has(body.id)) await new Promise<void>((r) => waiting.set(body.id, r));
        waiting.delete(body.id);
        latencies.push(handedOff.get(body.id)! - t);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, lane));
    const seconds = (performance.now() - t0) / 1000;
    stream.body.destroy();
    latencies.sort((a, b) => a - b);
    return {
      handoffs: total,
      seconds,
      perSecond: total / seconds,
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
    };
  } finally {
    await agent.close();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}
