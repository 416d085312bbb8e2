// The Notion actions. create_page finds a page it made before it makes one (lookup): under a
// database or data source by a rich text property holding Baton's marker (`keyProperty`,
// default "Baton key", which the database must have); under a page, where pages have no
// properties but a title, by the marker at the end of the title. Its undo moves the page to the
// trash (Notion's own undo: the page can be restored from there). update_page captures the
// values it overwrites and writes them back.
import { z } from 'zod';
import type { Client } from '@notionhq/client';
import { BatonError, isBatonError } from '../../core/errors.ts';
import { defineAction } from '../../actions/define.ts';
import type { ConnectorAction } from '../define.ts';
import type { NotionFor } from './client.ts';
import { markerOf, notionId } from './ids.ts';
import { writableValue } from './values.ts';

type Json = Record<string, unknown>;
const rec = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});

const properties = z
  .record(z.string(), z.unknown())
  .describe(
    'property values as the Notion API takes them, by property name: {"Status": {"select": {"name": "Open"}}}',
  );

const createParams = z.object({
  parent: z.union([
    z.strictObject({ pageId: notionId }),
    z.strictObject({ databaseId: notionId }),
    z.strictObject({ dataSourceId: notionId }),
  ]),
  title: z.string().min(1).max(2000),
  properties: properties.optional(),
  keyProperty: z
    .string()
    .min(1)
    .default('Baton key')
    .describe("database parents: the rich text property that holds Baton's key"),
});
type CreateParams = z.infer<typeof createParams>;
interface CreateResult {
  pageId: string;
  url: string | null;
  created: boolean;
}

const textValue = (content: string) => [{ type: 'text', text: { content } }];

/** The data source a database or data source parent writes into (a database's first one). */
async function dataSourceOf(notion: Client, parent: CreateParams['parent']): Promise<string | undefined> {
  if ('dataSourceId' in parent) return parent.dataSourceId;
  if (!('databaseId' in parent)) return undefined;
  const db = await notion.databases.retrieve({ database_id: parent.databaseId });
  const first = (rec(db)['data_sources'] as Array<{ id?: string }> | undefined)?.[0]?.id;
  if (!first)
    throw new BatonError('action_failed', `notion: database ${parent.databaseId} has no data source`, {
      fault: 'user',
    });
  return first;
}

async function titlePropertyOf(notion: Client, dataSourceId: string): Promise<string> {
  const ds = await notion.dataSources.retrieve({ data_source_id: dataSourceId });
  const found = Object.entries(rec(rec(ds)['properties'])).find(([, p]) => rec(p)['type'] === 'title');
  return found?.[0] ?? 'Name';
}

/** A page Baton made for this marker under a page parent: a child page whose title ends with it. */
async function childPageWithMarker(
  notion: Client,
  pageId: string,
  marker: string,
): Promise<string | undefined> {
  let cursor: string | undefined;
  for (let n = 0; n < 10; n++) {
    const page = await notion.blocks.children.list({
      block_id: pageId,
      page_size: 100,
      ...(cursor ? { start_cursor: cursor } : {}),
    });
    for (const b of (rec(page)['results'] as unknown[] | undefined) ?? []) {
      const title = rec(rec(b)['child_page'])['title'];
      const id = rec(b)['id'];
      if (
        rec(b)['type'] === 'child_page' &&
        typeof title === 'string' &&
        title.endsWith(`[${marker}]`) &&
        typeof id === 'string'
      )
        return id;
    }
    if (!page.has_more || !page.next_cursor) return undefined;
    cursor = page.next_cursor;
  }
  return undefined;
}

function createPage(notion: NotionFor): ConnectorAction {
  return defineAction<CreateParams, CreateResult>({
    id: 'create_page',
    description: 'Create a page under a page, database or data source (a retry finds the page it made)',
    params: createParams,
    risk: 'medium',
    idempotent: true,
    idempotency: 'lookup',
    async run(p, ctx) {
      const n = notion(ctx.signal);
      const marker = markerOf(ctx.idempotencyKey);
      const extra = p.properties ?? {};
      if ('pageId' in p.parent) {
        const existing = await childPageWithMarker(n, p.parent.pageId, marker);
        if (existing) return { pageId: existing, url: null, created: false };
        const made = await n.pages.create({
          parent: { page_id: p.parent.pageId },
          properties: { ...extra, title: { title: textValue(`${p.title} [${marker}]`) } } as never,
        });
        return { pageId: made.id, url: (rec(made)['url'] as string | undefined) ?? null, created: true };
      }
      const dataSource = (await dataSourceOf(n, p.parent))!;
      const found = await n.dataSources.query({
        data_source_id: dataSource,
        filter: { property: p.keyProperty, rich_text: { equals: marker } },
        page_size: 1,
      });
      const first = ((rec(found)['results'] as Array<{ id: string }> | undefined) ?? [])[0];
      if (first)
        return { pageId: first.id, url: (rec(first)['url'] as string | undefined) ?? null, created: false };
      const titleProperty = await titlePropertyOf(n, dataSource);
      const parent =
        'databaseId' in p.parent ? { database_id: p.parent.databaseId } : { data_source_id: dataSource };
      const made = await n.pages.create({
        parent,
        properties: {
          ...extra,
          [titleProperty]: { title: textValue(p.title) },
          [p.keyProperty]: { rich_text: textValue(marker) },
        } as never,
      });
      return { pageId: made.id, url: (rec(made)['url'] as string | undefined) ?? null, created: true };
    },
    async rollback(_p, r, ctx) {
      const n = notion(ctx.signal);
      let page: Json;
      try {
        page = rec(await n.pages.retrieve({ page_id: r.pageId }));
      } catch (e) {
        if (isBatonError(e) ? e.context['status'] === 404 : rec(e)['status'] === 404)
          return { trashed: false };
        throw e;
      }
      if (page['in_trash'] === true || page['archived'] === true) return { trashed: false };
      await n.pages.update({ page_id: r.pageId, in_trash: true });
      return { trashed: true };
    },
  });
}

const updateParams = z.object({
  pageId: notionId,
  properties: properties.refine((v) => Object.keys(v).length > 0, 'at least one property'),
});
type UpdateParams = z.infer<typeof updateParams>;
interface UpdateUndo {
  properties: Json;
}

function updatePage(notion: NotionFor): ConnectorAction {
  return defineAction<UpdateParams, { pageId: string }>({
    id: 'update_page',
    description: 'Set properties of a page (rollback writes back the values it replaced)',
    params: updateParams,
    risk: 'medium',
    idempotent: true,
    idempotency: 'natural',
    async capture(p, ctx) {
      const page = rec(await notion(ctx.signal).pages.retrieve({ page_id: p.pageId }));
      const props = rec(page['properties']);
      const before: Json = {};
      for (const name of Object.keys(p.properties)) {
        // A key is a property's name or its id.
        const prop = props[name] ?? Object.values(props).find((x) => rec(x)['id'] === name);
        if (prop === undefined)
          throw new BatonError('action_failed', `notion: page ${p.pageId} has no property "${name}"`, {
            fault: 'user',
            retryable: false,
          });
        before[name] = writableValue(prop, name);
      }
      return { properties: before } satisfies UpdateUndo;
    },
    async run(p, ctx) {
      await notion(ctx.signal).pages.update({ page_id: p.pageId, properties: p.properties as never });
      return { pageId: p.pageId };
    },
    async rollback(p, _r, ctx) {
      const undo = ctx.undo as UpdateUndo | undefined;
      if (!undo) throw new BatonError('action_failed', 'notion: nothing was captured to restore', {});
      await notion(ctx.signal).pages.update({ page_id: p.pageId, properties: undo.properties as never });
      return { restored: Object.keys(undo.properties) };
    },
  });
}

export const notionActions = (notion: NotionFor): ConnectorAction[] => [
  createPage(notion),
  updatePage(notion),
];
