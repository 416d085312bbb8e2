// The SQLite store's prepared statements and multi-row inserts, made once per connection.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { FLOW_VERSIONS_SQL, HANDOFF_COLUMNS, TOKEN_COLUMNS } from '../rows.ts';
import { DELIVERY_COLUMNS, LINK_COLUMNS, OUTBOX_COLUMNS } from '../notice-rows.ts';
import { EVENT_BATCH_COLUMNS, EVENT_BATCH_WIDTH } from '../event-batches.ts';
import { BulkInsert } from './bulk.ts';

export const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');
const HANDOFF_UPDATE_SET = HANDOFF_COLUMNS.slice(1)
  .map((c) => `${c} = ?`)
  .join(', ');

export function prepareBulk(db: DatabaseSync) {
  return {
    events: new BulkInsert(
      db,
      'INSERT INTO event_batches (handoff_id, seq, events, prev_hash)',
      EVENT_BATCH_WIDTH,
    ),
    actions: new BulkInsert(
      db,
      `INSERT INTO actions (handoff_id, id, ord, use, state, risk, idem_key, params, result, error, calls,
      started_attempt, next_attempt_at, approval_id, updated_at, undo)`,
      16,
      `ON CONFLICT (handoff_id, id) DO UPDATE SET ord = excluded.ord, use = excluded.use, state = excluded.state,
      risk = excluded.risk, idem_key = excluded.idem_key, params = excluded.params, result = excluded.result,
      error = excluded.error, calls = excluded.calls, started_attempt = excluded.started_attempt,
      next_attempt_at = excluded.next_attempt_at, approval_id = excluded.approval_id, updated_at = excluded.updated_at,
      undo = excluded.undo`,
    ),
    ledger: new BulkInsert(
      db,
      'INSERT INTO ledger (handoff_id, seq, owner, from_at, to_at, reason, status, by_user)',
      8,
      `ON CONFLICT (handoff_id, seq) DO UPDATE SET to_at = excluded.to_at, status = excluded.status,
      reason = excluded.reason, by_user = excluded.by_user`,
    ),
    tasks: new BulkInsert(
      db,
      'INSERT INTO tasks (id, handoff_id, kind, title, body, assignee, state, created_at, data)',
      9,
      `ON CONFLICT (id) DO UPDATE SET title = excluded.title, body = excluded.body, assignee = excluded.assignee,
      state = excluded.state, data = excluded.data`,
    ),
    inbox: new BulkInsert(db, 'INSERT INTO inbox (id, owner, handoff_id, kind, text, created_at)', 6),
    outbox: new BulkInsert(db, `INSERT INTO outbox (${OUTBOX_COLUMNS.join(', ')})`, OUTBOX_COLUMNS.length),
  };
}

export function prepareStatements(db: DatabaseSync) {
  const p = (sql: string): StatementSync => db.prepare(sql);
  return {
    publishFlow: p(`INSERT INTO flow_versions (version, flow_id, name, def, source, published_at)
      VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (version) DO NOTHING`),
    flowVersion: p('SELECT * FROM flow_versions WHERE version = ?'),
    flowVersions: p(FLOW_VERSIONS_SQL),
    insertHandoff:
      p(`INSERT INTO handoffs (${HANDOFF_COLUMNS.join(', ')}) VALUES (${placeholders(HANDOFF_COLUMNS.length)})
      ON CONFLICT (flow_id, idem_key) DO NOTHING`),
    updateHandoff: p(`UPDATE handoffs SET ${HANDOFF_UPDATE_SET} WHERE id = ? AND rev = ?`),
    byKey: p('SELECT id, state FROM handoffs WHERE flow_id = ? AND idem_key = ?'),
    byKeyFull: p('SELECT * FROM handoffs WHERE flow_id = ? AND idem_key = ?'),
    get: p('SELECT * FROM handoffs WHERE id = ?'),
    headOf: p('SELECT rev, head_hash FROM handoffs WHERE id = ?'),
    upsertApproval: p(`INSERT INTO approvals (id, handoff_id, flow_id, state, requested_at, decided_at, body)
      VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state,
      decided_at = excluded.decided_at, body = excluded.body`),
    upsertLedger: p(`INSERT INTO ledger (handoff_id, seq, owner, from_at, to_at, reason, status, by_user)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (handoff_id, seq) DO UPDATE SET to_at = excluded.to_at,
      status = excluded.status, reason = excluded.reason, by_user = excluded.by_user`),
    upsertTask: p(`INSERT INTO tasks (id, handoff_id, kind, title, body, assignee, state, created_at, data)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET title = excluded.title, body = excluded.body,
      assignee = excluded.assignee, state = excluded.state, data = excluded.data`),
    insertInbox: p(
      'INSERT INTO inbox (id, owner, handoff_id, kind, text, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    lastCheckpoint: p('SELECT seq, hash FROM checkpoints ORDER BY seq DESC LIMIT 1'),
    insertCheckpoint: p('INSERT INTO checkpoints (seq, at, heads, prev_hash, hash) VALUES (?, ?, ?, ?, ?)'),
    due: p(`SELECT * FROM handoffs WHERE wake_at <= ? AND (lease_until IS NULL OR lease_until < ?)
      ORDER BY wake_at LIMIT ?`),
    // A leased handoff is next due when its lease ends (see storedWake).
    lease: p(
      'UPDATE handoffs SET attempt = ?, rev = ?, lease_owner = ?, lease_until = ?, wake_at = ? WHERE id = ?',
    ),
    nextWake: p('SELECT MIN(wake_at) AS w FROM handoffs WHERE wake_at IS NOT NULL'),
    leaseHolders: p(`SELECT lease_owner FROM handoffs WHERE lease_owner IS NOT NULL
      UNION SELECT lease_owner FROM outbox WHERE lease_owner IS NOT NULL ORDER BY lease_owner`),
    releaseOutboxLeases: p('UPDATE outbox SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?'),
    releaseLeases: p(
      // Released work is due at once: since its last step (it was in progress).
      'UPDATE handoffs SET lease_owner = NULL, lease_until = NULL, rev = rev + 1, wake_at = updated_at WHERE lease_owner = ?',
    ),
    actionsOf: p('SELECT * FROM actions WHERE handoff_id = ? ORDER BY ord'),
    approvalsOf: p('SELECT body FROM approvals WHERE handoff_id = ? ORDER BY requested_at'),
    ledgerOf: p('SELECT * FROM ledger WHERE handoff_id = ? ORDER BY seq'),
    eventsOf: p(`SELECT ${EVENT_BATCH_COLUMNS} FROM event_batches WHERE handoff_id = ? ORDER BY seq`),
    approval: p('SELECT body FROM approvals WHERE id = ?'),
    createToken: p(`INSERT INTO tokens (${TOKEN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    createFirstToken: p(
      `INSERT INTO tokens (${TOKEN_COLUMNS}) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM tokens)`,
    ),
    tokenByHash: p('SELECT * FROM tokens WHERE hash = ?'),
    revokeToken: p('UPDATE tokens SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL'),
    listTokens: p('SELECT * FROM tokens ORDER BY created_at'),
    heads: p('SELECT id, event_seq, head_hash FROM handoffs WHERE id > ? ORDER BY id LIMIT ?'),
    dueOutbox: p(`SELECT * FROM outbox WHERE next_at <= ? AND (lease_until IS NULL OR lease_until < ?)
      ORDER BY next_at LIMIT ?`),
    leaseOutbox: p('UPDATE outbox SET lease_owner = ?, lease_until = ? WHERE id = ?'),
    settleOutbox: p(`UPDATE outbox SET state = ?, attempts = ?, next_at = ?, error = ?, lease_owner = NULL,
      lease_until = NULL WHERE id = ? AND lease_owner = ?`),
    putDelivery:
      p(`INSERT INTO deliveries (${DELIVERY_COLUMNS.join(', ')}) VALUES (${placeholders(DELIVERY_COLUMNS.length)})
      ON CONFLICT (outbox_id, channel, recipient) DO UPDATE SET approval_id = excluded.approval_id,
      state = excluded.state, attempts = excluded.attempts, ref = excluded.ref, error = excluded.error,
      updated_at = excluded.updated_at`),
    createLink: p(
      `INSERT INTO links (${LINK_COLUMNS.join(', ')}) VALUES (${placeholders(LINK_COLUMNS.length)})`,
    ),
    link: p('SELECT * FROM links WHERE hash = ?'),
    useLink: p(
      'UPDATE links SET used_at = ? WHERE hash = ? AND used_at IS NULL AND expires_at > ? RETURNING *',
    ),
    releaseLink: p('UPDATE links SET used_at = NULL WHERE hash = ? AND used_at = ?'),
    forgetRequests: p('DELETE FROM seen_requests WHERE at < ?'),
    rememberRequest: p('INSERT INTO seen_requests (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING'),
    checkpoints: p('SELECT * FROM checkpoints WHERE seq > ? ORDER BY seq LIMIT ?'),
  };
}
