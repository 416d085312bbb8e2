// Request and answer schemas of the intake routes: the dead-letter list, replays, and each
// flow's triggers. The stored records are turned into these views by `failureView`.
import { z } from 'zod';

const iso = z.string().describe('ISO 8601 time');

export const failureParams = z.strictObject({
  id: z.string().regex(/^if_[A-Za-z0-9_-]+$/, 'an intake failure id (if_…)'),
});

export const failureQuery = z.strictObject({
  flow: z.string().optional(),
  state: z
    .enum(['failed', 'replayed', 'dropped', 'all'])
    .default('failed')
    .describe('failed (default): waiting for a fix and a replay; replayed, dropped, or all'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: iso
    .optional()
    .describe('Only entries last seen before this time (the next page: the last item’s lastSeenAt)'),
});

const payloadView = z.object({
  contentType: z.string(),
  bytes: z.number().describe('The size of what arrived'),
  truncated: z.boolean().describe('Only the start was kept (it was over the size limit)'),
  meta: z.record(z.string(), z.string()),
  preview: z.string().describe('The start of the payload as text (at most 2,000 characters)'),
  body: z
    .string()
    .optional()
    .describe('The whole payload as kept (one entry only): base64 or text, as `encoding` says'),
  encoding: z.enum(['utf8', 'base64']).optional(),
});

export const failureView = z.object({
  id: z.string(),
  flow: z.string(),
  trigger: z.string().describe('email, slack, schedule or webhooks.CONNECTOR'),
  key: z.string().describe("The trigger's own idempotency key (Message-ID, event_id, delivery id, slot)"),
  reason: z
    .string()
    .describe('unparseable | map_failed | invalid_input | too_large | idempotency_conflict | not_accepted'),
  message: z.string(),
  details: z.array(
    z.object({
      path: z.string(),
      message: z.string(),
      line: z.number().optional(),
      column: z.number().optional(),
    }),
  ),
  receivedAt: iso,
  lastSeenAt: iso,
  seen: z.number().describe('How many times it arrived'),
  state: z.enum(['failed', 'replayed', 'dropped']),
  settledAt: iso.optional(),
  settledBy: z.string().optional(),
  handoffId: z.string().optional().describe('The handoff its replay made or found'),
  payload: payloadView,
});

export const failureList = z.object({ items: z.array(failureView) });

export const replayAnswer = z.object({
  outcome: z.enum(['created', 'duplicate', 'commented', 'failed']),
  handoffId: z.string().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  failure: failureView,
});

export const triggerList = z.object({
  items: z.array(
    z.object({
      flow: z.string(),
      triggers: z.array(
        z.object({
          trigger: z.string(),
          live: z.boolean(),
          where: z.string(),
          lastFiredAt: iso.optional(),
          lastOutcome: z.string().optional(),
          fired: z.number().optional(),
          failed: z.number().optional(),
          nextAt: iso.optional(),
        }),
      ),
    }),
  ),
});
