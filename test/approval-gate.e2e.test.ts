// The approval gate whoever decided: the trust boundary for rule decisions, a timeout that
// decides its own level only (and the explicit approve-all), and a quorum nobody can reach
// noticed when the approval opens.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { asUser, EXAMPLES, intakeActor, invoice, loopbackAllowed, openTemp } from './support/project.ts';
import { payout, payoutFiles, payoutFlow, transfers } from './support/payout-flow.ts';

const MIN = 60_000;
let env: Awaited<ReturnType<typeof openTemp>> | undefined;
let sink: Server | undefined;
beforeEach(() => {
  transfers().length = 0;
});
afterEach(async () => {
  vi.useRealTimers();
  await env?.close();
  env = undefined;
  sink?.close();
  sink = undefined;
});

async function open(extra: Record<string, string> = {}) {
  env = await openTemp({ ...payoutFiles(), ...extra }, { worker: false });
  return env.baton;
}

describe('onTimeout approve decides its own level only', () => {
  it('a timed-out first level asks the next, with a clock of its own; the high-risk transfer waits for it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const baton = await open();
    const { id } = await baton.send('payout-approve', payout('A1', 20000), intakeActor);
    await baton.engine.drain();
    vi.setSystemTime(t0 + 121 * MIN);
    await baton.engine.drain();
    let h = await baton.get(id);
    expect(h.state).toBe('awaiting_approval');
    expect(h.approvals[0]).toMatchObject({ state: 'pending', level: 1, timedOutLevels: [0] });
    expect(Date.parse(h.approvals[0]!.timeoutAt!)).toBe(t0 + 121 * MIN + 120 * MIN);
    expect(transfers()).toEqual([]);
    expect(h.events.find((e) => e.type === 'approval_timed_out')?.data).toMatchObject({
      level: 0,
      levelNumber: 1,
      onTimeout: 'approve',
      decides: 'level',
      next: 1,
    });
    const inbox = (await baton.inbox()).filter((m) => m.handoffId === id && m.owner === 'role:cfo');
    expect(inbox.map((m) => m.text)).toEqual([
      expect.stringMatching(/^Approval needed at level 2 of 2 \(CFO\) \(level 1 timed out\): /),
    ]);

    await baton.decide(id, asUser('dana'), 'approve');
    await baton.engine.drain();
    h = await baton.get(id);
    expect(h.approvals[0]).toMatchObject({ state: 'approved', decidedBy: { label: 'human', user: 'dana' } });
    expect(transfers()).toEqual([{ amount: 20000, to: 'acct-A1' }]);
  });

  it('approve-all is the explicit opt-in: one timeout approves the whole gate', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const baton = await open({
      'flows/payout-all.yaml': payoutFlow('payout-all').replace(
        'onTimeout: escalate',
        'onTimeout: approve-all',
      ),
    });
    const { id } = await baton.send('payout-all', payout('A2', 20000), intakeActor);
    await baton.engine.drain();
    vi.setSystemTime(t0 + 121 * MIN);
    await baton.engine.drain();
    const h = await baton.get(id);
    expect(h.approvals[0]).toMatchObject({ state: 'approved', level: 0, decidedBy: { label: 'timeout' } });
    expect(transfers()).toEqual([{ amount: 20000, to: 'acct-A2' }]);
  });
});

describe('a quorum nobody can reach', () => {
  /** Two finance managers only; ari stands in for nobody, tom stands in for ari. */
  const twoManagers = () =>
    readFileSync(path.join(EXAMPLES, 'baton.yaml'), 'utf8').replace(
      '- { id: jules, name: Jules Martin, email: jules@example.com, roles: [finance-manager] }',
      '- { id: jules, name: Jules Martin, email: jules@example.com, roles: [] }',
    ) + '\ndelegations:\n  - { from: ari, to: tom, until: 2099-12-31 }\n';

  it('quorum 2 among two holders, one of them the requester: escalates at once, naming why', async () => {
    const baton = await open({ 'baton.yaml': twoManagers() });
    const { id } = await baton.send('invoice-approval', invoice('U1', 200000, 'ari'), intakeActor);
    await baton.engine.drain();
    const h = await baton.get(id);
    expect(h.state).toBe('escalated');
    expect(h.approvals).toEqual([]);
    expect(h.actions.find((a) => a.id === 'pay')).toMatchObject({ state: 'skipped' });
    const refused = h.events.find((e) => e.type === 'approval_refused')!;
    expect(refused.data).toMatchObject({
      reason: 'approval_unreachable',
      level: 1,
      levelName: 'two finance managers',
      quorum: 2,
      possibleVoters: ['noor'],
      requesters: ['ari'],
    });
    expect(String(refused.data.problem)).toMatch(/needs 2 approvals .* only 1 person could give one/);
    expect(h.events.find((e) => e.type === 'escalated')?.data.reason).toBe('approval_unreachable');
    const { metricsSummary } = await import('../src/metrics/summary.ts');
    expect((await metricsSummary(baton.store, {})).escalations.byReason).toContainEqual(
      expect.objectContaining({ flow: 'invoice-approval', reason: 'approval_unreachable', handoffs: 1 }),
    );
  });

  it('the same quorum opens when the requester holds no vote', async () => {
    const baton = await open({ 'baton.yaml': twoManagers() });
    const { id } = await baton.send('invoice-approval', invoice('U2', 200000, 'olga'), intakeActor);
    await baton.engine.drain();
    const h = await baton.get(id);
    expect(h.state).toBe('awaiting_approval');
    expect(h.approvals[0]!.levels.map((l) => [l.name, l.quorum])).toEqual([
      ['two finance managers', 2],
      ['CFO', 1],
    ]);
  });
});

describe('an edit that needs a level nobody could approve', () => {
  it('is refused with the field, and changes nothing', async () => {
    const baton = await open();
    // dana is the only CFO and asked for this payout: an edit past 10k would need her.
    const { id } = await baton.send('payout', payout('E1', 5000, 'dana'), intakeActor);
    await baton.engine.drain();
    await expect(
      baton.decide(id, asUser('ari'), 'approve', undefined, { params: { amount: 12500 } }),
    ).rejects.toMatchObject({
      code: 'validation_failed',
      message: expect.stringMatching(
        /would add a level nobody could approve: the added level \(CFO\) needs 1 approval from role:cfo/,
      ),
      details: [{ path: 'edits.params' }],
    });
    const h = await baton.get(id);
    expect(h.actions[0]!.params.amount).toBe(5000);
    expect(h.approvals[0]).toMatchObject({ state: 'pending', votes: [] });
    expect(h.approvals[0]!.levels).toHaveLength(1);
  });
});

describe('suggest mode', () => {
  it('the person who sent the work in does not confirm its routing', async () => {
    const baton = await open({
      'flows/suggest.yaml': `id: suggest
name: Suggest
boundary: { from: team:ops, to: team:finance }
input: { type: object, required: [id], properties: { id: { type: string, pattern: "^[A-Z0-9]+$" } } }
idempotencyKey: input.id
mode: suggest
decide:
  otherwise: { owner: team:finance }
handoff: { to: "\${decision.owner}" }
`,
    });
    const { id } = await baton.send('suggest', { id: 'G1' }, { kind: 'user', id: 'ari', via: 'api' });
    await baton.engine.drain();
    const [ap] = await baton.approvals('pending', id);
    expect(ap).toMatchObject({ kind: 'decision', requesters: ['ari'] });
    await expect(baton.decide(id, asUser('ari'), 'approve')).rejects.toThrow(/no self-approval/);
    await baton.decide(id, asUser('noor'), 'approve');
    await baton.engine.drain();
    expect((await baton.get(id)).state).toBe('handed_off');
  });
});

describe('the trust boundary whoever decided', () => {
  async function endpoint(): Promise<{ url: string; bodies: string[] }> {
    const bodies: string[] = [];
    sink = createServer((req, res) => {
      let b = '';
      req.on('data', (c: Buffer) => (b += c.toString()));
      req.on('end', () => {
        bodies.push(b);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => sink!.listen(0, '127.0.0.1', r));
    const a = sink.address();
    return { url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`, bodies };
  }
  const hookFlow = (url: string) => `id: hook
name: Forward a note
boundary: { from: team:ops, to: team:finance }
input:
  type: object
  required: [id, note]
  properties: { id: { type: string, pattern: "^[A-Z0-9]+$" }, note: { type: string } }
idempotencyKey: input.id
decide:
  rules:
    - { name: always, when: "true", owner: team:finance }
  otherwise: { owner: team:finance }
actions:
  - { id: post, use: http.post, with: { url: "${url}/notes", body: { note: "\${input.note}" } } }
handoff: { to: "\${decision.owner}" }
`;

  it('a rule decision sends untrusted input out only after a person approves (trust-boundary)', async () => {
    const ep = await endpoint();
    const baton = await open({ ...loopbackAllowed(), 'flows/hook.yaml': hookFlow(ep.url) });
    const { id } = await baton.send('hook', { id: 'N1', note: 'ignore previous instructions' }, intakeActor);
    await baton.engine.drain();
    let h = await baton.get(id);
    expect(h.decision).toMatchObject({ by: 'rule' });
    expect(h.state).toBe('awaiting_approval');
    expect(h.approvals[0]).toMatchObject({
      policyVersion: 'trust-boundary',
      levels: [{ name: 'trust boundary', approvers: ['team:finance'], quorum: 1, fallback: true }],
    });
    expect(ep.bodies).toEqual([]);
    await baton.decide(id, asUser('noor'), 'approve');
    await baton.engine.drain();
    h = await baton.get(id);
    expect(h.state).toBe('handed_off');
    expect(ep.bodies.map((b) => JSON.parse(b))).toEqual([{ note: 'ignore previous instructions' }]);
  });

  it('a trusted note (x-trust: trusted) goes out without approval', async () => {
    const ep = await endpoint();
    const baton = await open({
      ...loopbackAllowed(),
      'flows/hook.yaml': hookFlow(ep.url).replace(
        'note: { type: string }',
        'note: { type: string, x-trust: trusted }',
      ),
    });
    const { id } = await baton.send('hook', { id: 'N2', note: 'hello' }, intakeActor);
    await baton.engine.drain();
    expect((await baton.get(id)).state).toBe('handed_off');
    expect(ep.bodies).toHaveLength(1);
  });
});
