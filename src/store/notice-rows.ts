// Rows of the notices (outbox), their deliveries and email links ↔ records (see rows.ts).
import type { DeliveryRecord, LinkRecord, OutboxRecord } from '../core/notices.ts';
import { num, optNum, optStr, optJson, type Row } from './row-values.ts';

export const OUTBOX_COLUMNS = [
  'id',
  'handoff_id',
  'kind',
  'owner',
  'approval_id',
  'text',
  'created_at',
  'state',
  'attempts',
  'next_at',
] as const;

export function outboxToRow(o: OutboxRecord): unknown[] {
  return [
    o.id,
    o.handoffId,
    o.kind,
    o.owner,
    o.approvalId ?? null,
    o.text,
    o.createdAt,
    o.state,
    o.attempts,
    o.nextAt,
  ];
}

export function rowToOutbox(r: Row): OutboxRecord {
  const o: OutboxRecord = {
    id: String(r.id),
    handoffId: String(r.handoff_id),
    kind: String(r.kind) as OutboxRecord['kind'],
    owner: String(r.owner),
    text: String(r.text),
    createdAt: num(r.created_at),
    state: String(r.state) as OutboxRecord['state'],
    attempts: num(r.attempts),
    nextAt: r.next_at === null ? null : num(r.next_at),
  };
  const approvalId = optStr(r.approval_id);
  if (approvalId !== undefined) o.approvalId = approvalId;
  const leaseOwner = optStr(r.lease_owner);
  if (leaseOwner !== undefined) o.leaseOwner = leaseOwner;
  const leaseUntil = optNum(r.lease_until);
  if (leaseUntil !== undefined) o.leaseUntil = leaseUntil;
  const error = optStr(r.error);
  if (error !== undefined) o.error = error;
  return o;
}

export const DELIVERY_COLUMNS = [
  'outbox_id',
  'channel',
  'recipient',
  'approval_id',
  'state',
  'attempts',
  'ref',
  'error',
  'updated_at',
] as const;

export function deliveryToRow(d: DeliveryRecord): unknown[] {
  return [
    d.outboxId,
    d.channel,
    d.recipient,
    d.approvalId ?? null,
    d.state,
    d.attempts,
    d.ref ? JSON.stringify(d.ref) : null,
    d.error ?? null,
    d.updatedAt,
  ];
}

export function rowToDelivery(r: Row): DeliveryRecord {
  const d: DeliveryRecord = {
    outboxId: String(r.outbox_id),
    channel: String(r.channel) as DeliveryRecord['channel'],
    recipient: String(r.recipient),
    state: String(r.state) as DeliveryRecord['state'],
    attempts: num(r.attempts),
    updatedAt: num(r.updated_at),
  };
  const approvalId = optStr(r.approval_id);
  if (approvalId !== undefined) d.approvalId = approvalId;
  const ref = optJson<Record<string, string>>(r.ref);
  if (ref !== undefined) d.ref = ref;
  const error = optStr(r.error);
  if (error !== undefined) d.error = error;
  return d;
}

export const LINK_COLUMNS = [
  'hash',
  'kind',
  'subject',
  'handoff_id',
  'user_id',
  'created_at',
  'expires_at',
  'used_at',
] as const;

export function linkToRow(l: LinkRecord): unknown[] {
  return [l.hash, l.kind, l.subject, l.handoffId, l.userId, l.createdAt, l.expiresAt, l.usedAt ?? null];
}

export function rowToLink(r: Row): LinkRecord {
  const l: LinkRecord = {
    hash: String(r.hash),
    kind: String(r.kind) as LinkRecord['kind'],
    subject: String(r.subject),
    handoffId: String(r.handoff_id),
    userId: String(r.user_id),
    createdAt: num(r.created_at),
    expiresAt: num(r.expires_at),
  };
  const usedAt = optNum(r.used_at);
  if (usedAt !== undefined) l.usedAt = usedAt;
  return l;
}
