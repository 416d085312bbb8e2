// The intake path every trigger shares, end to end: a delivery mapped to a handoff (its own key:
// a redelivery is the same handoff), a reply that comments instead, and everything that cannot
// become a handoff kept in the dead-letter list with its reason, listed and replayed by the real
// CLI after the flow is fixed, and shown over HTTP with the triggers' last fires and the metric.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Baton } from '../../src/service/baton.ts';
import type { Delivery } from '../../src/intake/port.ts';
import { cliProject, type CliProject } from '../cli/run.ts';
import { freePort, kill, startServe } from '../support/server.ts';

// A sweep flow: its rows come from a schedule that never fires during the test (1 January).
const FLOW = `id: sweep
name: Forgotten tickets to the support lead
boundary: { from: team:support, to: team:ops }
trigger:
  schedule:
    cron: "0 0 1 1 *"
    map:
      id: row.id
      subject: row.subject
      amount: row.amount
input:
  type: object
  required: [id, subject, amount]
  properties:
    id: { type: string }
    subject: { type: string }
    amount: { type: number }
decide:
  otherwise: { owner: team:ops }
`;

let p: CliProject;
let baton: Baton;
const row = (r: Record<string, unknown>, key = String(r.id)): Delivery => ({
  flow: 'sweep',
  trigger: 'schedule',
  key,
  raw: {
    contentType: 'application/json',
    encoding: 'utf8',
    body: JSON.stringify({
      slot: { at: '2026-12-07T10:00:00.000Z', cron: '0 0 1 1 *', timezone: 'UTC' },
      row: r,
    }),
    bytes: 0,
  },
});

beforeAll(async () => {
  p = cliProject({ 'flows/sweep.yaml': FLOW });
  baton = await Baton.open({ dir: p.dir, storage: `sqlite:${p.db}` });
});
afterAll(async () => {
  await baton?.close();
  p?.cleanup();
});

describe('intake from a trigger', () => {
  it('maps a delivery to a handoff keyed by the trigger; a redelivery is the same handoff', async () => {
    const first = await baton.deliver(row({ id: 'T-1', subject: 'Printer on fire', amount: 3 }));
    expect(first).toMatchObject({ outcome: 'created', flow: 'sweep' });
    const again = await baton.deliver(row({ id: 'T-1', subject: 'Printer on fire', amount: 3 }));
    expect(again).toMatchObject({ outcome: 'duplicate' });
    if (first.outcome !== 'created' || again.outcome !== 'duplicate') throw new Error('unreachable');
    expect(again.handoffId).toBe(first.handoffId);
    const h = await baton.get(first.handoffId);
    expect(h.input).toEqual({ id: 'T-1', subject: 'Printer on fire', amount: 3 });
    const received = h.events.find((e) => e.type === 'received');
    expect(received).toMatchObject({ actor: { kind: 'system', id: 'trigger:schedule' } });
    expect(received?.data).toMatchObject({ trigger: 'schedule', idempotencyKey: 'schedule:T-1' });
  });

  it('a reply naming an earlier delivery comments on its handoff', async () => {
    const r = await baton.deliver({
      ...row({ id: 'T-1-reply' }, 'reply-1'),
      parsed: { vars: {}, thread: ['T-1'], comment: { text: 'Still burning', from: 'dana@example.com' } },
    });
    expect(r.outcome).toBe('commented');
    if (r.outcome !== 'commented') throw new Error('unreachable');
    // A redelivered reply does not comment twice.
    await baton.deliver({
      ...row({ id: 'T-1-reply' }, 'reply-1'),
      parsed: { vars: {}, thread: ['T-1'], comment: { text: 'Still burning', from: 'dana@example.com' } },
    });
    const comments = (await baton.get(r.handoffId)).events.filter((e) => e.type === 'commented');
    expect(comments).toHaveLength(1);
    expect(comments[0]!.data).toMatchObject({ text: 'Still burning', from: 'dana@example.com' });
  });

  it('keeps what cannot become a handoff, with the reason, once per key', async () => {
    const missing = await baton.deliver(row({ id: 'T-2', subject: 'No amount' }));
    expect(missing).toMatchObject({ outcome: 'failed', reason: 'map_failed' });
    expect(missing.outcome === 'failed' && missing.message).toMatch(/map\.amount/);
    const wrongType = await baton.deliver(row({ id: 'T-3', subject: 'Typed', amount: 'lots' }));
    expect(wrongType).toMatchObject({ outcome: 'failed', reason: 'invalid_input' });
    const broken = await baton.deliver({ ...row({}, 'T-4'), raw: { ...row({}).raw, body: '{"slot": ' } });
    expect(broken).toMatchObject({ outcome: 'failed', reason: 'unparseable' });
    const elsewhere = await baton.deliver({ ...row({ id: 'T-5' }), trigger: 'email' });
    expect(elsewhere).toMatchObject({ outcome: 'failed', reason: 'not_accepted' });
    // Delivered again: the same entry, seen twice.
    await baton.deliver(row({ id: 'T-2', subject: 'No amount' }));
    const kept = await baton.intakeFailures({ flow: 'sweep' });
    expect(
      kept.map((f) => [f.key, f.reason, f.seen]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    ).toEqual([
      ['T-2', 'map_failed', 2],
      ['T-3', 'invalid_input', 1],
      ['T-4', 'unparseable', 1],
      ['T-5', 'not_accepted', 1],
    ]);
    const metrics = await baton.metricsText();
    expect(metrics).toContain('baton_intake_total{flow="sweep",trigger="schedule",outcome="failed"} 4');
    expect(metrics).toContain('baton_intake_total{flow="sweep",trigger="schedule",outcome="commented"} 2');
    expect(metrics).toContain('baton_intake_total{flow="sweep",trigger="email",outcome="failed"} 1');
    const t2 = kept.find((f) => f.key === 'T-2')!;
    expect(JSON.parse(t2.payload.body)).toMatchObject({ row: { id: 'T-2' } });
  });

  it('the CLI lists the entries, shows one, and replays it once the flow is fixed', async () => {
    await baton.close();
    const list = await p.run(['intake', 'failed', 'sweep']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/map_failed/);
    expect(list.stdout).toMatch(/invalid_input/);
    const [t2] = (await p.json<Array<{ id: string; key: string }>>(['intake', 'failed', 'sweep'])).filter(
      (f) => f.key === 'T-2',
    );
    const shown = await p.run(['intake', 'show', t2!.id]);
    expect(shown.stdout).toMatch(/seen 2 times/);
    expect(shown.stdout).toMatch(/"subject":"No amount"/);

    const still = await p.run(['intake', 'replay', t2!.id]);
    expect(still.code).toBe(1);
    expect(still.stdout).toMatch(/failed again: map_failed/);

    // The fix: a missing amount counts as zero.
    const file = path.join(p.dir, 'flows', 'sweep.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(
        'amount: row.amount',
        'amount: "has(row.amount) ? row.amount : 0.0"',
      ),
    );
    const replayed = await p.run(['intake', 'replay', t2!.id]);
    expect(replayed.stderr).toBe('');
    expect(replayed.stdout).toMatch(/replayed: created h_/);
    const again = await p.run(['intake', 'replay', t2!.id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/is replayed/);
    const dropped = await p.run([
      'intake',
      'drop',
      (await p.json<Array<{ id: string; key: string }>>(['intake', 'failed'])).find((f) => f.key === 'T-5')!
        .id,
    ]);
    expect(dropped.stdout).toMatch(/dropped/);
    const left = await p.json<Array<{ key: string }>>(['intake', 'failed', 'sweep']);
    expect(left.map((f) => f.key).sort((a, b) => a.localeCompare(b))).toEqual(['T-3', 'T-4']);
  });

  it('over HTTP: the list, the flow with its triggers and last fire, and the intake metric', async () => {
    const port = await freePort();
    const server = await startServe(p.dir, port, { BATON_DATABASE_URL: `sqlite:${p.db}` });
    try {
      const failed = (await (await fetch(`${server.url}/v1/intake/failed?flow=sweep`)).json()) as {
        items: Array<{ key: string; reason: string }>;
      };
      expect(failed.items.map((f) => f.key).sort((a, b) => a.localeCompare(b))).toEqual(['T-3', 'T-4']);
      const flow = (await (await fetch(`${server.url}/v1/flows/sweep`)).json()) as {
        triggers: Array<{
          trigger: string;
          live: boolean;
          lastOutcome?: string;
          fired?: number;
          failed?: number;
        }>;
      };
      expect(flow.triggers).toEqual([
        expect.objectContaining({
          trigger: 'schedule',
          live: true,
          lastOutcome: 'created',
          fired: 5,
          failed: 5,
        }),
      ]);
      const flows = await p.run(['flows', 'sweep'], { env: { BATON_URL: server.url } });
      expect(flows.stdout).toMatch(
        /live schedule: cron 0 0 1 1 \* \(UTC\).*last .* \(created\), 5 fired, 5 failed/,
      );
      const replay = await fetch(`${server.url}/v1/intake/failed/if_x/replay`, { method: 'POST' });
      expect(replay.status).toBe(401);
    } finally {
      await kill(server, 'SIGTERM');
    }
  });
});
