// `baton audit verify`: proves the audit log is what the engine wrote.
//
// 1. Each handoff's events form a hash chain from GENESIS; every event is re-hashed from its
//    stored columns, so an edited, deleted, inserted or reordered event breaks it, and the chain
//    must end at the head the handoff row stores.
// 2. The checkpoint chain (one row per transaction, naming the heads it wrote) must be unbroken,
//    and every head it names must still be in the log: a deleted handoff or a cut-off tail
//    shows up as a checkpoint naming what is gone.
// 3. Every handoff's current head must be named by a checkpoint: events appended after the fact,
//    a forged handoff or deleted trailing checkpoints show up as heads no checkpoint names.
//
// Memory stays bounded however large the store: handoffs and checkpoints are read page by page,
// and (3) compares two fixed-size digests of head hashes, naming the culprits with a second pass
// over only the buckets that differ.
import { checkpointHash, eventHash, GENESIS } from '../core/hash-chain.ts';
import type { Store } from '../store/port.ts';
import { num, Sql } from '../metrics/sql.ts';
import { handoffPages, PAGE, type StoredHandoff } from './scan.ts';
import { expandBatches } from '../store/event-batches.ts';

/** What kind of damage a problem is (stable, for programs; `problem` says it in words). */
export type AuditProblemKind =
  | 'deleted'
  | 'inserted'
  | 'unlinked'
  | 'edited'
  | 'no_events'
  | 'head_mismatch'
  | 'handoff_deleted'
  | 'rewritten'
  | 'cut_off'
  | 'unanchored'
  | 'checkpoint_deleted'
  | 'checkpoint_inserted'
  | 'checkpoint_unlinked'
  | 'checkpoint_edited'
  | 'more';

export const AUDIT_PROBLEM_KINDS: readonly AuditProblemKind[] = [
  'deleted',
  'inserted',
  'unlinked',
  'edited',
  'no_events',
  'head_mismatch',
  'handoff_deleted',
  'rewritten',
  'cut_off',
  'unanchored',
  'checkpoint_deleted',
  'checkpoint_inserted',
  'checkpoint_unlinked',
  'checkpoint_edited',
  'more',
];

export interface AuditProblem {
  kind: AuditProblemKind;
  handoffId?: string;
  seq?: number;
  checkpoint?: number;
  /** The type of the event concerned, when one is (e.g. the edited event's). */
  eventType?: string;
  problem: string;
}

export interface AuditResult {
  ok: boolean;
  /** Events re-hashed. */
  checked: number;
  problems: AuditProblem[];
  /** Handoffs and checkpoints read. */
  handoffs: number;
  checkpoints: number;
  /** The last checkpoint: keep its hash somewhere else to detect a rewrite of the whole log. */
  head: { seq: number; hash: string } | null;
}

/** Problems listed one by one; past this, they are counted. */
export const MAX_PROBLEMS = 1000;
/** Heads named individually when some are in no checkpoint; past this, they are counted. */
const MAX_CANDIDATES = 50_000;
const CHECKPOINT_PAGE = 500;
const MENTION_BATCH = 200;

const short = (h: string) => (h.length > 12 ? `${h.slice(0, 12)}…` : h);
type Row = Record<string, unknown>;

class Problems {
  readonly list: AuditProblem[] = [];
  more = 0;
  private readonly seen = new Set<string>();

  add(p: AuditProblem): void {
    if (this.list.length < MAX_PROBLEMS) this.list.push(p);
    else this.more += 1;
  }

  /** Adds a problem once per key (e.g. one "deleted handoff" however many checkpoints name it). */
  once(key: string, p: AuditProblem): void {
    if (this.seen.has(key)) return;
    if (this.seen.size < MAX_PROBLEMS) this.seen.add(key);
    this.add(p);
  }
}

const BUCKETS = 4096;
const bucketOf = (hash: string) => (parseInt(hash.slice(0, 3), 16) || 0) & (BUCKETS - 1);
const word = (hash: string, at: number) => (parseInt(hash.slice(at, at + 8), 16) || 0) >>> 0;

/** An order-independent digest of a set of head hashes, in buckets by hash prefix. */
class HeadDigest {
  private readonly counts = new Int32Array(BUCKETS);
  private readonly x1 = new Uint32Array(BUCKETS);
  private readonly x2 = new Uint32Array(BUCKETS);

  add(hash: string): void {
    const b = bucketOf(hash);
    this.counts[b]! += 1;
    this.x1[b]! ^= word(hash, 3);
    this.x2[b]! ^= word(hash, 11);
  }

  /** Buckets where the two sets differ. */
  differing(other: HeadDigest): Set<number> {
    const out = new Set<number>();
    for (let b = 0; b < BUCKETS; b++) {
      if (this.counts[b] !== other.counts[b] || this.x1[b] !== other.x1[b] || this.x2[b] !== other.x2[b])
        out.add(b);
    }
    return out;
  }
}

export async function verifyAudit(store: Store): Promise<AuditResult> {
  const problems = new Problems();
  const heads = new HeadDigest();
  let checked = 0;
  let handoffs = 0;
  for await (const page of handoffPages(store)) {
    for (const h of page) {
      handoffs += 1;
      checked += h.events.length;
      checkChain(h, problems);
      if (h.eventSeq > 0) heads.add(h.headHash);
    }
  }
  const covered = new HeadDigest();
  const cp = await checkCheckpoints(store, problems, covered);
  const differing = heads.differing(covered);
  if (differing.size > 0) await nameUncovered(store, differing, problems);
  const list = problems.list;
  if (problems.more > 0) list.push({ kind: 'more', problem: `… and ${problems.more} more problems` });
  return { ok: list.length === 0, checked, problems: list, handoffs, checkpoints: cp.count, head: cp.head };
}

function checkChain(h: StoredHandoff, problems: Problems): void {
  const handoffId = h.id;
  let prev = GENESIS;
  let expect = 1;
  for (const e of h.events) {
    let gap = false;
    if (e.seq !== expect) {
      if (Number.isInteger(e.seq) && e.seq > expect) {
        gap = true;
        const range = e.seq - 1 > expect ? `events ${expect}–${e.seq - 1} are` : `event ${expect} is`;
        problems.add({
          kind: 'deleted',
          handoffId,
          seq: expect,
          problem: `${range} missing: deleted from the log`,
        });
      } else {
        problems.add({
          kind: 'inserted',
          handoffId,
          seq: e.seq,
          problem: `event out of sequence (expected seq ${expect}): an event was inserted or reordered`,
        });
      }
    }
    if (!gap && e.prevHash !== prev) {
      problems.add({
        kind: 'unlinked',
        handoffId,
        seq: e.seq,
        problem: `does not link to the event before it (prev_hash ${short(e.prevHash)}, expected ${short(prev)}): an event was deleted, inserted or reordered`,
      });
    }
    const computed = eventHash(e.prevHash, {
      handoffId,
      seq: e.seq,
      at: e.at,
      type: e.type,
      actorKind: e.actorKind,
      actorId: e.actorId,
      via: e.via,
      data: e.data,
    });
    if (computed !== e.hash) {
      problems.add({
        kind: 'edited',
        handoffId,
        seq: e.seq,
        eventType: e.type,
        problem: `content does not match its hash: the ${e.type} event was edited`,
      });
    }
    prev = e.hash;
    if (Number.isInteger(e.seq) && e.seq >= expect) expect = e.seq + 1;
  }
  const last = h.events[h.events.length - 1];
  if (!last) {
    problems.add({
      kind: 'no_events',
      handoffId,
      problem:
        h.eventSeq > 0
          ? `has no events, but its head is seq ${h.eventSeq}: its events were deleted`
          : 'has no events (every handoff starts with a received event): the handoff was inserted',
    });
  } else if (last.seq !== h.eventSeq || last.hash !== h.headHash) {
    problems.add({
      kind: 'head_mismatch',
      handoffId,
      seq: h.eventSeq,
      problem: `head mismatch: the handoff row says seq ${h.eventSeq} (${short(h.headHash)}), its events end at seq ${last.seq} (${short(last.hash)})`,
    });
  }
}

interface Mention {
  checkpoint: number;
  id: string;
  seq: number;
  hash: string;
}

/** Walks the checkpoint chain; checks every head it names against the log. */
async function checkCheckpoints(
  store: Store,
  problems: Problems,
  covered: HeadDigest,
): Promise<{ count: number; head: AuditResult['head'] }> {
  let prev = GENESIS;
  let expect = 1;
  let count = 0;
  let head: AuditResult['head'] = null;
  let batch: Mention[] = [];
  for await (const c of checkpointRows(store)) {
    count += 1;
    const checkpoint = c.seq;
    let gap = false;
    if (c.seq > expect) {
      gap = true;
      const range = c.seq - 1 > expect ? `checkpoints ${expect}–${c.seq - 1} are` : `checkpoint ${expect} is`;
      problems.add({ kind: 'checkpoint_deleted', checkpoint: expect, problem: `${range} missing: deleted` });
    } else if (c.seq !== expect) {
      problems.add({
        kind: 'checkpoint_inserted',
        checkpoint,
        problem: `checkpoint out of sequence (expected ${expect}): inserted`,
      });
    }
    if (!gap && c.prevHash !== prev) {
      problems.add({
        kind: 'checkpoint_unlinked',
        checkpoint,
        problem: `does not link to the checkpoint before it (prev_hash ${short(c.prevHash)}, expected ${short(prev)}): a checkpoint was inserted, deleted or edited`,
      });
    }
    if (checkpointHash(c.prevHash, c.seq, c.at, c.headsJson) !== c.hash) {
      problems.add({
        kind: 'checkpoint_edited',
        checkpoint,
        problem: 'content does not match its hash: the checkpoint was edited',
      });
    }
    const named = parseHeads(c.headsJson);
    if (!named) {
      problems.add({
        kind: 'checkpoint_edited',
        checkpoint,
        problem: 'its heads are not a list of [handoff id, seq, hash]: edited',
      });
    } else {
      for (const [id, seq, hash] of named) {
        batch.push({ checkpoint, id, seq, hash });
        if (batch.length >= MENTION_BATCH) {
          await checkMentions(store, batch, problems, covered);
          batch = [];
        }
      }
    }
    prev = c.hash;
    if (Number.isInteger(c.seq) && c.seq >= expect) expect = c.seq + 1;
    head = { seq: c.seq, hash: c.hash };
  }
  if (batch.length > 0) await checkMentions(store, batch, problems, covered);
  return { count, head };
}

interface StoredCheckpoint {
  seq: number;
  at: number;
  headsJson: string;
  prevHash: string;
  hash: string;
}

/** Checkpoints as stored (the heads column's exact text is what was hashed). */
async function* checkpointRows(store: Store): AsyncGenerator<StoredCheckpoint> {
  let after = -Infinity;
  for (;;) {
    const q = new Sql(store.kind);
    const where = Number.isFinite(after) ? `WHERE seq > ${q.p(after)}` : '';
    const rows = await store.query<Row>(
      `SELECT seq, at, heads, prev_hash, hash FROM checkpoints ${where} ORDER BY seq LIMIT ${q.p(CHECKPOINT_PAGE)}`,
      q.params,
    );
    for (const r of rows) {
      yield {
        seq: num(r.seq),
        at: num(r.at),
        headsJson: typeof r.heads === 'string' ? r.heads : JSON.stringify(r.heads),
        prevHash: String(r.prev_hash),
        hash: String(r.hash),
      };
    }
    if (rows.length < CHECKPOINT_PAGE) return;
    after = num(rows[rows.length - 1]!.seq);
  }
}

function parseHeads(text: string): Array<[string, number, string]> | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v)) return undefined;
  for (const x of v) {
    if (!Array.isArray(x) || typeof x[0] !== 'string' || typeof x[1] !== 'number' || typeof x[2] !== 'string')
      return undefined;
  }
  return v as Array<[string, number, string]>;
}

/** Looks up the events a batch of checkpoint heads name, with their handoffs' current heads. */
async function checkMentions(
  store: Store,
  batch: Mention[],
  problems: Problems,
  covered: HeadDigest,
): Promise<void> {
  // A checkpoint names the last event of a commit, which is the key of its batch row.
  const q = new Sql(store.kind);
  const conds = batch.map((m) => `(b.handoff_id = ${q.p(m.id)} AND b.seq = ${q.p(m.seq)})`);
  const rows = await store.query<Row>(
    `SELECT b.handoff_id, b.seq, b.events, b.prev_hash, h.id AS hid, h.event_seq, h.head_hash
      FROM event_batches b LEFT JOIN handoffs h ON h.id = b.handoff_id
      WHERE ${conds.join(' OR ')}`,
    q.params,
  );
  const heads = new Map<string, Row>();
  for (const r of rows) heads.set(String(r.handoff_id), r);
  const found = new Map<string, Row>();
  const wanted = new Set(batch.map((m) => `${m.id}\n${m.seq}`));
  for (const e of expandBatches(rows)) {
    const key = `${e.handoff_id}\n${e.seq}`;
    if (wanted.has(key)) found.set(key, { ...heads.get(e.handoff_id), ...e });
  }
  // Rows rewritten by hand may hold a named event elsewhere than at a batch's end.
  const elsewhere = batch.filter((m) => !found.has(`${m.id}\n${m.seq}`));
  if (elsewhere.length > 0) {
    const viewQ = new Sql(store.kind);
    const ids = [...new Set(elsewhere.map((m) => m.id))];
    for (const r of await store.query<Row>(
      `SELECT e.handoff_id, e.seq, e.hash, h.id AS hid, h.event_seq, h.head_hash
        FROM events e LEFT JOIN handoffs h ON h.id = e.handoff_id WHERE e.handoff_id IN (${viewQ.list(ids)})`,
      viewQ.params,
    ))
      found.set(`${String(r.handoff_id)}\n${num(r.seq)}`, r);
  }
  const missing: Mention[] = [];
  for (const m of batch) {
    const r = found.get(`${m.id}\n${m.seq}`);
    if (!r) {
      missing.push(m);
      continue;
    }
    if (r.hid === null || r.hid === undefined) {
      problems.once(`row:${m.id}`, {
        kind: 'handoff_deleted',
        handoffId: m.id,
        checkpoint: m.checkpoint,
        problem: 'the handoff was deleted (its events remain)',
      });
    } else if (String(r.hash) !== m.hash) {
      problems.add({
        kind: 'rewritten',
        handoffId: m.id,
        seq: m.seq,
        checkpoint: m.checkpoint,
        problem: `checkpoint ${m.checkpoint} recorded hash ${short(m.hash)} for this event, the log now has ${short(String(r.hash))}: the handoff's log was rewritten`,
      });
    } else if (m.seq === num(r.event_seq) && m.hash === String(r.head_hash)) {
      covered.add(m.hash);
    }
  }
  if (missing.length === 0) return;
  const headQ = new Sql(store.kind);
  const ids = [...new Set(missing.map((m) => m.id))];
  const existing = new Map<string, number>();
  for (const r of await store.query<Row>(
    `SELECT id, event_seq FROM handoffs WHERE id IN (${headQ.list(ids)})`,
    headQ.params,
  ))
    existing.set(String(r.id), num(r.event_seq));
  for (const m of missing) {
    const last = existing.get(m.id);
    if (last === undefined) {
      problems.once(`gone:${m.id}`, {
        kind: 'handoff_deleted',
        handoffId: m.id,
        checkpoint: m.checkpoint,
        problem: `checkpoint ${m.checkpoint} names this handoff, which no longer exists: the handoff and its events were deleted`,
      });
    } else if (m.seq > last) {
      problems.once(`cut:${m.id}`, {
        kind: 'cut_off',
        handoffId: m.id,
        seq: m.seq,
        checkpoint: m.checkpoint,
        problem: `checkpoint ${m.checkpoint} recorded seq ${m.seq}, the handoff now ends at seq ${last}: the tail of its log was cut off`,
      });
    } else {
      problems.add({
        kind: 'deleted',
        handoffId: m.id,
        seq: m.seq,
        checkpoint: m.checkpoint,
        problem: `checkpoint ${m.checkpoint} names event ${m.seq}, which is no longer in the log: deleted`,
      });
    }
  }
}

/** Second pass over the differing buckets only: which heads does no checkpoint name (or name twice)? */
async function nameUncovered(store: Store, buckets: Set<number>, problems: Problems): Promise<void> {
  const candidates = new Map<string, { id: string; seq: number; count: number }>();
  let after: string | undefined;
  let overflow = 0;
  for (;;) {
    const page = await store.heads(after, PAGE);
    for (const h of page) {
      if (h.eventSeq <= 0 || !buckets.has(bucketOf(h.headHash))) continue;
      if (candidates.size >= MAX_CANDIDATES) overflow += 1;
      else candidates.set(h.headHash, { id: h.id, seq: h.eventSeq, count: 0 });
    }
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.id;
  }
  for await (const c of checkpointRows(store)) {
    for (const [id, seq, hash] of parseHeads(c.headsJson) ?? []) {
      const x = candidates.get(hash);
      if (x && x.id === id && x.seq === seq) x.count += 1;
    }
  }
  let named = 0;
  for (const [hash, x] of candidates) {
    if (x.count === 1) continue;
    named += 1;
    problems.add({
      kind: 'unanchored',
      handoffId: x.id,
      seq: x.seq,
      problem:
        x.count === 0
          ? `its latest event (seq ${x.seq}, ${short(hash)}) is in no checkpoint: events were appended outside Baton, the handoff was forged, or the latest checkpoints were deleted`
          : `its latest event (seq ${x.seq}) is named by ${x.count} checkpoints: a checkpoint was duplicated`,
    });
  }
  if (overflow > 0) {
    problems.add({
      kind: 'unanchored',
      problem: `${overflow} more handoffs in the same hash buckets were not examined one by one: many heads are in no checkpoint (were checkpoints deleted?)`,
    });
  } else if (named === 0 && problems.list.length === 0) {
    problems.add({
      kind: 'unanchored',
      problem:
        'the checkpoints do not name the same set of heads as the handoffs store (a checkpoint names a head twice, or a head was edited)',
    });
  }
}
