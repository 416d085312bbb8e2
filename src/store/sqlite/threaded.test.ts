// The writer thread's background checkpoint: the WAL goes back into the database file without
// the writer stopping for it, and starts over instead of growing while writes go on.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { events, handoff } from '../contract.ts';
import { ThreadedSqliteStore } from './threaded.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const until = async (ok: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('SQLite writer thread', () => {
  it('checkpoints in the background and keeps the WAL from growing under steady writes', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'baton-ckpt-'));
    dirs.push(dir);
    const file = path.join(dir, 'baton.db');
    const store = await ThreadedSqliteStore.open(file, { everyMs: 10, restartFrames: 200 });
    const size = (f: string) => statSync(f).size;
    try {
      const before = size(file);
      let walMax = 0;
      for (let i = 0; i < 100; i++) {
        const batch = Array.from({ length: 20 }, () => {
          const h = handoff({ input: { text: 'x'.repeat(4000) } });
          return { handoff: h, expectedRev: 0, events: events(h, 'received') };
        });
        expect(await store.commit(batch)).toEqual(batch.map(() => ({ ok: true })));
        walMax = Math.max(walMax, size(`${file}-wal`));
        await new Promise((r) => setTimeout(r, 5));
      }
      // ~8 MB of input were written (~20 MB of WAL if it never started over): the database
      // file holds them without the writer's own checkpoint (which waits for 400 MB of WAL),
      // and the WAL started over long before holding them all.
      await until(() => size(file) > before + 8_000_000);
      expect(walMax).toBeLessThan(8_000_000);
      const reader = new DatabaseSync(file, { readOnly: true });
      expect(reader.prepare('SELECT COUNT(*) AS n FROM handoffs').get()).toEqual({ n: 2000 });
      reader.close();
    } finally {
      await store.close();
    }
  });
});
