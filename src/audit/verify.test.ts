import { afterEach, describe, expect, it } from 'vitest';
import { checkpointHash, eventHash } from '../core/hash-chain.ts';
import type { SqliteStore } from '../store/sqlite/store.ts';
import { asUser, intakeActor } from '../../test/support/project.ts';
import { openScenarioProject, runScenario, type Scenario } from '../metrics/scenario.fixture.ts';
import { verifyAudit, type AuditResult } from './verify.ts';
import {
  deleteEvents,
  editEvent,
  insertEventSql,
  rewriteEvents,
  type TamperDb,
} from '../../test/support/tamper.ts';

type Row = Record<string, unknown>;

let s: Scenario | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

async function setup() {
  s = await runScenario();
  const store = s.baton.store as SqliteStore;
  const rows = (sql: string, params: unknown[] = []) => store.query<Row>(sql, params);
  const db: TamperDb = { rows: (sql) => rows(sql), exec: (sql) => store.unsafeExec(sql) };
  return {
    store,
    db,
    ids: s.ids,
    exec: (sql: string) => store.unsafeExec(sql),
    rows,
    events: (id: string) => rows('SELECT * FROM events WHERE handoff_id = ? ORDER BY seq', [id]),
    count: async (table: string) => Number((await rows(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n),
  };
}

/** The problems about one handoff (and seq), as text. */
const about = (r: AuditResult, handoffId: string, seq?: number) =>
  r.problems
    .filter((p) => p.handoffId === handoffId && (seq === undefined || p.seq === seq))
    .map((p) => p.problem)
    .join('\n');

const sqlText = (v: string | null) => (v === null ? 'NULL' : `'${v.replaceAll("'", "''")}'`);

/** A well-formed event appended after `last`, hashed the way the engine does. */
function forgedEvent(handoffId: string, last: Row, type = 'completed') {
  const e = {
    handoffId,
    seq: Number(last.seq) + 1,
    at: Number(last.at) + 1,
    type,
    actorKind: 'user',
    actorId: 'mallory',
    via: null,
    data: '{}',
  };
  const hash = eventHash(String(last.hash), e);
  return {
    hash,
    seq: e.seq,
    sql: insertEventSql(handoffId, { ...e, prevHash: String(last.hash), hash }),
  };
}

describe('audit verify', () => {
  it('passes an untouched log and counts every event', async () => {
    const t = await setup();
    const r = await verifyAudit(t.store);
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.checked).toBe(await t.count('events'));
    expect(r.checked).toBeGreaterThan(50);
    expect(r.handoffs).toBe(12);
    expect(r.checkpoints).toBe(await t.count('checkpoints'));
    const last = (await t.rows('SELECT seq, hash FROM checkpoints ORDER BY seq DESC LIMIT 1'))[0]!;
    expect(r.head).toEqual({ seq: Number(last.seq), hash: last.hash });
  });

  it('names an event edited in any column', async () => {
    const t = await setup();
    const id = t.ids.L1!;
    const ev = await t.events(id);
    expect(ev.length).toBeGreaterThanOrEqual(7);
    await editEvent(t.db, id, 1, (e) => ({ data: e.data.replace('"L1"', '"L9"') }));
    await editEvent(t.db, id, 2, (e) => ({ data: `${e.data} ` }));
    await editEvent(t.db, id, 3, (e) => ({ at: e.at + 1 }));
    await editEvent(t.db, id, 4, () => ({ type: 'cancelled' }));
    await editEvent(t.db, id, 5, () => ({ actorId: 'mallory' }));
    await editEvent(t.db, id, 6, () => ({ actorKind: 'system' }));
    await editEvent(t.db, id, 7, () => ({ via: 'slack' }));
    const r = await verifyAudit(t.store);
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => [p.seq, p.problem])).toEqual([
      [1, 'content does not match its hash: the received event was edited'],
      [2, 'content does not match its hash: the context_built event was edited'],
      [3, expect.stringMatching(/^content does not match its hash: the \w+ event was edited$/)],
      [4, 'content does not match its hash: the cancelled event was edited'],
      [5, expect.stringMatching(/edited/)],
      [6, expect.stringMatching(/edited/)],
      [7, expect.stringMatching(/edited/)],
    ]);
    expect(r.problems.every((p) => p.handoffId === id)).toBe(true);
  });

  it('names an edited hash: the event and the link after it', async () => {
    const t = await setup();
    const id = t.ids.L2!;
    await editEvent(t.db, id, 2, () => ({ hash: 'f'.repeat(64) }));
    const r = await verifyAudit(t.store);
    expect(about(r, id, 2)).toMatch(/edited/);
    expect(about(r, id, 3)).toMatch(/does not link to the event before it/);
  });

  it('names a deleted event', async () => {
    const t = await setup();
    const id = t.ids.L3!;
    await deleteEvents(t.db, id, (e) => e.seq === 3);
    const r = await verifyAudit(t.store);
    expect(r.ok).toBe(false);
    expect(about(r, id, 3)).toMatch(/event 3 is missing: deleted/);
    expect(r.checked).toBe(await t.count('events'));
  });

  it('names an inserted event, with or without the head moved to it', async () => {
    const t = await setup();
    const a = t.ids.L4!;
    const b = t.ids.L6!;
    const fa = forgedEvent(a, (await t.events(a)).at(-1)!);
    t.exec(fa.sql);
    const fb = forgedEvent(b, (await t.events(b)).at(-1)!);
    t.exec(fb.sql);
    t.exec(`UPDATE handoffs SET event_seq = ${fb.seq}, head_hash = '${fb.hash}' WHERE id = '${b}'`);
    const r = await verifyAudit(t.store);
    expect(about(r, a)).toMatch(/head mismatch: the handoff row says seq \d+ .*, its events end at seq \d+/);
    // A perfectly chained append is caught by the checkpoints: no transaction wrote that head.
    expect(about(r, b, fb.seq)).toMatch(/latest event .* is in no checkpoint/);
  });

  it('names reordered events', async () => {
    const t = await setup();
    const id = t.ids.L1!;
    // Events 2 and 3 swap places: each now claims the other's seq.
    await rewriteEvents(t.db, id, (events) =>
      events
        .map((e) => (e.seq === 2 ? { ...e, seq: 3 } : e.seq === 3 ? { ...e, seq: 2 } : e))
        .sort((a, b) => a.seq - b.seq),
    );
    const r = await verifyAudit(t.store);
    expect(about(r, id, 2)).toMatch(/does not link|edited/);
    expect(about(r, id, 3)).toMatch(/does not link|edited/);
  });

  it('names a head that does not match the log', async () => {
    const t = await setup();
    const id = t.ids.B1!;
    t.exec(`UPDATE handoffs SET head_hash = '${'a'.repeat(64)}' WHERE id = '${id}'`);
    const r = await verifyAudit(t.store);
    expect(about(r, id)).toMatch(/head mismatch/);
  });

  it('names a deleted handoff, and a handoff whose row alone was deleted', async () => {
    const t = await setup();
    const gone = t.ids.L2!;
    const rowOnly = t.ids.T1!;
    await deleteEvents(t.db, gone);
    t.exec(`DELETE FROM handoffs WHERE id = '${gone}'`);
    t.exec(`DELETE FROM handoffs WHERE id = '${rowOnly}'`);
    const r = await verifyAudit(t.store);
    expect(about(r, gone)).toMatch(/no longer exists: the handoff and its events were deleted/);
    expect(r.problems.filter((p) => p.handoffId === gone)).toHaveLength(1);
    expect(r.problems.find((p) => p.handoffId === gone)!.checkpoint).toBeGreaterThan(0);
    expect(about(r, rowOnly)).toMatch(/the handoff was deleted \(its events remain\)/);
    expect(r.handoffs).toBe(10);
  });

  it('names a handoff whose events were all deleted', async () => {
    const t = await setup();
    const id = t.ids.L7!;
    await deleteEvents(t.db, id);
    const r = await verifyAudit(t.store);
    expect(about(r, id)).toMatch(/has no events, but its head is seq \d+/);
  });

  it('names a cut-off tail even when the head was moved back to match', async () => {
    const t = await setup();
    const id = t.ids.L2!;
    const ev = await t.events(id);
    const keep = ev.at(-3)!;
    await deleteEvents(t.db, id, (e) => e.seq > Number(keep.seq));
    t.exec(
      `UPDATE handoffs SET event_seq = ${Number(keep.seq)}, head_hash = '${String(keep.hash)}' WHERE id = '${id}'`,
    );
    const r = await verifyAudit(t.store);
    expect(r.ok).toBe(false);
    expect(about(r, id)).toMatch(
      new RegExp(
        `recorded seq \\d+, the handoff now ends at seq ${Number(keep.seq)}: the tail of its log was cut off`,
      ),
    );
    expect(about(r, id)).not.toMatch(/head mismatch|edited|does not link/);
  });

  it('names an edited checkpoint', async () => {
    const t = await setup();
    t.exec('UPDATE checkpoints SET at = at + 1 WHERE seq = 3');
    t.exec(`UPDATE checkpoints SET heads = '[]' WHERE seq = 5`);
    const r = await verifyAudit(t.store);
    const cp = (n: number) =>
      r.problems
        .filter((p) => p.checkpoint === n)
        .map((p) => p.problem)
        .join('\n');
    expect(cp(3)).toMatch(/content does not match its hash: the checkpoint was edited/);
    expect(cp(5)).toMatch(/edited/);
  });

  it('names a deleted checkpoint, in the middle or at the end', async () => {
    const t = await setup();
    const last = Number((await t.rows('SELECT MAX(seq) AS n FROM checkpoints'))[0]!.n);
    const lastHeads = JSON.parse(
      String((await t.rows('SELECT heads FROM checkpoints WHERE seq = ?', [last]))[0]!.heads),
    ) as Array<[string, number, string]>;
    t.exec('DELETE FROM checkpoints WHERE seq = 4');
    t.exec(`DELETE FROM checkpoints WHERE seq = ${last}`);
    const r = await verifyAudit(t.store);
    expect(r.problems).toContainEqual({
      kind: 'checkpoint_deleted',
      checkpoint: 4,
      problem: 'checkpoint 4 is missing: deleted',
    });
    // The last checkpoint's deletion leaves the heads it named in no checkpoint.
    for (const [id, seq] of lastHeads) expect(about(r, id, seq)).toMatch(/is in no checkpoint/);
    expect(r.head?.seq).toBe(last - 1);
  });

  it('names an inserted checkpoint', async () => {
    const t = await setup();
    const last = (await t.rows('SELECT seq, hash, heads FROM checkpoints ORDER BY seq DESC LIMIT 1'))[0]!;
    const seq = Number(last.seq) + 1;
    // A forged checkpoint with a bad hash, then a well-chained one duplicating the last heads.
    t.exec(`INSERT INTO checkpoints VALUES (${seq}, 1, '[]', '${String(last.hash)}', 'bogus')`);
    const r1 = await verifyAudit(t.store);
    expect(r1.problems).toContainEqual({
      kind: 'checkpoint_edited',
      checkpoint: seq,
      problem: 'content does not match its hash: the checkpoint was edited',
    });
    t.exec(`DELETE FROM checkpoints WHERE seq = ${seq}`);
    const heads = String(last.heads);
    const hash = checkpointHash(String(last.hash), seq, 2, heads);
    t.exec(
      `INSERT INTO checkpoints VALUES (${seq}, 2, ${sqlText(heads)}, '${String(last.hash)}', '${hash}')`,
    );
    const r2 = await verifyAudit(t.store);
    expect(r2.ok).toBe(false);
    const [id] = (JSON.parse(heads) as Array<[string]>)[0]!;
    expect(about(r2, id)).toMatch(/named by 2 checkpoints: a checkpoint was duplicated/);
  });

  it('names a forged handoff with a perfect chain that no transaction wrote', async () => {
    const t = await setup();
    const src = t.ids.L6!;
    const fake = 'h_forged';
    let prev = '0'.repeat(64);
    const ev = await t.events(src);
    for (const e of ev) {
      const content = {
        handoffId: fake,
        seq: Number(e.seq),
        at: Number(e.at),
        type: String(e.type),
        actorKind: String(e.actor_kind),
        actorId: String(e.actor_id),
        via: e.via === null ? null : (e.via as string),
        data: String(e.data),
      };
      const hash = eventHash(prev, content);
      t.exec(insertEventSql(fake, { ...content, prevHash: prev, hash }));
      prev = hash;
    }
    const cols = (await t.rows('SELECT name FROM pragma_table_info(?)', ['handoffs'])).map((c) =>
      String(c.name),
    );
    const select = cols
      .map((c) =>
        c === 'id' ? `'${fake}'` : c === 'idem_key' ? `'forged'` : c === 'head_hash' ? `'${prev}'` : c,
      )
      .join(', ');
    t.exec(`INSERT INTO handoffs (${cols.join(', ')}) SELECT ${select} FROM handoffs WHERE id = '${src}'`);
    const r = await verifyAudit(t.store);
    expect(r.problems).toEqual([
      {
        kind: 'unanchored',
        handoffId: fake,
        seq: ev.length,
        problem: expect.stringMatching(/is in no checkpoint: .*forged/),
      },
    ]);
  });
});

describe('audit verify across pages', () => {
  it('reads hundreds of handoffs and checkpoints page by page, and still names one tampered event', async () => {
    const env = await openScenarioProject();
    s = { baton: env.baton, ids: {}, start: Date.now(), close: () => env.close() };
    const store = env.baton.store as SqliteStore;
    for (let i = 0; i < 450; i++) {
      await env.baton.send(
        'lead-to-owner',
        { id: `P${i}`, company: `Co ${i}`, email: `x${i}@p${i}.io`, amount: 100 },
        intakeActor,
      );
    }
    await env.baton.engine.drain();
    // One transaction each: well over a page of checkpoints.
    for (const h of (await env.baton.list({ limit: 1000 })).items.slice(0, 100))
      await env.baton.accept(h.id, asUser('lee'));
    const clean = await verifyAudit(store);
    expect(clean.problems).toEqual([]);
    expect(clean.handoffs).toBe(450);
    expect(clean.checkpoints).toBeGreaterThan(500);
    const total = Number((await store.query<Row>('SELECT COUNT(*) AS n FROM events'))[0]!.n);
    expect(clean.checked).toBe(total);

    const last = (await store.query<Row>('SELECT id FROM handoffs ORDER BY id DESC LIMIT 1'))[0]!
      .id as string;
    await editEvent(
      { rows: (sql) => store.query<Row>(sql), exec: (sql) => store.unsafeExec(sql) },
      last,
      1,
      () => ({ actorId: 'mallory' }),
    );
    const named = JSON.parse(
      String((await store.query<Row>('SELECT heads FROM checkpoints WHERE seq = 501'))[0]!.heads),
    ) as Array<[string, number, string]>;
    store.unsafeExec('DELETE FROM checkpoints WHERE seq = 501');
    const r = await verifyAudit(store);
    expect(r.problems.slice(0, 2)).toEqual([
      {
        kind: 'edited',
        handoffId: last,
        seq: 1,
        eventType: 'received',
        problem: 'content does not match its hash: the received event was edited',
      },
      { kind: 'checkpoint_deleted', checkpoint: 501, problem: 'checkpoint 501 is missing: deleted' },
    ]);
    // The deleted checkpoint was the only one naming these heads.
    expect(r.problems.slice(2)).toHaveLength(named.length);
    expect(r.problems.slice(2)).toEqual(
      expect.arrayContaining(
        named.map(([handoffId, seq]) => ({
          kind: 'unanchored',
          handoffId,
          seq,
          problem: expect.stringMatching(/is in no checkpoint/),
        })),
      ),
    );
  });
});
