// Per-owner figures. Queues are "now" (what each owner holds at this moment, whatever its age);
// activity covers the period (the ownership ledger of the handoffs created since `since`): how
// much each owner was given, how fast they accepted it, and how often they sent it back.
import type { HandoffState } from '../core/types.ts';
import type { Store } from '../store/port.ts';
import { rate } from './figures.ts';
import { Quantiles, type Percentiles } from './quantiles.ts';
import { cmp, filterWhere, num, optNum, PAGE, scopeWhere, Sql, truthy, type Filter } from './sql.ts';

/** Work a person holds now. Ages are seconds since the current owner got it. */
export interface OwnerQueue {
  owner: string;
  /** Waiting for this owner to act: handed_off + escalated + returned. */
  waiting: number;
  states: { handed_off: number; escalated: number; returned: number; accepted: number; failed: number };
  /** Waiting handoffs past their SLA. */
  breached: number;
  oldestAgeSeconds: number | null;
  p50AgeSeconds: number | null;
  /** The waiting handoffs by how long they have waited (AGE_BUCKETS, in order). */
  ageBuckets: AgeBucket[];
}

/** How many waiting handoffs have waited up to `upToSeconds` (and more than the bucket before). */
export interface AgeBucket {
  bucket: string;
  /** The bucket's upper bound; null for the last, open-ended one. */
  upToSeconds: number | null;
  count: number;
}

/** Queue age buckets: under an hour, 1–4 h, 4–24 h, 1–3 days, over 3 days. */
export const AGE_BUCKETS: ReadonlyArray<{ bucket: string; upToSeconds: number | null }> = [
  { bucket: 'under 1h', upToSeconds: 3600 },
  { bucket: '1h–4h', upToSeconds: 4 * 3600 },
  { bucket: '4h–24h', upToSeconds: 24 * 3600 },
  { bucket: '1d–3d', upToSeconds: 3 * 86400 },
  { bucket: 'over 3d', upToSeconds: null },
];

export const emptyBuckets = (): AgeBucket[] => AGE_BUCKETS.map((b) => ({ ...b, count: 0 }));

/** Adds one age to its bucket. */
export function addAge(buckets: AgeBucket[], seconds: number): void {
  const b = buckets.find((x) => x.upToSeconds === null || seconds < x.upToSeconds);
  if (b) b.count += 1;
}

/** What an owner did with the work given to them (one ledger entry = one assignment). */
export interface OwnerActivity {
  owner: string;
  assigned: number;
  accepted: number;
  completed: number;
  declined: number;
  returned: number;
  /** Moved on to another owner (reassigned or escalated) while this owner held it. */
  movedOn: number;
  /** (declined + returned) / assigned. */
  sentBackRate: number | null;
  /** Assigned → accepted by this owner, seconds. */
  acceptLatency: Percentiles;
}

const WAITING: readonly HandoffState[] = ['handed_off', 'escalated', 'returned'];
const HELD: readonly HandoffState[] = [...WAITING, 'accepted', 'failed'];
type Row = Record<string, unknown>;

export async function ownerQueues(store: Store, f: Filter, now: number): Promise<OwnerQueue[]> {
  const owners = new Map<string, { q: OwnerQueue; ages: Quantiles }>();
  let after = '';
  for (;;) {
    const q = new Sql(store.kind);
    const w = [`h.state IN (${q.list(HELD)})`, `h.id > ${q.p(after)}`];
    w.push(...scopeWhere(q, f));
    // The last ledger entry is the current owner's: its start is when the owner got the work.
    const rows = await store.query<Row>(
      `SELECT h.id, h.owner, h.state, h.breached, h.handed_off_at, h.updated_at, l.from_at
        FROM handoffs h LEFT JOIN ledger l ON l.handoff_id = h.id
          AND l.seq = (SELECT MAX(l2.seq) FROM ledger l2 WHERE l2.handoff_id = h.id)
        WHERE ${w.join(' AND ')} ORDER BY h.id LIMIT ${q.p(PAGE)}`,
      q.params,
    );
    for (const r of rows) {
      const owner = String(r.owner);
      let o = owners.get(owner);
      if (!o) {
        o = {
          q: {
            owner,
            waiting: 0,
            states: { handed_off: 0, escalated: 0, returned: 0, accepted: 0, failed: 0 },
            breached: 0,
            oldestAgeSeconds: null,
            p50AgeSeconds: null,
            ageBuckets: emptyBuckets(),
          },
          ages: new Quantiles(),
        };
        owners.set(owner, o);
      }
      const state = String(r.state) as keyof OwnerQueue['states'];
      if (state in o.q.states) o.q.states[state] += 1;
      if (!WAITING.includes(state)) continue;
      o.q.waiting += 1;
      if (truthy(r.breached)) o.q.breached += 1;
      const since = optNum(r.from_at) ?? optNum(r.handed_off_at) ?? num(r.updated_at);
      const age = Math.max(0, now - since) / 1000;
      o.ages.add(age);
      addAge(o.q.ageBuckets, age);
      o.q.oldestAgeSeconds = Math.max(o.q.oldestAgeSeconds ?? 0, Number(age.toFixed(3)));
    }
    const last = rows.at(-1);
    if (rows.length < PAGE || !last) break;
    after = String(last.id);
  }
  return [...owners.values()]
    .map(({ q, ages }) => ({ ...q, p50AgeSeconds: ages.summary().p50 }))
    .sort(
      (a, b) =>
        b.waiting - a.waiting ||
        (b.oldestAgeSeconds ?? 0) - (a.oldestAgeSeconds ?? 0) ||
        cmp(a.owner, b.owner),
    );
}

export async function ownerActivity(store: Store, f: Filter): Promise<OwnerActivity[]> {
  const owners = new Map<
    string,
    { a: Omit<OwnerActivity, 'sentBackRate' | 'acceptLatency'>; lat: Quantiles }
  >();
  let after: { id: string; seq: number } | undefined;
  for (;;) {
    const q = new Sql(store.kind);
    const w = [`l.owner NOT LIKE ${q.p('agent:%')}`, ...filterWhere(q, f)];
    if (after) {
      const id = q.p(after.id);
      w.push(`(l.handoff_id > ${id} OR (l.handoff_id = ${q.p(after.id)} AND l.seq > ${q.p(after.seq)}))`);
    }
    // Within an entry's [from, to] the handoff was this owner's: an acceptance then is theirs.
    // (No parameters in the SELECT list: `?` placeholders are numbered by position.)
    const rows = await store.query<Row>(
      `SELECT l.handoff_id, l.seq, l.owner, l.status, l.from_at,
          (SELECT MIN(e.at) FROM events e WHERE e.handoff_id = l.handoff_id AND e.type = 'accepted'
            AND e.at >= l.from_at AND (l.to_at IS NULL OR e.at <= l.to_at)) AS accepted_at
        FROM ledger l JOIN handoffs h ON h.id = l.handoff_id
        WHERE ${w.join(' AND ')} ORDER BY l.handoff_id, l.seq LIMIT ${q.p(PAGE)}`,
      q.params,
    );
    for (const r of rows) {
      const owner = String(r.owner);
      let o = owners.get(owner);
      if (!o) {
        o = {
          a: { owner, assigned: 0, accepted: 0, completed: 0, declined: 0, returned: 0, movedOn: 0 },
          lat: new Quantiles(),
        };
        owners.set(owner, o);
      }
      o.a.assigned += 1;
      const acceptedAt = optNum(r.accepted_at);
      if (acceptedAt !== null) {
        o.a.accepted += 1;
        o.lat.add(Math.max(0, acceptedAt - num(r.from_at)) / 1000);
      }
      switch (String(r.status)) {
        case 'completed':
          o.a.completed += 1;
          break;
        case 'declined':
          o.a.declined += 1;
          break;
        case 'returned':
          o.a.returned += 1;
          break;
        case 'reassigned':
          o.a.movedOn += 1;
          break;
      }
    }
    const last = rows.at(-1);
    if (rows.length < PAGE || !last) break;
    after = { id: String(last.handoff_id), seq: num(last.seq) };
  }
  return [...owners.values()]
    .map(({ a, lat }) => ({
      ...a,
      sentBackRate: rate(a.declined + a.returned, a.assigned),
      acceptLatency: lat.summary(),
    }))
    .sort((x, y) => y.assigned - x.assigned || cmp(x.owner, y.owner));
}
