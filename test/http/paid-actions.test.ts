// Paid actions over the real server: a flow or an action declares what a call costs; the cost is
// reserved before the call under the per-handoff and per-day caps, settled after, and shows in
// the handoff's costUsd, the summary and baton_cost_usd_total. Over budget, the handoff goes to a
// person with `cost_cap` and the call is never made.
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { isBatonError } from '../../src/core/errors.ts';
import { ALLOW_LOOPBACK, EXAMPLES, openTemp, ROOT } from '../support/project.ts';
import { freePort } from '../support/server.ts';
import { startTemp, type TempServer } from './helpers.ts';

/** A receiver that counts the calls that reach it. */
async function receiver() {
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      paths.push(req.url!);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return {
    paths,
    url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const zodUrl = pathToFileURL(path.join(ROOT, 'node_modules/zod/index.js')).href;
/** A project's own paid action: a price per unit, declared with the action. */
const METERED = `import { z } from '${zodUrl}';
export const metered = {
  id: 'test.metered', risk: 'low', idempotent: true, params: z.object({ units: z.number() }),
  cost: (p) => p.units * 0.001,
  async run(p) { return { used: p.units }; },
};`;

const paidFlow = (url: string, costCap: string) => `id: paid
name: Paid
boundary: { from: team:ops, to: team:finance }
input: { type: object, required: [id, units], properties: { id: { type: string, x-trust: trusted }, units: { type: integer } } }
idempotencyKey: input.id
decide:
  otherwise: { owner: team:finance }
actions:
  - { id: lookup, use: http.post, cost: 0.02, with: { url: "${url}/lookup" }, retry: { attempts: 1 } }
  - { id: enrich, use: http.post, cost: "double(params.body.units) * 0.01", with: { url: "${url}/enrich", body: { units: "\${input.units}" } }, retry: { attempts: 1 } }
  - { id: meter, use: test.metered, with: { units: "\${input.units}" } }
guardrails: { costCap: ${costCap} }
handoff: { to: "\${decision.owner}" }
`;

const project = readFileSync(path.join(EXAMPLES, 'baton.yaml'), 'utf8') + ALLOW_LOOPBACK;

let s: TempServer | undefined;
let r: Awaited<ReturnType<typeof receiver>> | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
  await r?.close();
  r = undefined;
});

interface HandoffBody {
  state: string;
  costUsd: number;
  actions: Array<{ id: string; state: string }>;
  events: Array<{ type: string; data: Record<string, unknown> }>;
}
const handoff = async (id: string) => (await s!.call('GET', `/v1/handoffs/${id}`)).body as HandoffBody;
const costMetric = async () => {
  const text = (await s!.call('GET', '/metrics')).text;
  return Number(/^baton_cost_usd_total\{flow="paid"\} (\S+)$/m.exec(text)?.[1] ?? 0);
};

async function start(costCap: string) {
  r = await receiver();
  s = await startTemp(
    {},
    { 'baton.yaml': project, 'flows/paid.yaml': paidFlow(r.url, costCap), 'actions/metered.mjs': METERED },
  );
}

describe('paid actions', () => {
  it('reserve and settle their declared cost: fixed, from CEL over params, from the action', async () => {
    await start('{ perHandoff: 1, perDay: 10 }');
    const h = await handoff(await s!.send({ id: 'P1', units: 3 }, 'paid'));
    expect(h.state).toBe('handed_off');
    // 0.02 + 3 × 0.01 + 3 × 0.001
    expect(h.costUsd).toBeCloseTo(0.053, 9);
    const charged = h.events.filter((e) => e.type === 'action_succeeded').map((e) => e.data.costUsd);
    expect(charged).toEqual([0.02, expect.closeTo(0.03, 9), expect.closeTo(0.003, 9)]);
    expect(await costMetric()).toBeCloseTo(0.053, 9);
    const summary = (await s!.call('GET', '/v1/metrics/summary?flow=paid')).body as {
      totals: { cost: { totalUsd: number } };
    };
    expect(summary.totals.cost.totalUsd).toBeCloseTo(0.053, 6);
  });

  it('over the per-handoff cap, escalate with cost_cap before the call that would pass it', async () => {
    await start('{ perHandoff: 0.04 }');
    const h = await handoff(await s!.send({ id: 'P2', units: 3 }, 'paid'));
    expect(h.state).toBe('escalated');
    expect(r!.paths).toEqual(['/lookup']);
    const esc = h.events.find((e) => e.type === 'escalated')!;
    expect(esc.data).toMatchObject({ reason: 'cost_cap', cap: 'per_handoff', action: 'enrich', limit: 0.04 });
    expect(h.actions.map((a) => a.state)).toEqual(['succeeded', 'pending', 'pending']);
    expect(h.costUsd).toBeCloseTo(0.02, 9);
  });

  it("over the flow's daily cap, later handoffs stop before any paid call", async () => {
    await start('{ perDay: 0.05 }');
    const first = await handoff(await s!.send({ id: 'P3', units: 2 }, 'paid')); // 0.02 + 0.02 + 0.002
    expect(first.state).toBe('handed_off');
    const second = await handoff(await s!.send({ id: 'P4', units: 2 }, 'paid'));
    expect(second.state).toBe('escalated');
    expect(second.events.find((e) => e.type === 'escalated')!.data).toMatchObject({
      reason: 'cost_cap',
      cap: 'per_day',
      action: 'lookup',
    });
    expect(r!.paths).toEqual(['/lookup', '/enrich']);
  });

  it('a call that never left is not charged', async () => {
    r = await receiver();
    const closed = `http://127.0.0.1:${await freePort()}`;
    s = await startTemp(
      {},
      {
        'baton.yaml': project,
        'flows/paid.yaml': paidFlow(closed, '{ perHandoff: 1 }'),
        'actions/metered.mjs': METERED,
      },
    );
    const h = await handoff(await s.send({ id: 'P5', units: 1 }, 'paid'));
    expect(h.state).toBe('failed');
    expect(h.events.find((e) => e.type === 'action_failed')!.data).toMatchObject({ sent: false, costUsd: 0 });
    expect(h.costUsd).toBe(0);
  });

  it('a cost on a built-in is refused when the flow loads, with file, line and field', async () => {
    const flow = `id: free
name: Free
boundary: { from: team:ops, to: team:finance }
input: { type: object, required: [id], properties: { id: { type: string, x-trust: trusted } } }
decide:
  otherwise: { owner: team:finance }
actions:
  - { id: t, use: builtin.create_task, cost: 0.1, with: { title: x } }
handoff: { to: "\${decision.owner}" }
`;
    const e = await openTemp({ 'flows/free.yaml': flow }).catch((x: unknown) => x);
    expect(isBatonError(e) && e.code).toBe('flow_invalid');
    const d = isBatonError(e) ? e.details.find((x) => x.path === 'actions[0].cost') : undefined;
    expect(d?.message).toMatch(/costs nothing/);
    expect(d?.line).toBe(8);
  });
});
