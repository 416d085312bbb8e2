// HubSpot's deal search for sweeps: the deals nobody owns (a schedule starts one handoff per
// deal), oldest first, page after page up to a limit.
import { z } from 'zod';
import type { Client } from '@hubspot/api-client';
import { parseDuration } from '../../core/duration.ts';
import type { ConnectorSource } from '../define.ts';

const OWNER = 'hubspot_owner_id';
const PAGE = 100;
const MAX = 1000;
const PROPERTIES = ['dealname', 'amount', 'dealstage', 'pipeline', 'closedate', 'createdate', OWNER];

const params = z.object({
  older_than: z
    .string()
    .refine((t) => parseDuration(t) !== undefined, 'a duration like 1h, 30m or 2d')
    .optional()
    .describe('only deals created longer ago than this'),
  pipeline: z.string().min(1).max(100).optional().describe('only deals of this pipeline (its id)'),
  limit: z.int().min(1).max(MAX).default(PAGE).describe('the most deals returned (oldest first)'),
});

type Search = (what: string, signal: AbortSignal, call: (c: Client) => Promise<unknown>) => Promise<unknown>;

const valueOf = (props: Record<string, string | null | undefined>, key: string): string | null => {
  const v = props[key];
  return v === undefined || v === null || v === '' ? null : v;
};

export function dealsWithoutOwner(hs: Search): ConnectorSource {
  return {
    id: 'deals_without_owner',
    description:
      'Deals with no owner (hubspot_owner_id unset), oldest first, optionally older than `older_than` or in one pipeline, for a schedule that sweeps them',
    params,
    trust: 'trusted',
    // Deal names are typed by whoever created the deal (forms, integrations): outside text.
    untrustedFields: ['deals'],
    fetch: async (p: z.infer<typeof params>, { signal }) => {
      const filters: Array<Record<string, string>> = [{ propertyName: OWNER, operator: 'NOT_HAS_PROPERTY' }];
      if (p.older_than)
        filters.push({
          propertyName: 'createdate',
          operator: 'LT',
          value: String(Date.now() - parseDuration(p.older_than)!),
        });
      if (p.pipeline) filters.push({ propertyName: 'pipeline', operator: 'EQ', value: p.pipeline });
      const deals: Array<Record<string, unknown>> = [];
      let total = 0;
      let after: string | undefined;
      do {
        const page = (await hs('search deals without owner', signal, (c) =>
          c.crm.deals.searchApi.doSearch({
            filterGroups: [{ filters: filters as never }],
            // The documented form ({propertyName, direction}); the SDK types it as text.
            sorts: [{ propertyName: 'createdate', direction: 'ASCENDING' }] as never,
            properties: PROPERTIES,
            limit: Math.min(PAGE, p.limit - deals.length),
            ...(after ? { after } : {}),
          }),
        )) as {
          total: number;
          results: Array<{ id: string; properties: Record<string, string | null> }>;
          paging?: { next?: { after?: string } };
        };
        total = page.total;
        for (const d of page.results)
          deals.push({
            id: d.id,
            name: valueOf(d.properties, 'dealname'),
            amount: valueOf(d.properties, 'amount'),
            stage: valueOf(d.properties, 'dealstage'),
            pipeline: valueOf(d.properties, 'pipeline'),
            closeDate: valueOf(d.properties, 'closedate'),
            createdAt: valueOf(d.properties, 'createdate'),
          });
        after = page.results.length > 0 ? page.paging?.next?.after : undefined;
      } while (after && deals.length < p.limit);
      return { deals, total, truncated: total > deals.length };
    },
  };
}
