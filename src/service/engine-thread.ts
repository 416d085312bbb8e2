// The engine thread: the whole service (engine, worker, store) in a worker thread, so the HTTP
// server on the main thread and the engine use both cores. The main thread talks to it through
// RemoteBaton (remote.ts): calls by message, commit notices only while someone listens.
import { parentPort, workerData } from 'node:worker_threads';
import { Baton, type OpenOptions } from './baton.ts';
import { FORWARDED, type Forwarded } from './api.ts';
import { toWire, type WireError } from '../core/errors.ts';
import type { HandoffCommit } from '../store/port.ts';
import { TurnBatch } from './batch.ts';

export type ToEngine =
  | { id: number; call: Forwarded; args: unknown[] }
  | { id: number; control: 'start' | 'close' | 'subscribe' | 'unsubscribe' };

export type FromEngine =
  | { id: number; ok: true; result: unknown }
  | {
      id: number;
      ok: false;
      error: WireError;
    }
  | { commit: CommitNotice };

/** What live views learn about a commit: enough for /v1/stream. */
export interface CommitNotice {
  handoff: { id: string; flow: string; state: string; owner: string; updatedAt: number };
  events: Array<{ type: string }>;
}

const port = parentPort!;
const baton = await Baton.open(workerData as OpenOptions);
const allowed = new Set<string>(FORWARDED);
// Replies and commit notices of one turn of the event loop cross in one message each way: a
// message per call or per commit cost the threads more than the work itself.
const replies = new TurnBatch<FromEngine>((items) => port.postMessage(items));
const forward = (c: HandoffCommit): void => {
  const h = c.handoff;
  replies.push({
    commit: {
      handoff: { id: h.id, flow: h.flow, state: h.state, owner: h.owner, updatedAt: h.updatedAt },
      events: c.events.map((e) => ({ type: e.type })),
    },
  });
};

port.on('message', (batch: ToEngine[]) => {
  for (const m of batch) void handle(m).then((reply) => replies.push(reply));
});
port.postMessage([{ id: 0, ok: true, result: 'ready' }] satisfies FromEngine[]);

async function handle(m: ToEngine): Promise<FromEngine> {
  try {
    if ('control' in m) {
      if (m.control === 'start') baton.startWorker();
      else if (m.control === 'subscribe') baton.engine.on('committed', forward);
      else if (m.control === 'unsubscribe') baton.engine.off('committed', forward);
      else {
        await baton.close();
        setImmediate(() => {
          replies.flush();
          process.exit(0);
        });
      }
      return { id: m.id, ok: true, result: null };
    }
    if (!allowed.has(m.call)) throw new Error(`not a service call: ${m.call}`);
    const fn = baton[m.call] as (...a: unknown[]) => Promise<unknown>;
    return { id: m.id, ok: true, result: await fn.apply(baton, m.args) };
  } catch (e) {
    return { id: m.id, ok: false, error: toWire(e) };
  }
}
