// The SQLite writer thread: owns the connection that writes, so fsyncs and statement execution
// run on the second core while the main thread keeps deciding. It answers one message at a
// time, in order, so commits are applied in the order they were sent.
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore } from './store.ts';
import { toWire, type WireError } from '../../core/errors.ts';

export interface WriterRequest {
  id: number;
  op:
    | 'commitRows'
    | 'claim'
    | 'publishFlow'
    | 'createToken'
    | 'createFirstToken'
    | 'revokeToken'
    | 'releaseLeases'
    | 'claimOutbox'
    | 'settleOutbox'
    | 'putDelivery'
    | 'createLink'
    | 'useLink'
    | 'releaseLink'
    | 'rememberRequest'
    | 'migrate'
    | 'reserveBudget'
    | 'settleBudget'
    | 'close';
  args: unknown[];
}

export interface WriterReply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: WireError;
}

const port = parentPort!;
const { file, autoCheckpointPages } = workerData as { file: string; autoCheckpointPages?: number };
const store = new SqliteStore({
  file,
  ...(autoCheckpointPages !== undefined ? { autoCheckpointPages } : {}),
});

port.on('message', (m: WriterRequest) => {
  void handle(m).then((reply) => port.postMessage(reply));
});
port.postMessage({ id: 0, ok: true, result: 'ready' } satisfies WriterReply);

async function handle(m: WriterRequest): Promise<WriterReply> {
  try {
    switch (m.op) {
      case 'commitRows':
        return { id: m.id, ok: true, result: store.commitRows(m.args[0] as never) };
      case 'close':
        await store.close();
        setImmediate(() => process.exit(0));
        return { id: m.id, ok: true };
      default: {
        const fn = store[m.op] as (...a: unknown[]) => Promise<unknown>;
        return { id: m.id, ok: true, result: await fn.apply(store, m.args) };
      }
    }
  } catch (e) {
    return { id: m.id, ok: false, error: toWire(e) };
  }
}
