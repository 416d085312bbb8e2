// Notices (the outbox), their deliveries, email links and the memory of signed requests seen
// (Slack replays), on PostgreSQL.
import type { DeliveryRecord, LinkRecord, OutboxRecord } from '../../core/notices.ts';
import type { ClaimOptions } from '../port.ts';
import {
  DELIVERY_COLUMNS,
  deliveryToRow,
  LINK_COLUMNS,
  linkToRow,
  rowToDelivery,
  rowToLink,
  rowToOutbox,
} from '../notice-rows.ts';
import { Where } from '../sqlite/where.ts';
import type { Db, Row } from './db.ts';
import { dollars } from './sql.ts';

export async function claimOutbox(db: Db, o: ClaimOptions): Promise<OutboxRecord[]> {
  if (o.limit <= 0) return [];
  const res = await db.run({
    name: 'baton_claim_outbox',
    text: `WITH due AS (
        SELECT id FROM outbox WHERE next_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
        ORDER BY next_at LIMIT $2 FOR UPDATE SKIP LOCKED)
      UPDATE outbox o SET lease_owner = $3, lease_until = $4 FROM due WHERE o.id = due.id RETURNING o.*`,
    values: [o.now, o.limit, o.worker, o.now + o.leaseMs],
  });
  return (res.rows as Row[]).map(rowToOutbox).sort((a, b) => (a.nextAt ?? 0) - (b.nextAt ?? 0));
}

export async function settleOutbox(
  db: Db,
  id: string,
  worker: string,
  change: Pick<OutboxRecord, 'state' | 'attempts' | 'nextAt'> & { error?: string },
): Promise<boolean> {
  const res = await db.run(
    `UPDATE outbox SET state = $1, attempts = $2, next_at = $3, error = $4, lease_owner = NULL,
      lease_until = NULL WHERE id = $5 AND lease_owner = $6`,
    [change.state, change.attempts, change.nextAt, change.error ?? null, id, worker],
  );
  return (res.rowCount ?? 0) > 0;
}

export async function outbox(
  db: Db,
  f: { handoffId?: string; state?: OutboxRecord['state']; limit?: number },
) {
  const where = new Where()
    .add(!!f.handoffId, 'handoff_id = ?', f.handoffId)
    .add(!!f.state, 'state = ?', f.state);
  const sql = `SELECT * FROM outbox ${where.sql} ORDER BY created_at, id LIMIT ?`;
  return (await db.rows(sql, [...where.params, f.limit ?? 1000])).map(rowToOutbox);
}

export async function putDelivery(db: Db, d: DeliveryRecord): Promise<void> {
  await db.run(
    `INSERT INTO deliveries (${DELIVERY_COLUMNS.join(', ')}) VALUES (${dollars(DELIVERY_COLUMNS.length)})
      ON CONFLICT (outbox_id, channel, recipient) DO UPDATE SET approval_id = excluded.approval_id,
      state = excluded.state, attempts = excluded.attempts, ref = excluded.ref, error = excluded.error,
      updated_at = excluded.updated_at`,
    deliveryToRow(d),
  );
}

export async function deliveries(db: Db, f: { outboxId?: string; approvalId?: string }) {
  const where = new Where()
    .add(!!f.outboxId, 'outbox_id = ?', f.outboxId)
    .add(!!f.approvalId, 'approval_id = ?', f.approvalId);
  const sql = `SELECT * FROM deliveries ${where.sql} ORDER BY updated_at, outbox_id, channel, recipient`;
  return (await db.rows(sql, where.params)).map(rowToDelivery);
}

export async function createLink(db: Db, l: LinkRecord): Promise<void> {
  await db.run(
    `INSERT INTO links (${LINK_COLUMNS.join(', ')}) VALUES (${dollars(LINK_COLUMNS.length)})`,
    linkToRow(l),
  );
}

export async function link(db: Db, hash: string) {
  const [r] = await db.rows('SELECT * FROM links WHERE hash = ?', [hash]);
  return r ? rowToLink(r) : undefined;
}

export async function useLink(db: Db, hash: string, now: number) {
  const [r] = await db.rows(
    'UPDATE links SET used_at = ? WHERE hash = ? AND used_at IS NULL AND expires_at > ? RETURNING *',
    [now, hash, now],
  );
  return r ? rowToLink(r) : undefined;
}

export async function releaseLink(db: Db, hash: string, usedAt: number): Promise<void> {
  await db.run('UPDATE links SET used_at = NULL WHERE hash = $1 AND used_at = $2', [hash, usedAt]);
}

export async function rememberRequest(
  db: Db,
  key: string,
  at: number,
  forgetBefore: number,
): Promise<boolean> {
  await db.run('DELETE FROM seen_requests WHERE at < $1', [forgetBefore]);
  const res = await db.run(
    'INSERT INTO seen_requests (key, at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING',
    [key, at],
  );
  return (res.rowCount ?? 0) > 0;
}
