// Health, readiness and metrics. /healthz and /readyz need no token (probes call them from
// anywhere); they reveal nothing but up or down.
import { BatonError } from '../../core/errors.ts';
import { metricsSummary } from '../../metrics/summary.ts';
import { requireNamedFlow } from '../reach.ts';
import { defineRoute, type Route } from '../route.ts';
import { metricsSummaryResponse, okResponse, readyResponse, summaryQuery } from '../schemas.ts';

const READY_TIMEOUT_MS = 2000;

export function opsRoutes(prom: { text(): Promise<string>; contentType: string }): Route[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/healthz',
      access: 'public',
      tag: 'ops',
      summary: 'The process is up',
      response: { description: 'Up', schema: okResponse },
      async handler() {
        return { ok: true };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/readyz',
      access: 'public',
      tag: 'ops',
      summary: 'The store answers (503 when it does not): which store, and how fast it answered',
      response: { description: 'Ready', schema: readyResponse },
      errors: [503],
      async handler({ baton }) {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timed out')), READY_TIMEOUT_MS);
        });
        const started = performance.now();
        try {
          await Promise.race([baton.store.query('SELECT 1'), timeout]);
        } catch (e) {
          throw new BatonError(
            'store_error',
            `The store does not answer: ${e instanceof Error ? e.message : 'error'}`,
          );
        } finally {
          clearTimeout(timer);
        }
        const ms = Math.round((performance.now() - started) * 10) / 10;
        return { ok: true, store: { kind: baton.store.kind, ms } };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/metrics',
      access: 'read',
      tag: 'ops',
      summary: 'Prometheus metrics (SPEC §6 names)',
      response: { description: 'Prometheus text exposition', contentType: 'text/plain' },
      async handler({ reply }) {
        const text = await prom.text();
        return reply.type(prom.contentType).send(text);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/metrics/summary',
      access: 'read',
      scoped: 'checked',
      tag: 'ops',
      summary: 'Per-owner and per-boundary figures from the store',
      query: summaryQuery,
      response: { description: 'The summary', schema: metricsSummaryResponse },
      async handler({ query, caller, baton }) {
        requireNamedFlow(caller, query.flow);
        return metricsSummary(baton.store, query);
      },
    }),
  ];
}
