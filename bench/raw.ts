// The raw limit: plain node:sqlite writing the same rows a lead-to-owner handoff writes (one
// handoff row, six events in one batch row, two actions, two ledger entries, a task, an inbox message), with
// synchronous=FULL — once with a transaction per handoff, once in batches.
import { DatabaseSync } from 'node:sqlite';
import { createHash } from 'node:crypto';
import { applyMigrations } from '../src/store/sqlite/migrate.ts';
import { HANDOFF_COLUMNS } from '../src/store/rows.ts';

/** The rows of one handed-off lead-to-owner handoff, column values in table order. */
export interface RawRows {
  handoff: unknown[];
  events: unknown[][];
  actions: unknown[][];
  ledger: unknown[][];
  tasks: unknown[][];
  inbox: unknown[][];
}

const input = JSON.stringify({ id: 'x', company: 'Company', email: 'buyer@acme.com', amount: 6500 });
const context = JSON.stringify({
  account: { domain: 'acme.com', company: 'Acme Corp', owner: 'kim', tier: 'enterprise' },
});
const decision = JSON.stringify({
  owner: 'user:kim',
  actions: ['task', 'tell'],
  by: 'rule',
  rule: { index: 0, name: 'existing account', when: 'context.account != null' },
  reads: { 'context.account': {} },
  policyVersions: {},
});
const hash = (s: string) => createHash('sha256').update(s).digest('hex');

export function rawRows(i: number, prefix = 'h_raw_'): RawRows {
  const id = `${prefix}${i}`;
  const now = Date.now();
  const handoff = [
    id,
    'lead-to-owner',
    'v1',
    'auto',
    `k${id}`,
    'handed_off',
    'user:kim',
    'team:marketing',
    'team:sales-ops',
    input,
    context,
    decision,
    null,
    null,
    now,
    now,
    now,
    null,
    null,
    now + 900_000,
    0,
    0,
    0,
    0,
    2,
    1,
    null,
    null,
    6,
    'h',
    null, // provenance (rule-decided: none)
    null, // model_state
  ];
  if (handoff.length !== HANDOFF_COLUMNS.length)
    throw new Error(
      `bench/raw.ts writes ${handoff.length} handoff columns; the store has ${HANDOFF_COLUMNS.length}`,
    );
  // The six events as the store keeps them: one batch row, each event hash-chained.
  const list: unknown[][] = [];
  let prev = '0'.repeat(64);
  for (let s = 1; s <= 6; s++) {
    const data = s === 3 ? decision : '{"action":"task","result":{"taskId":"t"}}';
    const h = hash(prev + data);
    list.push([s, now, 'event', 'engine', 'lead-to-owner', null, data, h]);
    prev = h;
  }
  const events = [[id, 6, JSON.stringify(list), '0'.repeat(64)]];
  const action = (aid: string, ord: number, use: string, params: string, result: string) => [
    id,
    aid,
    ord,
    use,
    'succeeded',
    'low',
    `${id}:${aid}`,
    params,
    result,
    null,
    1,
    null,
    null,
    null,
    now,
  ];
  return {
    handoff,
    events,
    actions: [
      action('task', 0, 'builtin.create_task', '{"title":"Call Company"}', '{"taskId":"t"}'),
      action('tell', 1, 'builtin.notify_owner', '{"text":"New lead"}', '{"messageId":"m"}'),
    ],
    ledger: [
      [id, 1, 'agent:lead-to-owner', now, now, 'received', 'released', null],
      [id, 2, 'user:kim', now, null, 'decision:rule', 'pending', null],
    ],
    tasks: [[`t_${id}`, id, 'task', 'Call Company', null, 'user:kim', 'open', now, null]],
    inbox: [[`m_${id}`, 'user:kim', id, 'notification', 'New lead: Company', now]],
  };
}

export function runRaw(file: string, total: number, batch: number): { perSecond: number; seconds: number } {
  const db = new DatabaseSync(file);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;');
  applyMigrations(db);
  const q = (n: number) => Array.from({ length: n }, () => '?').join(', ');
  const handoff = db.prepare(
    `INSERT INTO handoffs (${HANDOFF_COLUMNS.join(', ')}) VALUES (${q(HANDOFF_COLUMNS.length)})`,
  );
  const event = db.prepare(`INSERT INTO event_batches VALUES (${q(4)})`);
  const action = db.prepare(`INSERT INTO actions VALUES (${q(15)})`);
  const ledger = db.prepare(`INSERT INTO ledger VALUES (${q(8)})`);
  const task = db.prepare(`INSERT INTO tasks VALUES (${q(9)})`);
  const inbox = db.prepare(`INSERT INTO inbox VALUES (${q(6)})`);
  type Value = null | number | string;
  const write = (i: number) => {
    const r = rawRows(i);
    handoff.run(...(r.handoff as Value[]));
    for (const e of r.events) event.run(...(e as Value[]));
    for (const a of r.actions) action.run(...(a as Value[]));
    for (const l of r.ledger) ledger.run(...(l as Value[]));
    for (const t of r.tasks) task.run(...(t as Value[]));
    for (const m of r.inbox) inbox.run(...(m as Value[]));
  };
  const t0 = performance.now();
  for (let i = 0; i < total; i += batch) {
    db.exec('BEGIN IMMEDIATE');
    for (let j = i; j < Math.min(total, i + batch); j++) write(j);
    db.exec('COMMIT');
  }
  const seconds = (performance.now() - t0) / 1000;
  db.close();
  return { perSecond: total / seconds, seconds };
}
