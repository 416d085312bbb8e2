// One transaction's writes on PostgreSQL: the handoffs' row locks and stored heads, the events
// hash-chained onto them, the revision-checked handoff rows, the child rows, and the checkpoint.
import { checkpointHash, GENESIS } from '../../core/hash-chain.ts';
import type { CommitOutcome } from '../port.ts';
import { chainCommit, type CommitRows } from '../rows.ts';
import { LOCK_CLASS } from './migrate.ts';
import type { Client, Row } from './db.ts';
import {
  CHILD_TABLES,
  insertHandoffs,
  RUN_ROWS,
  TABLES,
  updateHandoffs,
  writeRows,
  type ChildTable,
} from './write.ts';

/**
 * Writes a batch of commits in the caller's transaction: row locks, the hash chains, the handoff
 * rows (revision-checked), the child rows, and a checkpoint over the heads written.
 */
export async function writeCommits(
  c: Client,
  batch: readonly CommitRows[],
  checkpointLock: number,
): Promise<CommitOutcome[]> {
  // Row locks in id order first (concurrent batches touching the same handoffs cannot
  // deadlock), reading the heads the new events chain onto.
  const updated = [...new Set(batch.filter((r) => r.expectedRev !== 0).map((r) => r.id))].sort();
  const heads = new Map<string, string>();
  if (updated.length > 0) {
    const locked = await c.query({
      name: 'baton_lock_heads',
      text: 'SELECT id, head_hash FROM handoffs WHERE id = ANY($1) ORDER BY id FOR UPDATE',
      values: [updated],
    });
    for (const r of locked.rows as Row[]) heads.set(String(r.id), String(r.head_hash));
  }
  // Each commit's events chain onto the head before it: the stored one, or the one an earlier
  // commit of this batch leaves (a commit that turns out stale is not written).
  const chained = batch.map((r) => {
    const prev = r.expectedRev === 0 ? GENESIS : (heads.get(r.id) ?? GENESIS);
    const b = chainCommit(r, prev);
    heads.set(r.id, b ? b.lastHash : prev);
    return b;
  });
  // Consecutive inserts (or updates of distinct handoffs) go in one statement each: the
  // outcome of every commit is the same as applying them one after another.
  const outcomes: CommitOutcome[] = [];
  for (let i = 0; i < batch.length;) {
    const inserting = batch[i]!.expectedRev === 0;
    const run: CommitRows[] = [];
    const ids = new Set<string>();
    while (i < batch.length && run.length < RUN_ROWS) {
      const r = batch[i]!;
      if ((r.expectedRev === 0) !== inserting || ids.has(r.id)) break;
      run.push(r);
      ids.add(r.id);
      i++;
    }
    outcomes.push(...(inserting ? await insertHandoffs(c, run) : await updateHandoffs(c, run)));
  }
  const checkpointHeads: Array<[string, number, string]> = [];
  const eventBatches: unknown[] = [];
  const children = Object.fromEntries(CHILD_TABLES.map((t) => [t, [] as unknown[]])) as Record<
    ChildTable,
    unknown[]
  >;
  batch.forEach((r, i) => {
    if (!outcomes[i]!.ok) return;
    const events = chained[i];
    if (events) {
      for (const v of events.row) eventBatches.push(v);
      checkpointHeads.push([r.id, events.lastSeq, events.lastHash]);
    }
    for (const t of CHILD_TABLES) for (const v of r[t]) children[t].push(v);
  });
  await writeRows(c, TABLES.eventBatches, eventBatches);
  for (const t of CHILD_TABLES) await writeRows(c, TABLES[t], children[t]);
  if (checkpointHeads.length > 0) await appendCheckpoint(c, checkpointHeads, checkpointLock);
  return outcomes;
}

/** Appends to the global chain; the advisory lock orders concurrent transactions' checkpoints. */
async function appendCheckpoint(
  c: Client,
  heads: Array<[string, number, string]>,
  checkpointLock: number,
): Promise<void> {
  await c.query({
    name: 'baton_checkpoint_lock',
    text: 'SELECT pg_advisory_xact_lock($1, $2)',
    values: [LOCK_CLASS, checkpointLock],
  });
  const last = (
    await c.query({
      name: 'baton_last_checkpoint',
      text: 'SELECT seq, hash FROM checkpoints ORDER BY seq DESC LIMIT 1',
    })
  ).rows[0] as Row | undefined;
  const seq = last ? Number(last.seq) + 1 : 1;
  const prev = last ? String(last.hash) : GENESIS;
  const at = Date.now();
  const headsJson = JSON.stringify(heads);
  await c.query({
    name: 'baton_insert_checkpoint',
    text: 'INSERT INTO checkpoints (seq, at, heads, prev_hash, hash) VALUES ($1, $2, $3, $4, $5)',
    values: [seq, at, headsJson, prev, checkpointHash(prev, seq, at, headsJson)],
  });
}
