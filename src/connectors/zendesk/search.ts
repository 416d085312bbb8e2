// Zendesk's search for sweeps: the tickets nobody is assigned to that have waited longer than a
// given age (a schedule starts one handoff per ticket). Through node-zendesk's search client,
// oldest first; Zendesk's offset search stops at 1,000 results, which `truncated` says.
import { z } from 'zod';
import { num, ticketFields } from './ticket-fields.ts';
import { parseDuration } from '../../core/duration.ts';
import type { ConnectorSource } from '../define.ts';
import type { ZendeskCalls } from './client.ts';

/** Zendesk answers at most 100 results a page and 1,000 in all. */
const PAGE = 100;
const MAX_RESULTS = 1000;

const params = z.object({
  older_than: z
    .string()
    .refine((t) => parseDuration(t) !== undefined, 'a duration like 1h, 30m or 2d')
    .default('1h')
    .describe('only tickets created longer ago than this'),
  group_id: z.int().positive().optional().describe('only tickets of this group'),
  limit: z.int().min(1).max(MAX_RESULTS).default(PAGE).describe('the most tickets returned (oldest first)'),
});

/** The search terms: unsolved tickets without an assignee, created before `before`. */
export function unassignedQuery(before: Date, groupId?: number): string {
  const at = before.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `type:ticket assignee:none status<solved created<${at}${groupId ? ` group:${groupId}` : ''}`;
}

export function unassignedTickets(
  calls: (what: string, signal: AbortSignal) => ZendeskCalls,
): ConnectorSource {
  return {
    id: 'unassigned_tickets',
    description:
      'Unsolved tickets with no assignee created longer ago than `older_than` (oldest first, at most 1,000), for a schedule that sweeps forgotten tickets',
    params,
    trust: 'trusted',
    // Subjects and descriptions are the customers' words.
    untrustedFields: ['tickets'],
    fetch: async (p: z.infer<typeof params>, { signal }) => {
      const before = new Date(Date.now() - parseDuration(p.older_than)!);
      const query = unassignedQuery(before, p.group_id);
      const c = calls('zendesk: search unassigned tickets', signal);
      const tickets: Array<Record<string, unknown>> = [];
      let count = 0;
      for (let page = 1; tickets.length < p.limit; page++) {
        const body = await c.search({
          query,
          sort_by: 'created_at',
          sort_order: 'asc',
          per_page: Math.min(PAGE, p.limit),
          ...(page > 1 ? { page } : {}),
        });
        const results = Array.isArray(body.results) ? (body.results as Array<Record<string, unknown>>) : [];
        count = num(body.count) ?? count;
        for (const t of results)
          if (t.result_type === undefined || t.result_type === 'ticket') tickets.push(t);
        if (!body.next_page || results.length === 0 || page * PAGE >= MAX_RESULTS) break;
      }
      const rows = tickets
        .slice(0, p.limit)
        .map((t) => ({ ...ticketFields(t), requester_id: num(t.requester_id) }));
      return { tickets: rows, count, truncated: count > rows.length };
    },
  };
}
