// Latency under a steady offered load (open loop): intakes arrive at `rate` per second whatever
// the engine does, for `seconds`; latency is intake call → `handed_off` committed.
import { Baton } from '../src/service/baton.ts';
import type { HandoffCommit } from '../src/store/port.ts';
import { leadInput, percentile } from './common.ts';

export async function runLatency(
  dir: string,
  storage: string,
  rate: number,
  seconds: number,
  threadedWriter: boolean,
) {
  const baton = await Baton.open({ dir, storage, worker: true, threadedWriter });
  baton.engine.start();
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const early = new Map<string, number>();
  baton.engine.on('committed', (c: HandoffCommit) => {
    if (c.handoff.state !== 'handed_off') return;
    const t = sentAt.get(c.handoff.id);
    if (t === undefined) early.set(c.handoff.id, performance.now());
    else if (!Number.isNaN(t)) {
      latencies.push(performance.now() - t);
      sentAt.set(c.handoff.id, Number.NaN);
    }
  });
  const total = rate * seconds;
  const t0 = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const t = performance.now();
    pending.push(
      baton.send('lead-to-owner', leadInput(1_000_000 + i), { kind: 'system', id: 'bench' }).then((r) => {
        const done = early.get(r.id);
        if (done !== undefined) latencies.push(done - t);
        else sentAt.set(r.id, t);
      }),
    );
  }
  await Promise.all(pending);
  while (latencies.length < total && performance.now() - t0 < (seconds + 30) * 1000)
    await new Promise((r) => setTimeout(r, 20));
  await baton.close();
  latencies.sort((a, b) => a - b);
  return {
    offered: rate,
    handoffs: latencies.length,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}
