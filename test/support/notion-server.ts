// A small Notion API (2025-09-03: databases hold data sources) for the tests that need state:
// pages with typed properties, data sources with a schema, queries with an equals filter, the
// trash. It checks the bearer token and Notion-Version, and sends each request to Prism serving
// Notion's published description first (spec-forward.ts), except a page created under a
// data_source_id parent, which that description does not model yet (its README, note N).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { specCheck, type SpecCheck } from './spec-forward.ts';

type Json = Record<string, any>;

export interface NotionPage {
  id: string;
  parent: Json;
  properties: Json;
  in_trash: boolean;
  /** Top-level paragraphs of the page. */
  paragraphs: string[];
  last_edited_time: string;
}

export interface NotionDataSource {
  id: string;
  databaseId: string;
  /** name → type */
  schema: Record<string, string>;
}

export interface NotionServer {
  url: string;
  pages: Map<string, NotionPage>;
  dataSources: Map<string, NotionDataSource>;
  databases: Map<string, { id: string; dataSources: string[] }>;
  spec: SpecCheck;
  dropNextCreateAnswer: boolean;
  addDatabase(schema: Record<string, string>): { databaseId: string; dataSourceId: string };
  /** A page whose property values are given in the API's request form (or, `raw`, as stored). */
  addPage(parent: Json, properties: Json, o?: { paragraphs?: string[]; raw?: Json }): NotionPage;
  close(): Promise<void>;
}

const ANNOTATIONS = {
  bold: false,
  italic: false,
  strikethrough: false,
  underline: false,
  code: false,
  color: 'default',
};

function richTextResponse(items: unknown): Json[] {
  if (!Array.isArray(items)) throw new Error('rich text must be an array');
  return items.map((raw: Json) => {
    const annotations = { ...ANNOTATIONS, ...raw['annotations'] };
    if (raw['text']) {
      const link = raw['text'].link ?? null;
      return {
        type: 'text',
        text: { content: raw['text'].content, link },
        annotations,
        plain_text: raw['text'].content,
        href: link?.url ?? null,
      };
    }
    if (raw['mention']) {
      const kind = Object.keys(raw['mention'])[0]!;
      return {
        type: 'mention',
        mention: { type: kind, [kind]: raw['mention'][kind] },
        annotations,
        plain_text: `@${kind}`,
        href: null,
      };
    }
    if (raw['equation'])
      return {
        type: 'equation',
        equation: raw['equation'],
        annotations,
        plain_text: raw['equation'].expression,
        href: null,
      };
    throw new Error('unknown rich text item');
  });
}

const EMPTY: Record<string, unknown> = {
  title: [],
  rich_text: [],
  checkbox: false,
  multi_select: [],
  people: [],
  relation: [],
  files: [],
};

const option = (o: Json | null) => (o ? { id: `opt-${o['name']}`, name: o['name'], color: 'default' } : null);

/** A property value in request form, stored as the API answers it. */
function valueResponse(type: string, value: Json): unknown {
  if (!(type in value)) throw new Error(`expected a ${type} value`);
  const v = value[type];
  switch (type) {
    case 'title':
    case 'rich_text':
      return richTextResponse(v);
    case 'number':
      if (v !== null && typeof v !== 'number') throw new Error('number expected');
      return v;
    case 'checkbox':
      if (typeof v !== 'boolean') throw new Error('checkbox expects a boolean');
      return v;
    case 'url':
    case 'email':
    case 'phone_number':
      return v;
    case 'select':
    case 'status':
      return option(v);
    case 'multi_select':
      return (v as Json[]).map(option);
    case 'date':
      return v ? { start: v.start, end: v.end ?? null, time_zone: v.time_zone ?? null } : null;
    case 'people':
      return (v as Json[]).map((u) => ({ object: 'user', id: u['id'] }));
    case 'relation':
      return (v as Json[]).map((r) => ({ id: r['id'] }));
    default:
      throw new Error(`${type} cannot be written`);
  }
}

const plain = (prop: Json): unknown => {
  const v = prop[prop['type']];
  if (prop['type'] === 'title' || prop['type'] === 'rich_text')
    return (v as Json[]).map((t) => t['plain_text']).join('');
  if (prop['type'] === 'select' || prop['type'] === 'status') return v?.name ?? null;
  return v;
};

export async function startNotionServer(o: { token: string; prism: string }): Promise<NotionServer> {
  const spec = specCheck((url, method, body) =>
    method === 'POST' && url === '/v1/pages' && body.includes('"data_source_id"') ? undefined : o.prism,
  );
  const pages = new Map<string, NotionPage>();
  const dataSources = new Map<string, NotionDataSource>();
  const databases = new Map<string, { id: string; dataSources: string[] }>();
  const state = { dropNextCreateAnswer: false };
  let tick = 0;
  const now = () => new Date(Date.UTC(2026, 0, 1) + tick++ * 60_000).toISOString();

  const schemaOf = (parent: Json): Record<string, string> => {
    if (parent['page_id'] || parent['workspace']) return { title: 'title' };
    const ds = dataSources.get(parent['data_source_id']);
    if (!ds) throw Object.assign(new Error('Could not find data source'), { status: 404 });
    return ds.schema;
  };
  const setProperties = (page: NotionPage, props: Json, schema: Record<string, string>) => {
    for (const [name, value] of Object.entries(props)) {
      const type = schema[name];
      if (!type) throw Object.assign(new Error(`${name} is not a property that exists.`), { status: 400 });
      try {
        page.properties[name] = { id: `p-${name}`, type, [type]: valueResponse(type, value) };
      } catch (e) {
        throw Object.assign(new Error(`body failed validation: ${name}: ${(e as Error).message}`), {
          status: 400,
        });
      }
    }
  };
  const pageJson = (p: NotionPage) => ({
    object: 'page',
    id: p.id,
    created_time: '2026-01-01T00:00:00.000Z',
    last_edited_time: p.last_edited_time,
    in_trash: p.in_trash,
    archived: p.in_trash,
    parent: p.parent,
    properties: p.properties,
    url: `https://www.notion.so/${p.id.replace(/-/g, '')}`,
  });
  const addPage = (
    parent: Json,
    properties: Json,
    x: { paragraphs?: string[]; raw?: Json } = {},
  ): NotionPage => {
    const page: NotionPage = {
      id: randomUUID(),
      parent,
      properties: {},
      in_trash: false,
      paragraphs: x.paragraphs ?? [],
      last_edited_time: now(),
    };
    // As Notion does, a page has every property of its data source, the unset ones empty.
    const schema = schemaOf(parent);
    for (const [name, type] of Object.entries(schema))
      page.properties[name] = { id: `p-${name}`, type, [type]: EMPTY[type] ?? null };
    setProperties(page, properties, schema);
    Object.assign(page.properties, x.raw ?? {});
    pages.set(page.id, page);
    return page;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> => {
    const send = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const fail = (status: number, code: string, message: string) =>
      send(status, { object: 'error', status, code, message });
    if (req.headers.authorization !== `Bearer ${o.token}`)
      return fail(401, 'unauthorized', 'API token is invalid.');
    if (req.headers['notion-version'] !== '2025-09-03')
      return fail(400, 'missing_version', 'Notion-Version must be 2025-09-03');
    const method = req.method ?? 'GET';
    const refused = await spec.check(method, req.url ?? '/', req.headers, raw);
    if (refused) return fail(400, 'validation_error', `request breaks the API description: ${refused}`);
    const url = new URL(req.url ?? '/', 'http://x');
    const parts = url.pathname.split('/').filter(Boolean).slice(1);
    const body: Json = raw ? JSON.parse(raw) : {};
    try {
      if (method === 'GET' && parts[0] === 'users' && parts[1] === 'me')
        return send(200, {
          object: 'user',
          id: 'b0b0b0b0-0000-4000-8000-000000000001',
          type: 'bot',
          name: 'Baton',
          bot: {},
        });
      if (method === 'GET' && parts[0] === 'databases') {
        const db = databases.get(parts[1]!);
        if (!db) return fail(404, 'object_not_found', 'Could not find database');
        return send(200, {
          object: 'database',
          id: db.id,
          title: [],
          data_sources: db.dataSources.map((id) => ({ id, name: 'Main' })),
        });
      }
      if (parts[0] === 'data_sources') {
        const ds = dataSources.get(parts[1]!);
        if (!ds) return fail(404, 'object_not_found', 'Could not find data source');
        if (method === 'GET' && parts.length === 2)
          return send(200, {
            object: 'data_source',
            id: ds.id,
            parent: { type: 'database_id', database_id: ds.databaseId },
            properties: Object.fromEntries(
              Object.entries(ds.schema).map(([name, type]) => [
                name,
                { id: `p-${name}`, name, type, [type]: {} },
              ]),
            ),
          });
        if (method === 'POST' && parts[2] === 'query') {
          const f = body['filter'] as Json | undefined;
          let rows = [...pages.values()].filter((p) => p.parent['data_source_id'] === ds.id && !p.in_trash);
          if (f) {
            const type = Object.keys(f).find((k) => k !== 'property')!;
            rows = rows.filter((p) => {
              const prop = p.properties[f['property']];
              return prop && prop.type === type && plain(prop) === f[type].equals;
            });
          }
          const size = body['page_size'] ?? 100;
          return send(200, {
            object: 'list',
            results: rows.slice(0, size).map(pageJson),
            has_more: rows.length > size,
            next_cursor: null,
            type: 'page_or_data_source',
            page_or_data_source: {},
          });
        }
      }
      if (parts[0] === 'pages' && method === 'POST' && parts.length === 1) {
        const parent: Json = { ...body['parent'] };
        if (parent['database_id']) {
          const db = databases.get(parent['database_id']);
          if (!db) return fail(404, 'object_not_found', 'Could not find database');
          parent['data_source_id'] = db.dataSources[0];
        }
        if (parent['page_id'] && !pages.has(parent['page_id']))
          return fail(404, 'object_not_found', 'Could not find page');
        const stored = parent['page_id']
          ? { type: 'page_id', page_id: parent['page_id'] }
          : {
              type: 'data_source_id',
              data_source_id: parent['data_source_id'],
              database_id: dataSources.get(parent['data_source_id'])?.databaseId,
            };
        const page = addPage(stored, body['properties'] ?? {});
        if (state.dropNextCreateAnswer) {
          state.dropNextCreateAnswer = false;
          req.socket.destroy();
          return;
        }
        return send(200, pageJson(page));
      }
      if (parts[0] === 'pages' && parts[1]) {
        const page = pages.get(parts[1]);
        if (!page) return fail(404, 'object_not_found', 'Could not find page');
        if (method === 'GET') return send(200, pageJson(page));
        if (method === 'PATCH') {
          if (page.in_trash && body['in_trash'] !== false && body['properties'])
            return fail(
              400,
              'validation_error',
              "Can't edit block that is archived. You must unarchive the block before editing.",
            );
          if (body['properties']) setProperties(page, body['properties'], schemaOf(page.parent));
          if (typeof body['in_trash'] === 'boolean') page.in_trash = body['in_trash'];
          page.last_edited_time = now();
          return send(200, pageJson(page));
        }
      }
      if (parts[0] === 'blocks' && parts[2] === 'children' && method === 'GET') {
        const page = pages.get(parts[1]!);
        if (!page) return fail(404, 'object_not_found', 'Could not find block');
        const children = [
          ...page.paragraphs.map((t, i) => ({
            object: 'block',
            id: `${page.id.slice(0, 30)}${String(i).padStart(6, '0')}`,
            type: 'paragraph',
            has_children: false,
            paragraph: { rich_text: richTextResponse([{ text: { content: t } }]), color: 'default' },
          })),
          ...[...pages.values()]
            .filter((p) => p.parent['page_id'] === page.id && !p.in_trash)
            .map((p) => ({
              object: 'block',
              id: p.id,
              type: 'child_page',
              has_children: false,
              child_page: { title: plain(p.properties['title']) },
            })),
        ];
        return send(200, {
          object: 'list',
          results: children,
          has_more: false,
          next_cursor: null,
          type: 'block',
          block: {},
        });
      }
      return fail(404, 'invalid_request_url', 'Invalid request URL.');
    } catch (e) {
      const status = (e as { status?: number }).status ?? 500;
      return fail(status, status === 404 ? 'object_not_found' : 'validation_error', (e as Error).message);
    }
  };

  const sockets = new Set<Socket>();
  const http = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (raw += d));
    req.on('end', () => {
      handle(req, res, raw).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(e));
      });
    });
  });
  http.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    pages,
    dataSources,
    databases,
    spec,
    get dropNextCreateAnswer() {
      return state.dropNextCreateAnswer;
    },
    set dropNextCreateAnswer(v: boolean) {
      state.dropNextCreateAnswer = v;
    },
    addDatabase(schema) {
      const databaseId = randomUUID();
      const dataSourceId = randomUUID();
      dataSources.set(dataSourceId, { id: dataSourceId, databaseId, schema });
      databases.set(databaseId, { id: databaseId, dataSources: [dataSourceId] });
      return { databaseId, dataSourceId };
    },
    addPage,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        http.close(() => r());
      }),
  };
}
