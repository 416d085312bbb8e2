// The shape of `GET /v1/metrics/summary` (metrics/summary.ts builds it), for the OpenAPI document.
// The type checks below fail to compile when the two drift apart.
import { z } from 'zod';
import { HANDOFF_STATES } from '../core/types.ts';
import { DECISION_KINDS } from '../metrics/figures.ts';
import type { MetricsSummary } from '../metrics/summary.ts';

const count = z.number().int();
const share = z
  .number()
  .nullable()
  .describe('A fraction from 0 to 1; null when there is nothing to divide by');
const seconds = z.number().nullable();
const percentiles = z
  .object({ count, p50: seconds, p90: seconds, p95: seconds, p99: seconds })
  .describe('Nearest-rank percentiles in seconds (null without values)');
const ageBucket = z.object({
  bucket: z.string().describe('e.g. under 1h, 1h–4h, over 3d'),
  upToSeconds: z.number().nullable().describe('The upper bound; null for the open-ended last bucket'),
  count,
});
const each = <K extends readonly [string, ...string[]], V extends z.ZodType>(keys: K, value: V) =>
  z.object(Object.fromEntries(keys.map((k) => [k, value])) as { [P in K[number]]: V });

const group = {
  handoffs: count,
  states: each(HANDOFF_STATES, count).describe('Current state of each handoff'),
  latency: z.object({
    receivedToHandedOff: percentiles,
    handedOffToAccepted: percentiles,
    acceptedToCompleted: percentiles,
    receivedToAccepted: percentiles,
    receivedToCompleted: percentiles,
  }),
  rework: z.object({
    returned: count,
    declined: count,
    reassigned: count,
    overridden: count,
    total: count,
    handoffs: count,
    rate: share,
  }),
  byDecision: each(
    DECISION_KINDS,
    z.object({ handoffs: count, reworked: count, reworkEvents: count, rate: share }),
  ),
  escalations: z.object({ events: count, handoffs: count, rate: share }),
  slaBreaches: z.object({ handoffs: count, rate: share }),
  cost: z.object({ totalUsd: z.number(), completed: count, perCompletedUsd: z.number().nullable() }),
};

const approvalFigures = {
  requested: count,
  byOutcome: each(['pending', 'approved', 'rejected', 'timed_out', 'voided'] as const, count),
  byLabel: each(['human', 'rule', 'fallback', 'timeout', 'none'] as const, count),
  byKind: z.object({ action: count, decision: count }),
  latency: percentiles,
  timeouts: z.object({ total: count, escalate: count, approve: count, reject: count }),
  overridden: z.object({ approvals: count, edits: count }),
  reminders: count,
  delegatedVotes: count,
};

export const metricsSummaryResponse = z
  .object({
    generatedAt: z.string().describe('ISO 8601 time'),
    filter: z.object({
      since: z.string().nullable(),
      until: z.string().nullable(),
      flow: z.string().nullable(),
      boundary: z.string().nullable(),
    }),
    totals: z.object(group),
    flows: z.array(z.object({ flow: z.string(), boundaries: z.array(z.string()), ...group })),
    boundaries: z.array(
      z.object({
        boundary: z.string(),
        from: z.string(),
        to: z.string(),
        flows: z.array(z.string()),
        ...group,
      }),
    ),
    owners: z
      .array(
        z.object({
          owner: z.string(),
          waiting: count,
          states: z.object({
            handed_off: count,
            escalated: count,
            returned: count,
            accepted: count,
            failed: count,
          }),
          breached: count,
          oldestAgeSeconds: seconds,
          p50AgeSeconds: seconds,
          ageBuckets: z.array(ageBucket),
        }),
      )
      .describe('What each owner holds now (not limited to the period)'),
    queueAges: z
      .object({ waiting: count, breached: count, buckets: z.array(ageBucket) })
      .describe('All waiting work by how long it has waited (now, not limited to the period)'),
    ownerActivity: z.array(
      z.object({
        owner: z.string(),
        assigned: count,
        accepted: count,
        completed: count,
        declined: count,
        returned: count,
        movedOn: count,
        sentBackRate: share,
        acceptLatency: percentiles,
      }),
    ),
    rework: z.object({
      byReason: z.array(
        z.object({ flow: z.string(), reason: z.string(), returned: count, declined: count, total: count }),
      ),
    }),
    escalations: z.object({
      byReason: z.array(
        z.object({ flow: z.string(), reason: z.string(), events: count, handoffs: count, rate: share }),
      ),
    }),
    approvals: z.object({
      ...approvalFigures,
      byFlow: z.array(z.object({ flow: z.string(), ...approvalFigures })),
    }),
    shadow: z.array(
      z.object({
        flow: z.string(),
        handoffs: count,
        observed: count,
        agreed: count,
        agreement: share,
        readyToPromote: z.boolean(),
        gate: z
          .object({ minObserved: count, minAgreement: z.number() })
          .describe('The promotion gate: observations needed and the agreement to reach'),
      }),
    ),
  })
  .describe('Latency, rework, escalation, approval, cost and load figures (docs/metrics.md)');

// Compile-time: the schema and the type describe the same object.
type Documented = z.output<typeof metricsSummaryResponse>;
export const summaryMatchesType = (s: MetricsSummary): Documented => s;
export const typeMatchesSummary = (d: Documented): MetricsSummary => d;
