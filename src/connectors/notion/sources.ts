// Reading Notion for a decision: rows of a data source (a database's table) and one page. Values
// come back flattened (text, numbers, option names). Whether the text is trusted is the
// connector's `trust` setting: members write most workspaces, but forms, guests and public
// pages let people outside write rows and pages too, so the default is untrusted.
import { z } from 'zod';
import type { Client } from '@notionhq/client';
import { defineContextSource } from '../../actions/define.ts';
import type { ConnectorSource } from '../define.ts';
import type { NotionFor } from './client.ts';
import { notionId } from './ids.ts';
import { plainProperties, richText, titleOf } from './values.ts';

type Json = Record<string, unknown>;
const rec = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
// Answers are read defensively: a field missing from one is an empty value, not a crash.
const list = (v: unknown): unknown[] => (Array.isArray(v) ? (v as unknown[]) : []);

const FILTER_TYPES = [
  'title',
  'rich_text',
  'number',
  'checkbox',
  'select',
  'status',
  'url',
  'email',
  'phone_number',
] as const;

const queryParams = z.object({
  dataSourceId: notionId,
  filter: z
    .object({
      property: z.string().min(1),
      type: z.enum(FILTER_TYPES).describe("the property's type"),
      equals: z.union([z.string(), z.number(), z.boolean()]),
    })
    .refine(
      (f) =>
        f.type === 'number'
          ? typeof f.equals === 'number'
          : f.type === 'checkbox'
            ? typeof f.equals === 'boolean'
            : typeof f.equals === 'string',
      'equals must be a number for number, a boolean for checkbox, else text',
    )
    .optional(),
  limit: z.int().min(1).max(100).default(10),
});

/** A page or row as the decision sees it. */
const row = (page: unknown) => {
  const p = rec(page);
  return {
    id: p['id'] ?? null,
    url: p['url'] ?? null,
    lastEdited: p['last_edited_time'] ?? null,
    title: titleOf(p['properties']),
    properties: plainProperties(p['properties']),
  };
};

/** The plain text of a page's top-level blocks (first 100). */
async function pageText(n: Client, pageId: string): Promise<string> {
  const blocks = await n.blocks.children.list({ block_id: pageId, page_size: 100 });
  return list(rec(blocks)['results'])
    .map((b) => {
      const type = rec(b)['type'];
      const body = typeof type === 'string' ? rec(rec(b)[type]) : {};
      return body['rich_text'] !== undefined
        ? richText(body['rich_text'])
        : typeof body['title'] === 'string'
          ? body['title']
          : '';
    })
    .filter((t) => t !== '')
    .join('\n');
}

export function notionSources(notion: NotionFor, trust: 'trusted' | 'untrusted'): ConnectorSource[] {
  return [
    defineContextSource({
      id: 'query_database',
      description: 'The first rows of a data source, optionally where one property equals a value',
      params: queryParams,
      trust,
      async fetch(p, ctx) {
        const res = await notion(ctx.signal).dataSources.query({
          data_source_id: p.dataSourceId,
          page_size: p.limit,
          ...(p.filter
            ? {
                filter: {
                  property: p.filter.property,
                  [p.filter.type]: { equals: p.filter.equals },
                } as never,
              }
            : {}),
        });
        return {
          results: list(rec(res)['results']).slice(0, p.limit).map(row),
          hasMore: rec(res)['has_more'] === true,
        };
      },
    }),
    defineContextSource({
      id: 'get_page',
      description: "A page's title and properties, and with content: true the text of its blocks",
      params: z.object({ pageId: notionId, content: z.boolean().default(false) }),
      trust,
      async fetch(p, ctx) {
        const n = notion(ctx.signal);
        const page = rec(await n.pages.retrieve({ page_id: p.pageId }));
        return {
          ...row(page),
          inTrash: page['in_trash'] === true || page['archived'] === true,
          ...(p.content ? { text: await pageText(n, p.pageId) } : {}),
        };
      },
    }),
  ];
}
