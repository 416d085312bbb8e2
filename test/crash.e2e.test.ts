// Crash test (durability is the product): 1,000 handoffs go to a running `baton serve` whose
// flows call an HTTP sink outside Baton's database; the server is SIGKILLed at random moments
// and restarted. Every acknowledged handoff must reach its expected state, the sink must see
// each effect once, and the audit chain must verify.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { ROOT, tempProject, ALLOW_LOOPBACK } from './support/project.ts';
import { freePort, kill, startServe, type ServerProcess } from './support/server.ts';
import { sinkFlow } from './support/sink-flow.ts';

const TOTAL = 1000;
const KILLS = 4;

/** The sink applies an effect once per idempotency key and counts every call it receives. */
class Sink {
  readonly calls = new Map<string, number>();
  server!: Server;
  url = '';
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const key = String(req.headers['idempotency-key'] ?? '');
      req.resume();
      req.on('end', () => {
        this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
        // A little latency widens the window between the call and Baton recording it.
        setTimeout(
          () => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end('{"ok":true}');
          },
          3 + Math.random() * 10,
        );
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    const a = this.server.address();
    this.url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  }
}

const sink = new Sink();
let project: ReturnType<typeof tempProject>;
let server: ServerProcess | undefined;
let port = 0;

beforeAll(async () => {
  await sink.start();
  project = tempProject();
  writeFileSync(
    path.join(project.dir, 'flows', 'crash-put.yaml'),
    sinkFlow('crash-put', 'http.put', sink.url),
  );
  writeFileSync(
    path.join(project.dir, 'flows', 'crash-post.yaml'),
    sinkFlow('crash-post', 'http.post', sink.url),
  );
  const yaml = readFileSync(path.join(project.dir, 'baton.yaml'), 'utf8');
  writeFileSync(
    path.join(project.dir, 'baton.yaml'),
    `${yaml}\nworker: { leaseMs: 1500, pollMs: 100, batchSize: 200 }\n${ALLOW_LOOPBACK}`,
  );
  port = await freePort();
});

afterAll(async () => {
  if (server) await kill(server);
  sink.server.close();
  project.cleanup();
});

/** An operator token, made with the CLI on the project's store. */
function createToken(dir: string): string {
  const out = execFileSync(
    process.execPath,
    [
      path.join(ROOT, 'bin/baton.js'),
      'token',
      'create',
      '--user',
      'ops',
      '--access',
      'operator',
      '--project',
      dir,
      '--json',
    ],
    { encoding: 'utf8' },
  );
  return (JSON.parse(out) as { token: string }).token;
}

async function send(flowId: string, id: string): Promise<string | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/v1/flows/${flowId}/handoffs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id }),
    });
    if (r.status !== 202) return undefined;
    return ((await r.json()) as { id: string }).id;
  } catch {
    return undefined; // the server died mid-request: not acknowledged
  }
}

describe('crash test', () => {
  it('survives SIGKILLs: nothing acknowledged is lost, no effect repeats, the audit chain holds', async () => {
    const acknowledged = new Map<string, { flow: string; key: string }>();
    const keys = Array.from({ length: TOTAL }, (_, i) => ({
      flow: i % 2 ? 'crash-post' : 'crash-put',
      key: `k${i}`,
    }));
    let next = 0;
    const token = createToken(project.dir);
    server = await startServe(project.dir, port);
    for (let round = 0; round <= KILLS; round++) {
      const stopAt = round < KILLS ? Date.now() + 150 + Math.random() * 350 : Infinity;
      const lane = async (): Promise<void> => {
        while (next < keys.length && Date.now() < stopAt) {
          const k = keys[next++]!;
          const id = await send(k.flow, k.key);
          if (id) acknowledged.set(id, k);
          else next = Math.min(next, keys.indexOf(k)); // resend what was not acknowledged
        }
      };
      const lanes = Promise.all(Array.from({ length: 16 }, lane));
      if (round < KILLS) {
        await new Promise((r) => setTimeout(r, stopAt - Date.now()));
        await kill(server); // SIGKILL, mid-flight
        await lanes;
        server = await startServe(project.dir, port);
      } else {
        await lanes;
      }
    }
    expect(next).toBe(TOTAL);

    // Wait for the engine to settle (expired leases are taken over after 1.5 s).
    const settled = async () => {
      const r = await fetch(`${server!.url}/v1/handoffs?limit=1000`);
      const body = (await r.json()) as { items: Array<{ id: string; state: string }> };
      const all = [...body.items];
      return all;
    };
    let items: Array<{ id: string; state: string }> = [];
    for (let i = 0; i < 200; i++) {
      items = await settled();
      if (items.length >= acknowledged.size && items.every((h) => ['handed_off', 'failed'].includes(h.state)))
        break;
      await new Promise((r) => setTimeout(r, 200));
    }
    // Every acknowledged handoff exists, once per key.
    const ids = new Set(items.map((h) => h.id));
    for (const id of acknowledged.keys()) expect(ids.has(id), `acknowledged ${id} is missing`).toBe(true);
    expect(new Set([...acknowledged.values()].map((k) => k.key)).size).toBe(acknowledged.size);

    // Non-idempotent calls are never repeated blindly: an unknown outcome waits for a person,
    // who checks the target system and resolves it.
    const failed = items.filter((h) => h.state === 'failed');
    for (const h of failed) {
      const view = (await (await fetch(`${server.url}/v1/handoffs/${h.id}`)).json()) as {
        flow: string;
        actions: Array<{ id: string; state: string; idempotencyKey: string }>;
      };
      const effect = view.actions.find((a) => a.id === 'effect')!;
      expect(view.flow).toBe('crash-post');
      expect(effect.state).toBe('outcome_unknown');
      const happened = (sink.calls.get(effect.idempotencyKey) ?? 0) > 0;
      const r = await fetch(`${server.url}/v1/handoffs/${h.id}/actions/effect/resolve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ outcome: happened ? 'succeeded' : 'retry' }),
      });
      expect(r.status, await r.text()).toBe(200);
    }
    for (let i = 0; i < 100; i++) {
      items = await settled();
      if (items.every((h) => h.state === 'handed_off')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(items.filter((h) => h.state !== 'handed_off')).toEqual([]);
    // Each effect happened once: non-idempotent calls exactly once, idempotent ones at least
    // once and only ever with the same key (the receiver applies a key once).
    for (const [id, k] of acknowledged) {
      const calls = sink.calls.get(`${id}:effect`) ?? 0;
      if (k.flow === 'crash-post') expect(calls, `POST for ${id}`).toBe(1);
      else expect(calls, `PUT for ${id}`).toBeGreaterThanOrEqual(1);
    }
    expect(sink.calls.size).toBe(acknowledged.size);
    const retried = [...sink.calls.values()].filter((n) => n > 1).length;
    console.log(
      `crash test: ${acknowledged.size} acknowledged, ${KILLS} kills, ${failed.length} unknown outcomes resolved by a person, ${retried} idempotent calls repeated with the same key`,
    );

    const audit = (await (await fetch(`${server.url}/v1/audit/verify`)).json()) as {
      ok: boolean;
      checked: number;
      problems: unknown[];
    };
    expect(audit.problems).toEqual([]);
    expect(audit.ok).toBe(true);
    expect(audit.checked).toBeGreaterThan(TOTAL * 4);
  }, 180_000);
});
