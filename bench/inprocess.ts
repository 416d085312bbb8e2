// Drives lead-to-owner end to end in process: `total` handoffs, `inFlight` at a time; latency
// is intake call → `handed_off` committed.
import { Baton } from '../src/service/baton.ts';
import type { HandoffCommit } from '../src/store/port.ts';
import { leadInput, percentile, type RunFigures } from './common.ts';

export async function runInProcess(
  dir: string,
  storage: string,
  total: number,
  inFlight: number,
  threadedWriter = false,
): Promise<RunFigures> {
  const baton = await Baton.open({ dir, storage, worker: true, threadedWriter });
  baton.engine.start();
  const handedOff = new Map<string, number>();
  const waiting = new Map<string, () => void>();
  const latencies: number[] = [];
  baton.engine.on('committed', (c: HandoffCommit) => {
    if (c.handoff.state !== 'handed_off' || handedOff.has(c.handoff.id)) return;
    handedOff.set(c.handoff.id, performance.now());
    waiting.get(c.handoff.id)?.();
  });
  let next = 0;
  const t0 = performance.now();
  const lane = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      const t = performance.now();
      const r = await baton.send('lead-to-owner', leadInput(i), { kind: 'system', id: 'bench' });
      if (!handedOff.has(r.id)) await new Promise<void>((res) => waiting.set(r.id, res));
      waiting.delete(r.id);
      latencies.push(handedOff.get(r.id)! - t);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const seconds = (performance.now() - t0) / 1000;
  const stats = { ...baton.engine.committer.stats };
  await baton.close();
  latencies.sort((a, b) => a - b);
  return {
    handoffs: total,
    seconds,
    perSecond: total / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    commitsPerTransaction: stats.commits / Math.max(1, stats.transactions),
    coalesced: stats.coalesced,
    transactions: stats.transactions,
  };
}
