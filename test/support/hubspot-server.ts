// A small HubSpot CRM v3 server for tests, written from HubSpot's public API reference (HubSpot
// publishes no machine-readable description to serve with Prism). It keeps companies, contacts,
// deals, tasks, notes and owners in memory and checks requests as HubSpot does: a Bearer token,
// the documented paths (objects, search, owners), JSON bodies of the documented shape, known
// property names, owners that exist, associations of a HubSpot-defined type to records that
// exist; errors in HubSpot's shape ({status: 'error', message, category, correlationId}). It
// can be told to answer the next request with 429 (Retry-After) or 500.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type HubSpotType = 'companies' | 'contacts' | 'deals' | 'tasks' | 'notes';
const TYPES: readonly HubSpotType[] = ['companies', 'contacts', 'deals', 'tasks', 'notes'];

/** The properties each type knows (a portal's defaults that the tests use, plus a custom one). */
const PROPERTIES: Record<HubSpotType, ReadonlySet<string>> = {
  companies: new Set(['name', 'domain', 'hubspot_owner_id', 'industry']),
  contacts: new Set(['email', 'firstname', 'lastname', 'hubspot_owner_id', 'company']),
  deals: new Set([
    'dealname',
    'amount',
    'dealstage',
    'pipeline',
    'hubspot_owner_id',
    'closedate',
    'renewal_risk',
  ]),
  tasks: new Set([
    'hs_task_subject',
    'hs_task_body',
    'hs_task_status',
    'hs_task_priority',
    'hs_timestamp',
    'hubspot_owner_id',
  ]),
  notes: new Set(['hs_note_body', 'hs_timestamp', 'hubspot_owner_id']),
};
const READ_ONLY = new Set(['hs_object_id', 'createdate', 'hs_lastmodifieddate']);

/** HubSpot-defined association types from an engagement to a record: typeId → target type. */
const ASSOCIATIONS: Record<string, Record<number, HubSpotType>> = {
  tasks: { 204: 'contacts', 192: 'companies', 216: 'deals' },
  notes: { 202: 'contacts', 190: 'companies', 214: 'deals' },
};

const OPERATORS = new Set([
  'EQ',
  'NEQ',
  'LT',
  'LTE',
  'GT',
  'GTE',
  'BETWEEN',
  'IN',
  'NOT_IN',
  'HAS_PROPERTY',
  'NOT_HAS_PROPERTY',
  'CONTAINS_TOKEN',
  'NOT_CONTAINS_TOKEN',
]);

export interface HubSpotRecord {
  id: string;
  properties: Record<string, string>;
  archived: boolean;
  createdAt: string;
  updatedAt: string;
  associations: Array<{ toId: string; typeId: number }>;
}

export interface HubSpotOwner {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
}

export interface HubSpotServer {
  url: string;
  token: string;
  records: Record<HubSpotType, Map<string, HubSpotRecord>>;
  owners: HubSpotOwner[];
  /** Every request: method and path (without the query). */
  log: Array<{ method: string; path: string }>;
  /** `createdAt`: an ISO time in the past, for records that have waited. */
  add(type: HubSpotType, properties: Record<string, string>, createdAt?: string): HubSpotRecord;
  /** The live (unarchived) records of a type. */
  live(type: HubSpotType): HubSpotRecord[];
  /** The next `times` requests get this status (429 with Retry-After seconds, or 500). */
  failNext(status: 429 | 500, opts?: { retryAfter?: string; times?: number }): void;
  close(): Promise<void>;
}

class HubSpotError extends Error {
  readonly status: number;
  readonly category: string;
  constructor(status: number, category: string, message: string) {
    super(message);
    this.status = status;
    this.category = category;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const invalid = (message: string) => new HubSpotError(400, 'VALIDATION_ERROR', message);

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? ''))
    throw new HubSpotError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
  try {
    return JSON.parse(text);
  } catch {
    throw invalid('Invalid input JSON: the body is not JSON');
  }
}

function onlyKeys(o: Record<string, unknown>, allowed: string[], what: string): void {
  for (const k of Object.keys(o))
    if (!allowed.includes(k)) throw invalid(`Invalid input JSON: unrecognized field "${k}" in ${what}`);
}

function checkProperties(type: HubSpotType, props: unknown, owners: HubSpotOwner[]): Record<string, string> {
  if (!isRecord(props)) throw invalid('Invalid input JSON: "properties" must be an object');
  const out: Record<string, string> = {};
  const problems: string[] = [];
  for (const [k, v] of Object.entries(props)) {
    if (!PROPERTIES[type].has(k)) problems.push(`Property "${k}" does not exist`);
    else if (typeof v !== 'string') problems.push(`Property "${k}" must be a string`);
    else if (k === 'hubspot_owner_id' && v !== '' && !owners.some((o) => o.id === v))
      problems.push(`${v} is not a valid owner id`);
    else out[k] = v;
  }
  if (problems.length) throw invalid(`Property values were not valid: ${problems.join('; ')}`);
  return out;
}

const tokensOf = (text: string): string[] =>
  text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);

function matches(record: HubSpotRecord, filter: Record<string, unknown>): boolean {
  const actual = record.properties[String(filter.propertyName)];
  const value = typeof filter.value === 'string' ? filter.value.toLowerCase() : '';
  // Dates compare as milliseconds, the form HubSpot documents for date filters.
  if (filter.propertyName === 'createdate' && ['LT', 'LTE', 'GT', 'GTE'].includes(String(filter.operator))) {
    const at = Date.parse(record.createdAt);
    const than = Number(filter.value);
    if (typeof filter.value !== 'string' || !/^\d+$/.test(filter.value))
      throw invalid('a date filter takes milliseconds since the epoch, as a string');
    return { LT: at < than, LTE: at <= than, GT: at > than, GTE: at >= than }[
      String(filter.operator) as 'LT'
    ];
  }
  switch (filter.operator) {
    case 'EQ':
      return actual !== undefined && actual.toLowerCase() === value;
    case 'NEQ':
      return actual === undefined || actual.toLowerCase() !== value;
    case 'HAS_PROPERTY':
      return actual !== undefined && actual !== '';
    case 'NOT_HAS_PROPERTY':
      return actual === undefined || actual === '';
    case 'CONTAINS_TOKEN':
      return actual !== undefined && tokensOf(actual).includes(value);
    case 'NOT_CONTAINS_TOKEN':
      return actual === undefined || !tokensOf(actual).includes(value);
    default:
      throw invalid(`operator ${String(filter.operator)} is not supported by this test server`);
  }
}

function checkSearch(
  type: HubSpotType,
  body: unknown,
): {
  groups: Array<Array<Record<string, unknown>>>;
  properties: string[] | undefined;
  limit: number;
  sort: { propertyName: string; direction: string } | undefined;
  after: number;
} {
  if (!isRecord(body)) throw invalid('Invalid input JSON: expected an object');
  onlyKeys(body, ['query', 'limit', 'after', 'sorts', 'properties', 'filterGroups'], 'the search request');
  const groups = body.filterGroups ?? [];
  if (!Array.isArray(groups) || groups.length > 5) throw invalid('filterGroups: at most 5 groups');
  const checked = groups.map((g) => {
    if (!isRecord(g) || !Array.isArray(g.filters) || g.filters.length > 6)
      throw invalid('each filter group has "filters" (at most 6)');
    return g.filters.map((f: unknown) => {
      if (!isRecord(f)) throw invalid('a filter is an object');
      onlyKeys(f, ['propertyName', 'operator', 'value', 'values', 'highValue'], 'a filter');
      if (typeof f.propertyName !== 'string' || !OPERATORS.has(String(f.operator)))
        throw invalid('a filter has a propertyName and a known operator');
      if (!PROPERTIES[type].has(f.propertyName) && !READ_ONLY.has(f.propertyName))
        throw invalid(`There was a problem with the request: property ${f.propertyName} does not exist`);
      if (
        ['EQ', 'NEQ', 'CONTAINS_TOKEN', 'NOT_CONTAINS_TOKEN'].includes(String(f.operator)) &&
        typeof f.value !== 'string'
      )
        throw invalid(`filter on ${f.propertyName}: "value" must be a string`);
      return f;
    });
  });
  const props = body.properties;
  if (props !== undefined && (!Array.isArray(props) || !props.every((p) => typeof p === 'string')))
    throw invalid('"properties" must be an array of strings');
  const limit = body.limit ?? 10;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 200)
    throw invalid('"limit" must be an integer from 1 to 200');
  const sorts = body.sorts ?? [];
  if (
    !Array.isArray(sorts) ||
    sorts.length > 1 ||
    !sorts.every(
      (x) =>
        isRecord(x) &&
        (PROPERTIES[type].has(String(x.propertyName)) || READ_ONLY.has(String(x.propertyName))) &&
        ['ASCENDING', 'DESCENDING'].includes(String(x.direction)),
    )
  )
    throw invalid('"sorts": at most one {propertyName, direction: ASCENDING | DESCENDING}');
  const after = body.after ?? '0';
  if (typeof after !== 'string' || !/^\d+$/.test(after))
    throw invalid('"after" is the paging token of a previous page');
  return {
    groups: checked,
    properties: props,
    limit,
    sort: sorts[0] as { propertyName: string; direction: string } | undefined,
    after: Number(after),
  };
}

export async function startHubSpotServer(token = 'pat-na1-test-token-0001'): Promise<HubSpotServer> {
  const records = Object.fromEntries(TYPES.map((t) => [t, new Map<string, HubSpotRecord>()])) as Record<
    HubSpotType,
    Map<string, HubSpotRecord>
  >;
  const owners: HubSpotOwner[] = [
    { id: '101', email: 'ana@example.com', firstName: 'Ana', lastName: 'Lima' },
    { id: '102', email: 'bo@example.com', firstName: 'Bo', lastName: 'Chen' },
  ];
  const log: HubSpotServer['log'] = [];
  let nextId = 1000;
  let failures: Array<{ status: number; retryAfter?: string }> = [];

  const add = (type: HubSpotType, properties: Record<string, string>, createdAt?: string): HubSpotRecord => {
    const now = createdAt ?? new Date().toISOString();
    const id = String(nextId++);
    const rec = {
      id,
      properties: { ...properties },
      archived: false,
      createdAt: now,
      updatedAt: now,
      associations: [],
    };
    records[type].set(id, rec);
    return rec;
  };

  const view = (type: HubSpotType, r: HubSpotRecord, wanted: string[] | undefined) => {
    const keys = wanted && wanted.length ? wanted : [...PROPERTIES[type]].slice(0, 3);
    const properties: Record<string, string | null> = {
      hs_object_id: r.id,
      createdate: r.createdAt,
      hs_lastmodifieddate: r.updatedAt,
    };
    for (const k of keys) if (PROPERTIES[type].has(k)) properties[k] = r.properties[k] ?? null;
    return { id: r.id, properties, createdAt: r.createdAt, updatedAt: r.updatedAt, archived: r.archived };
  };

  const liveRecord = (type: HubSpotType, id: string): HubSpotRecord => {
    const r = records[type].get(id);
    if (!r || r.archived) throw new HubSpotError(404, 'OBJECT_NOT_FOUND', 'resource not found');
    return r;
  };

  const route = async (req: IncomingMessage, url: URL): Promise<{ status: number; body?: unknown }> => {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    let m: RegExpMatchArray | null;
    if ((m = /^\/crm\/v3\/owners\/?$/.exec(path)) && method === 'GET') {
      const limit = Number(url.searchParams.get('limit') ?? '100');
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw invalid('limit must be 1 to 500');
      const email = url.searchParams.get('email');
      const results = owners.filter((o) => !email || o.email === email).slice(0, limit);
      return { status: 200, body: { results: results.map((o) => ({ ...o, archived: false })) } };
    }
    if ((m = /^\/crm\/v3\/owners\/(\d+)$/.exec(path)) && method === 'GET') {
      const idProperty = url.searchParams.get('idProperty') ?? 'id';
      if (idProperty !== 'id' && idProperty !== 'userId') throw invalid('idProperty is id or userId');
      const owner = owners.find((o) => o.id === m![1]);
      if (!owner) throw new HubSpotError(404, 'OBJECT_NOT_FOUND', 'resource not found');
      return { status: 200, body: { ...owner, archived: false } };
    }
    m = /^\/crm\/v3\/objects\/([a-z_]+)(?:\/([^/]+))?$/.exec(path);
    const type = m?.[1] as HubSpotType | undefined;
    if (!m || !type || !TYPES.includes(type))
      throw new HubSpotError(404, 'OBJECT_NOT_FOUND', `no such path ${path}`);
    const sub = m[2];
    if (sub === 'search' && method === 'POST') {
      const { groups, properties, limit, sort, after } = checkSearch(type, await readJson(req));
      const all = [...records[type].values()].filter((r) => !r.archived);
      const hits = groups.length ? all.filter((r) => groups.some((g) => g.every((f) => matches(r, f)))) : all;
      if (sort) {
        const key = (r: HubSpotRecord) =>
          sort.propertyName === 'createdate' ? r.createdAt : (r.properties[sort.propertyName] ?? '');
        const dir = sort.direction === 'ASCENDING' ? 1 : -1;
        hits.sort((a, b) => dir * (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : Number(a.id) - Number(b.id)));
      }
      const page = hits.slice(after, after + limit);
      const next = after + limit < hits.length ? { paging: { next: { after: String(after + limit) } } } : {};
      return {
        status: 200,
        body: { total: hits.length, results: page.map((r) => view(type, r, properties)), ...next },
      };
    }
    if (sub === undefined && method === 'POST') {
      const body = await readJson(req);
      if (!isRecord(body)) throw invalid('Invalid input JSON: expected an object');
      onlyKeys(body, ['properties', 'associations', 'objectWriteTraceId'], 'the create request');
      const props = checkProperties(type, body.properties, owners);
      if ((type === 'tasks' || type === 'notes') && !props.hs_timestamp)
        throw invalid('Property values were not valid: hs_timestamp is required');
      const links: HubSpotRecord['associations'] = [];
      for (const a of (body.associations as unknown[] | undefined) ?? []) {
        if (!isRecord(a) || !isRecord(a.to) || typeof a.to.id !== 'string' || !Array.isArray(a.types))
          throw invalid('an association is {to: {id}, types: [...]}');
        for (const t of a.types as unknown[]) {
          if (
            !isRecord(t) ||
            t.associationCategory !== 'HUBSPOT_DEFINED' ||
            typeof t.associationTypeId !== 'number'
          )
            throw invalid('an association type is {associationCategory, associationTypeId}');
          const target = ASSOCIATIONS[type]?.[t.associationTypeId];
          if (!target) throw invalid(`association type ${t.associationTypeId} is not valid from ${type}`);
          if (!records[target].get(a.to.id) || records[target].get(a.to.id)!.archived)
            throw invalid(`${target} ${a.to.id} does not exist`);
          links.push({ toId: a.to.id, typeId: t.associationTypeId });
        }
      }
      const rec = add(type, props);
      rec.associations = links;
      return { status: 201, body: view(type, rec, Object.keys(props)) };
    }
    if (sub !== undefined && sub !== 'search') {
      if (!/^\d+$/.test(sub)) throw new HubSpotError(404, 'OBJECT_NOT_FOUND', 'objectId are usually numeric');
      if (method === 'GET') {
        const wanted = url.searchParams.getAll('properties').flatMap((p) => p.split(','));
        return { status: 200, body: view(type, liveRecord(type, sub), wanted) };
      }
      if (method === 'PATCH') {
        const body = await readJson(req);
        if (!isRecord(body)) throw invalid('Invalid input JSON: expected an object');
        onlyKeys(body, ['properties', 'objectWriteTraceId'], 'the update request');
        const rec = liveRecord(type, sub);
        const props = checkProperties(type, body.properties, owners);
        // HubSpot clears a property set to the empty string.
        for (const [k, v] of Object.entries(props)) {
          if (v === '') delete rec.properties[k];
          else rec.properties[k] = v;
        }
        rec.updatedAt = new Date().toISOString();
        return { status: 200, body: view(type, rec, Object.keys(props)) };
      }
      if (method === 'DELETE') {
        liveRecord(type, sub).archived = true;
        return { status: 204 };
      }
    }
    throw new HubSpotError(405, 'METHOD_NOT_ALLOWED', `${method} ${path} is not allowed`);
  };

  const send = (
    res: ServerResponse,
    status: number,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    if (body === undefined) return res.writeHead(status, headers).end();
    res
      .writeHead(status, { 'content-type': 'application/json;charset=utf-8', ...headers })
      .end(JSON.stringify(body));
  };

  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    log.push({ method: req.method ?? 'GET', path: url.pathname });
    const correlationId = randomUUID();
    const failure = failures.shift();
    if (failure) {
      req.resume();
      if (failure.status === 429)
        return send(
          res,
          429,
          {
            status: 'error',
            message: 'You have reached your secondly limit.',
            errorType: 'RATE_LIMIT',
            correlationId,
            policyName: 'SECONDLY',
          },
          failure.retryAfter ? { 'retry-after': failure.retryAfter } : {},
        );
      return send(res, 500, {
        status: 'error',
        message: 'internal error',
        category: 'INTERNAL_ERROR',
        correlationId,
      });
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      req.resume();
      return send(res, 401, {
        status: 'error',
        message: 'Authentication credentials not found. This API supports OAuth 2.0 authentication.',
        correlationId,
        category: 'INVALID_AUTHENTICATION',
      });
    }
    route(req, url).then(
      ({ status, body }) => send(res, status, body),
      (e: unknown) => {
        req.resume();
        if (e instanceof HubSpotError)
          return send(res, e.status, {
            status: 'error',
            message: e.message,
            correlationId,
            category: e.category,
          });
        send(res, 500, { status: 'error', message: String(e), correlationId, category: 'INTERNAL_ERROR' });
      },
    );
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    records,
    owners,
    log,
    add,
    live: (type) => [...records[type].values()].filter((r) => !r.archived),
    failNext: (status, opts = {}) => {
      failures = Array.from({ length: opts.times ?? 1 }, () => ({
        status,
        ...(opts.retryAfter !== undefined ? { retryAfter: opts.retryAfter } : {}),
      }));
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
