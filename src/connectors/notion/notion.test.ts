// The Notion connector through @notionhq/client: against Prism serving Notion's published
// description (each call must be one it accepts), and against a stateful server
// (test/support/notion-server.ts, whose requests Prism checks too) for lookups and rollbacks.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isBatonError } from '../../core/errors.ts';
import { connectorContract } from '../../../test/support/connector-contract.ts';
import {
  actionContext,
  fetchSource,
  openConnector,
  rollback,
  runAction,
} from '../../../test/support/connector-steps.ts';
import { startNotionServer, type NotionServer } from '../../../test/support/notion-server.ts';
import { startPrism, type Prism } from '../../../test/support/prism.ts';
import type { ConnectorDefinition, ConnectorInstance } from '../define.ts';
import { notion } from './connector.ts';
import { markerOf } from './ids.ts';

const definition = notion as ConnectorDefinition<never>;
const TOKEN = 'ntn_secret_token_51c0ffee';
const SCHEMA = {
  Name: 'title',
  'Baton key': 'rich_text',
  Status: 'select',
  Score: 'number',
  Done: 'checkbox',
  Tags: 'multi_select',
  Due: 'date',
  Notes: 'rich_text',
  Owner: 'people',
};
const text = (content: string) => [{ type: 'text', text: { content } }];

let prism: Prism;
let server: NotionServer;
let conn: ConnectorInstance;
let db: { databaseId: string; dataSourceId: string };

beforeAll(async () => {
  prism = await startPrism('notion-api.json');
  server = await startNotionServer({ token: TOKEN, prism: prism.url });
  conn = await openConnector('notion', definition, { token: TOKEN, baseUrl: server.url });
  db = server.addDatabase(SCHEMA);
}, 120_000);
afterAll(async () => {
  await server?.close();
  await prism?.close();
});
afterEach(() => {
  const refused = server?.spec.violations.splice(0) ?? [];
  if (refused.length) throw new Error(`requests the API description refuses:\n${refused.join('\n')}`);
});

const PAGE = '59833787-2cf9-4fdf-8782-e53db20768a5';

describe('notion against Prism (Notion description, --errors)', () => {
  it('each call is accepted as sent', async () => {
    const p = await openConnector('notion', definition, { token: TOKEN, baseUrl: prism.url });
    await expect(p.check(AbortSignal.timeout(10_000))).resolves.toMatch(/^authenticated as /);
    await fetchSource(p, 'notion.get_page', { pageId: PAGE, content: true });
    await fetchSource(p, 'notion.query_database', {
      dataSourceId: PAGE,
      filter: { property: 'Status', type: 'select', equals: 'Open' },
      limit: 5,
    });
    const created = await runAction(
      p,
      'notion.create_page',
      { parent: { pageId: PAGE }, title: 'From Baton' },
      'k-np-1',
    );
    await rollback(p, 'notion.create_page', created);
    // Prism's database is an empty object (no data source listed): the read is checked, then it stops.
    await expect(
      runAction(p, 'notion.create_page', { parent: { databaseId: PAGE }, title: 'Row' }, 'k-np-2'),
    ).rejects.toThrow(/has no data source/);
    await runAction(
      p,
      'notion.create_page',
      { parent: { dataSourceId: PAGE }, title: 'Row' },
      'k-np-3',
    ).catch((e: unknown) => {
      // Past the lookup, the create under a data_source_id parent is what the description
      // does not model (note N): Prism refuses exactly that, and nothing else.
      expect((e as Error).message).toMatch(/POST \/v1\/pages answered 400/);
    });
    // Prism's page is an empty object, so capture has nothing to read: the update and its undo
    // are sent as run and rollback send them.
    const update = p.actions.find((a) => a.id === 'notion.update_page')!;
    const ctx = actionContext(update.id, 'k-np-4');
    const params = update.params.parse({
      pageId: PAGE,
      properties: { Status: { select: { name: 'Done' } } },
    });
    await update.run(params, ctx);
    await update.rollback!(
      params,
      { pageId: PAGE },
      { ...ctx, undo: { properties: { Status: { select: null } } } },
    );
  });

  it('a request the description forbids is refused (the check can fail)', async () => {
    const res = await fetch(`${prism.url}/v1/data_sources/${PAGE}/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ page_size: 'ten' }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('sl-violations')).toBeTruthy();
  });
});

describe('notion against a stateful server', () => {
  it('query_database filters on one property and flattens values; get_page reads title, properties and text', async () => {
    const open = server.addPage(
      { type: 'data_source_id', data_source_id: db.dataSourceId },
      {
        Name: { title: text('Refund for ACME') },
        Status: { select: { name: 'Open' } },
        Score: { number: 7 },
        Tags: { multi_select: [{ name: 'billing' }, { name: 'vip' }] },
        Due: { date: { start: '2026-02-01' } },
        Done: { checkbox: false },
      },
      { paragraphs: ['Customer wrote in.', 'Second line.'] },
    );
    server.addPage(
      { type: 'data_source_id', data_source_id: db.dataSourceId },
      {
        Name: { title: text('Closed one') },
        Status: { select: { name: 'Closed' } },
      },
    );
    const got = (await fetchSource(conn, 'notion.query_database', {
      dataSourceId: db.dataSourceId.replace(/-/g, ''),
      filter: { property: 'Status', type: 'select', equals: 'Open' },
    })) as { results: Array<Record<string, unknown>>; hasMore: boolean };
    expect(got.hasMore).toBe(false);
    expect(got.results).toHaveLength(1);
    expect(got.results[0]).toMatchObject({
      id: open.id,
      title: 'Refund for ACME',
      properties: {
        Name: 'Refund for ACME',
        Status: 'Open',
        Score: 7,
        Tags: ['billing', 'vip'],
        Due: '2026-02-01',
        Done: false,
      },
    });
    const page = await fetchSource(conn, 'notion.get_page', { pageId: open.id, content: true });
    expect(page).toMatchObject({
      id: open.id,
      title: 'Refund for ACME',
      inTrash: false,
      text: 'Customer wrote in.\nSecond line.',
    });
    expect(conn.sources.map((s) => s.trust)).toEqual(['untrusted', 'untrusted']);
    const trusted = await openConnector('notion', definition, {
      token: TOKEN,
      baseUrl: server.url,
      trust: 'trusted',
    });
    expect(trusted.sources.map((s) => s.trust)).toEqual(['trusted', 'trusted']);
  });

  it('create_page under a data source: a retry after a lost answer makes one page; rollback trashes it, twice harmlessly', async () => {
    const rows = () =>
      [...server.pages.values()].filter((p) => p.parent['data_source_id'] === db.dataSourceId && !p.in_trash);
    const before = rows().length;
    const params = {
      parent: { dataSourceId: db.dataSourceId },
      title: 'New ticket',
      properties: { Status: { select: { name: 'Open' } } },
    };
    server.dropNextCreateAnswer = true;
    await expect(runAction(conn, 'notion.create_page', params, 'key-np-1')).rejects.toThrow(
      /fetch failed|terminated|socket/,
    );
    const step = await runAction(conn, 'notion.create_page', params, 'key-np-1');
    expect(rows()).toHaveLength(before + 1);
    const made = server.pages.get((step.result as { pageId: string }).pageId)!;
    expect(step.result).toMatchObject({ created: false });
    expect(made.properties['Baton key'].rich_text[0].plain_text).toBe(markerOf('key-np-1'));
    expect(made.properties['Name'].title[0].plain_text).toBe('New ticket');
    expect(made.properties['Status'].select.name).toBe('Open');
    await expect(rollback(conn, 'notion.create_page', step)).resolves.toEqual({ trashed: true });
    expect(made.in_trash).toBe(true);
    await expect(rollback(conn, 'notion.create_page', step)).resolves.toEqual({ trashed: false });
    expect(rows()).toHaveLength(before);
  });

  it('create_page under a database (its data source found, request checked by Prism)', async () => {
    const step = await runAction(
      conn,
      'notion.create_page',
      { parent: { databaseId: db.databaseId }, title: 'Via database' },
      'key-np-db',
    );
    const again = await runAction(
      conn,
      'notion.create_page',
      { parent: { databaseId: db.databaseId }, title: 'Via database' },
      'key-np-db',
    );
    expect(again.result).toEqual({ ...(step.result as object), created: false });
    const page = server.pages.get((step.result as { pageId: string }).pageId)!;
    expect(page.parent['data_source_id']).toBe(db.dataSourceId);
    await rollback(conn, 'notion.create_page', step);
    expect(page.in_trash).toBe(true);
  });

  it('create_page under a page keeps the marker in the title and finds it again', async () => {
    const home = server.addPage({ type: 'workspace', workspace: true }, { title: { title: text('Home') } });
    const p = { parent: { pageId: home.id }, title: 'Handoff notes' };
    const step = await runAction(conn, 'notion.create_page', p, 'key-np-page');
    const again = await runAction(conn, 'notion.create_page', p, 'key-np-page');
    expect(again.result).toMatchObject({
      pageId: (step.result as { pageId: string }).pageId,
      created: false,
    });
    const child = server.pages.get((step.result as { pageId: string }).pageId)!;
    expect(child.properties['title'].title[0].plain_text).toBe(`Handoff notes [${markerOf('key-np-page')}]`);
    await rollback(conn, 'notion.create_page', step);
    expect(child.in_trash).toBe(true);
  });

  it('update_page captures the values it replaces; rollback restores them exactly, twice harmlessly', async () => {
    const page = server.addPage(
      { type: 'data_source_id', data_source_id: db.dataSourceId },
      {
        Name: { title: text('Keep me') },
        Status: { select: { name: 'Open' } },
        Score: { number: 3 },
        Tags: { multi_select: [{ name: 'a' }] },
        Due: { date: { start: '2026-03-01', end: '2026-03-02' } },
        Notes: {
          rich_text: [
            { type: 'text', text: { content: 'bold ', link: null }, annotations: { bold: true } },
            { type: 'text', text: { content: 'link', link: { url: 'https://example.com/' } } },
            { type: 'mention', mention: { user: { id: 'b0b0b0b0-0000-4000-8000-000000000002' } } },
          ],
        },
        Owner: { people: [{ id: 'b0b0b0b0-0000-4000-8000-000000000003' }] },
      },
    );
    const original = structuredClone(page.properties);
    const change = {
      Status: { select: { name: 'Closed' } },
      Score: { number: null },
      Tags: { multi_select: [] },
      Due: { date: null },
      Notes: { rich_text: text('replaced') },
      Owner: { people: [] },
      Done: { checkbox: true },
    };
    const step = await runAction(
      conn,
      'notion.update_page',
      { pageId: page.id, properties: change },
      'key-up-1',
    );
    expect(page.properties['Status'].select.name).toBe('Closed');
    expect(page.properties['Notes'].rich_text[0].plain_text).toBe('replaced');
    await rollback(conn, 'notion.update_page', step);
    expect(page.properties).toEqual(original);
    await rollback(conn, 'notion.update_page', step);
    expect(page.properties).toEqual(original);
  });

  it('update_page refuses what it could not restore, and names the property', async () => {
    const page = server.addPage(
      { type: 'data_source_id', data_source_id: db.dataSourceId },
      { Name: { title: text('Computed') } },
      { raw: { Total: { id: 'p-Total', type: 'formula', formula: { type: 'number', number: 5 } } } },
    );
    const e: unknown = await runAction(
      conn,
      'notion.update_page',
      { pageId: page.id, properties: { Total: { number: 6 } } },
      'k',
    ).catch((x: unknown) => x);
    expect(isBatonError(e) && !e.retryable).toBe(true);
    expect((e as Error).message).toMatch(/"Total" cannot be restored.*read-only/);
    const missing: unknown = await runAction(
      conn,
      'notion.update_page',
      { pageId: page.id, properties: { Nope: { number: 1 } } },
      'k',
    ).catch((x: unknown) => x);
    expect((missing as Error).message).toMatch(/has no property "Nope"/);
  });

  it('ids are Notion ids only (nothing that changes the path)', () => {
    const a = conn.actions.find((x) => x.id === 'notion.update_page')!;
    expect(a.params.safeParse({ pageId: '../users/me', properties: { a: {} } }).success).toBe(false);
    expect(a.params.safeParse({ pageId: PAGE.replace(/-/g, ''), properties: { a: {} } }).data).toMatchObject({
      pageId: PAGE,
    });
  });
});

const settings = { token: TOKEN, baseUrl: 'http://127.0.0.1:9' };
connectorContract({
  definition,
  settings,
  hostile: (url) => ({ ...settings, baseUrl: url }),
  read: (inst, signal) =>
    inst.sources
      .find((s) => s.id === 'subject.get_page')!
      .fetch({ pageId: PAGE, content: false }, { handoffId: 'h', flow: 'f', signal }) as Promise<unknown>,
});
