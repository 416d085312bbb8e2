// The SQLite checkpoint thread: copies committed pages from the WAL back into the database file
// in the background (`wal_checkpoint(PASSIVE)`), so the writer thread does not stall on it. A
// PASSIVE checkpoint never waits, but under steady writes it never catches up with the end of
// the WAL either, and the WAL only starts over once it has; so past `restartFrames` a RESTART
// checkpoint copies the little that is left and lets the next commit begin the WAL again (a
// short pause for the writer). A checkpoint changes nothing a reader sees and nothing about
// durability: every commit is durable in the WAL already. If this thread falls behind (or
// stops), the writer's own automatic checkpoint, at a higher mark, keeps the WAL bounded.
import { parentPort, workerData } from 'node:worker_threads';
import { DatabaseSync } from 'node:sqlite';

export interface CheckpointerOptions {
  file: string;
  /** How often to look at the WAL. */
  everyMs: number;
  /** WAL frames (pages) past which the WAL is made to start over. */
  restartFrames: number;
}

const { file, everyMs, restartFrames } = workerData as CheckpointerOptions;
const db = new DatabaseSync(file);
db.exec('PRAGMA synchronous = FULL; PRAGMA busy_timeout = 1000;');
const passive = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const restart = db.prepare('PRAGMA wal_checkpoint(RESTART)');

const timer = setInterval(() => {
  try {
    const r = passive.get() as { log: number } | undefined;
    if (r && r.log > restartFrames) restart.get();
  } catch {
    // Busy or locked: the next round tries again.
  }
}, everyMs);

parentPort!.on('message', (m: unknown) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort!.close();
});
