// Test fixture: a project with three flows (auto, suggest, shadow) and a day's worth of work
// driven through the service: accept, decline, return, reassign, complete, cancel, approvals,
// an SLA breach with escalation, shadow observations. Tests assert exact figures on top of it.
// The project is written here, not copied from examples/, so edits to the examples cannot move
// the figures the tests expect.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SqliteStore } from '../store/sqlite/store.ts';
import { Baton } from '../service/baton.ts';

export const PROJECT = `storage: sqlite:./data/baton.db
people:
  - { id: dana, name: Dana Ruiz, roles: [cfo] }
  - { id: sam, name: Sam Lee, roles: [sales-manager] }
  - { id: ari, name: Ari Novak, roles: [finance-manager] }
  - { id: kim, name: Kim Park }
  - { id: lee, name: Lee Chen }
  - { id: ops, name: Ops Desk }
  - { id: eng, name: Eve Engineer }
teams:
  - { id: marketing, name: Marketing, members: [], manager: sam }
  - { id: enterprise-sales, name: Enterprise sales, members: [kim], manager: sam }
  - { id: smb-sales, name: SMB sales, members: [lee], manager: sam }
  - { id: sales-ops, name: Sales ops, members: [ops], manager: sam }
  - { id: ops, name: Operations, members: [ops], manager: dana }
  - { id: support, name: Support, members: [ops], manager: dana }
  - { id: eng-tier2, name: Engineering tier 2, members: [eng], manager: dana }
  - { id: eng-oncall, name: Engineering on-call, members: [eng], manager: dana }
  - { id: finance, name: Finance, members: [ari], manager: dana }
fallbackOwner: team:ops
`;

export const ACCOUNTS = `domain,company,owner
acme.com,Acme Corp,kim
globex.com,Globex,lee
`;

export const LEAD_FLOW = `id: lead-to-owner
name: Qualified lead to account owner
boundary: { from: team:marketing, to: team:sales-ops }
input:
  type: object
  required: [id, company, email]
  properties:
    id: { type: string }
    company: { type: string }
    email: { type: string }
    amount: { type: number }
idempotencyKey: input.id
context:
  - { name: account, use: builtin.lookup, with: { table: accounts, where: { domain: "\${input.email.split('@')[1]}" } } }
decide:
  rules:
    - { name: existing account, when: 'context.account != null', owner: 'user:\${context.account.owner}', actions: [task, tell] }
    - { name: enterprise, when: 'has(input.amount) && input.amount > 5000.0', owner: team:enterprise-sales }
    - { name: smb, when: 'has(input.amount)', owner: team:smb-sales, actions: [task, tell] }
  otherwise: { owner: team:sales-ops, actions: [task] }
actions:
  - { id: task, use: builtin.create_task, with: { title: 'Call \${input.company}' } }
  - id: quote
    use: builtin.draft_reply
    with: { subject: 'Your quote, \${input.company}', body: 'Hello \${input.company}' }
    approval:
      when: 'input.amount > 50000.0'
      levels: [{ approvers: [role:sales-manager], quorum: 1 }]
      timeout: 4h
      onTimeout: escalate
      onReject: skip
  - { id: tell, use: builtin.notify_owner, with: { text: 'New lead: \${input.company}' } }
mode: auto
contract: { required: [input.company, input.email, decision.owner] }
handoff:
  to: '\${decision.owner}'
  acceptWithin: 15m
  fallbackOwner: team:sales-ops
  escalate:
    - { after: 15m, remind: owner }
    - { after: 30m, to: team:sales-ops }
    - { after: 2h, to: manager }
`;

export const BILLING_FLOW = `id: billing
name: Invoice to finance
boundary: { from: team:support, to: team:finance }
input:
  type: object
  required: [id]
  properties: { id: { type: string }, amount: { type: number } }
idempotencyKey: input.id
decide:
  otherwise: { owner: team:finance }
mode: suggest
handoff: { to: '\${decision.owner}', fallbackOwner: team:finance }
`;

export const TRIAGE_FLOW = `id: triage
name: Ticket triage
boundary: { from: team:support, to: team:eng-tier2 }
input:
  type: object
  required: [id, severity]
  properties: { id: { type: string }, severity: { type: string } }
idempotencyKey: input.id
decide:
  rules:
    - { name: sev1, when: "input.severity == 'sev1'", owner: team:eng-oncall }
  otherwise: { owner: team:eng-tier2 }
mode: shadow
handoff: { to: '\${decision.owner}' }
`;

export const HOUR = 3_600_000;

const intakeActor = { kind: 'system' as const, id: 'test', via: 'test' };
const asUser = (user: string, access: 'admin' | 'operator' | 'viewer' = 'viewer') => ({
  user,
  access,
  via: 'test',
});

/** Lets time pass so that every latency is above zero. */
const tick = () => sleep(15);

export interface Scenario {
  baton: Baton;
  ids: Record<string, string>;
  /** Before the first handoff; L5 was moved an hour before it. */
  start: number;
  close(): Promise<void>;
}

/** A fresh project folder with the three flows, opened on its own SQLite file, no worker. */
export async function openScenarioProject() {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-metrics-'));
  mkdirSync(path.join(dir, 'flows'));
  mkdirSync(path.join(dir, 'tables'));
  writeFileSync(path.join(dir, 'baton.yaml'), PROJECT);
  writeFileSync(path.join(dir, 'tables', 'accounts.csv'), ACCOUNTS);
  writeFileSync(path.join(dir, 'flows', 'lead-to-owner.yaml'), LEAD_FLOW);
  writeFileSync(path.join(dir, 'flows', 'billing.yaml'), BILLING_FLOW);
  writeFileSync(path.join(dir, 'flows', 'triage.yaml'), TRIAGE_FLOW);
  try {
    const baton = await Baton.open({
      dir,
      storage: `sqlite:${path.join(dir, 'data', 'baton.db')}`,
      worker: false,
    });
    return {
      baton,
      dir,
      async close() {
        await baton.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * lead-to-owner: L1 accepted+completed by kim; L2 declined by lee (wrong_owner), then accepted and
 * completed by ops; L3 accepted by kim, returned (missing_info), reassigned by ops to lee; L4 quote
 * approved by sam; L5 quote rejected by sam, then an hour late: SLA breached and escalated
 * (sla_breach); L6 to smb-sales, waiting; L7 cancelled by ops.
 * billing (suggest): B1 confirmed with a corrected owner (overridden), B2 confirmed and accepted.
 * triage (shadow): T1 observed in agreement, T2 observed in disagreement, T3 not observed.
 */
export async function runScenario(onOpen?: (baton: Baton) => void): Promise<Scenario> {
  const env = await openScenarioProject();
  const { baton } = env;
  onOpen?.(baton);
  const start = Date.now();
  const ids: Record<string, string> = {};
  const send = async (key: string, flow: string, input: Record<string, unknown>) => {
    ids[key] = (await baton.send(flow, { id: key, ...input }, intakeActor)).id;
  };
  await send('L1', 'lead-to-owner', { company: 'Acme', email: 'jo@acme.com' });
  await send('L2', 'lead-to-owner', { company: 'Globex', email: 'al@globex.com' });
  await send('L3', 'lead-to-owner', { company: 'New', email: 'x@new.io', amount: 6000 });
  await send('L4', 'lead-to-owner', { company: 'Big', email: 'y@big.io', amount: 90000 });
  await send('L5', 'lead-to-owner', { company: 'Big2', email: 'z@big2.io', amount: 80000 });
  await send('L6', 'lead-to-owner', { company: 'Small', email: 's@small.io', amount: 100 });
  await send('L7', 'lead-to-owner', { company: 'None', email: 'n@none.io' });
  await send('B1', 'billing', { amount: 10 });
  await send('B2', 'billing', { amount: 20 });
  await send('T1', 'triage', { severity: 'sev1' });
  await send('T2', 'triage', { severity: 'sev2' });
  await send('T3', 'triage', { severity: 'sev3' });
  await baton.engine.drain();
  await tick();

  const id = (k: string) => ids[k]!;
  await baton.accept(id('L1'), asUser('kim'));
  await baton.decline(id('L2'), asUser('lee'), 'wrong_owner', 'not my account');
  await baton.accept(id('L3'), asUser('kim'));
  await baton.decide(id('L4'), asUser('sam'), 'approve');
  await baton.decide(id('L5'), asUser('sam'), 'reject', 'too early');
  await baton.decide(id('B1'), asUser('ari'), 'approve', undefined, { owner: 'user:dana' });
  await baton.decide(id('B2'), asUser('ari'), 'approve');
  await baton.observed(id('T1'), asUser('ops', 'operator'), 'team:eng-oncall');
  await baton.observed(id('T2'), asUser('ops', 'operator'), 'team:eng-oncall');
  await baton.engine.drain();
  await tick();

  await baton.complete(id('L1'), asUser('kim'));
  await baton.accept(id('L2'), asUser('ops'));
  await baton.giveBack(id('L3'), asUser('kim'), 'missing_info');
  await baton.accept(id('B2'), asUser('ari'));
  await baton.cancel(id('L7'), asUser('ops', 'operator'));
  await tick();
  await baton.complete(id('L2'), asUser('ops'));
  await baton.reassign(id('L3'), asUser('ops'), 'user:lee');

  // L5 has waited an hour: its clocks fire on the next claim.
  (baton.store as SqliteStore).unsafeExec(
    `UPDATE handoffs SET created_at = created_at - ${HOUR}, handed_off_at = handed_off_at - ${HOUR},
     wake_at = 0 WHERE id = '${id('L5')}'`,
  );
  await baton.engine.drain();
  return { baton, ids, start, close: () => env.close() };
}
