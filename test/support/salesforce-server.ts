// A small Salesforce REST server for tests, written from Salesforce's public REST and SOQL
// references (Salesforce publishes no machine-readable description to serve with Prism). It keeps
// users, accounts, contacts, opportunities and tasks in memory and speaks
// /services/data/vXX.X/{query?q=, sobjects/<Type>/<id>, limits} with Bearer auth. Its SOQL parser
// reads string literals with Salesforce's escape rules and understands AND, OR, NOT and
// parentheses, so a value that escaped its quotes would really widen a query here: that is what
// lets a test show that hostile values change nothing. Bodies are checked against the fields of
// each object (name, type, references that exist); errors come in Salesforce's shape
// ([{message, errorCode}]). It can be told to answer the next requests with 429 or 500.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

type FieldType = 'id' | 'string' | 'textarea' | 'number' | 'date' | 'boolean' | { ref: readonly string[] };
const FIELDS: Record<string, Record<string, FieldType>> = {
  User: { Id: 'id', Name: 'string', Email: 'string', IsActive: 'boolean' },
  Account: { Id: 'id', Name: 'string', Website: 'string', Industry: 'string', OwnerId: { ref: ['User'] } },
  Contact: {
    Id: 'id',
    FirstName: 'string',
    LastName: 'string',
    Email: 'string',
    OwnerId: { ref: ['User'] },
    AccountId: { ref: ['Account'] },
  },
  Opportunity: {
    Id: 'id',
    Name: 'string',
    Amount: 'number',
    StageName: 'string',
    CloseDate: 'date',
    NextStep: 'string',
    Probability: 'number',
    OwnerId: { ref: ['User'] },
    AccountId: { ref: ['Account'] },
  },
  Task: {
    Id: 'id',
    Subject: 'string',
    Status: 'string',
    Priority: 'string',
    Description: 'textarea',
    ActivityDate: 'date',
    OwnerId: { ref: ['User'] },
    WhoId: { ref: ['Contact'] },
    WhatId: { ref: ['Account', 'Opportunity'] },
    Baton_Key__c: 'string',
  },
};
const PREFIX: Record<string, string> = {
  User: '005',
  Account: '001',
  Contact: '003',
  Opportunity: '006',
  Task: '00T',
};
/** Fields every create needs (what Salesforce marks required on these objects). */
const REQUIRED: Record<string, string[]> = {
  Account: ['Name'],
  Contact: ['LastName'],
  Opportunity: ['Name', 'StageName', 'CloseDate'],
  Task: [],
  User: [],
};

export type SfRecord = Record<string, string | number | boolean | null> & { Id: string };

export interface SalesforceServer {
  url: string;
  token: string;
  version: string;
  /** Live records by object name and id. */
  records: Record<string, Map<string, SfRecord>>;
  /** Every request: method, path, and the SOQL of queries. */
  log: Array<{ method: string; path: string; soql?: string }>;
  /** Each query's WHERE as the parser understood it (for tests on hostile values). */
  parsed: Condition[];
  add(type: string, fields: Record<string, string | number | boolean | null>): SfRecord;
  failNext(status: 429 | 500, opts?: { retryAfter?: string; times?: number }): void;
  close(): Promise<void>;
}

class SfError extends Error {
  readonly status: number;
  readonly errorCode: string;
  constructor(status: number, errorCode: string, message: string) {
    super(message);
    this.status = status;
    this.errorCode = errorCode;
  }
}
const malformed = (message: string) => new SfError(400, 'MALFORMED_QUERY', message);
const noSuchColumn = (field: string, type: string) =>
  new SfError(400, 'INVALID_FIELD', `No such column '${field}' on entity '${type}'.`);

// ---- SOQL ----

type Token =
  | { kind: 'word'; text: string }
  | { kind: 'string'; chars: Array<{ c: string; escaped: boolean }> }
  | { kind: 'number'; value: number }
  | { kind: 'op'; text: string };

const STRING_ESCAPES: Record<string, string> = {
  n: '\n',
  N: '\n',
  r: '\r',
  R: '\r',
  t: '\t',
  T: '\t',
  b: '\b',
  B: '\b',
  f: '\f',
  F: '\f',
  '"': '"',
  "'": "'",
  '\\': '\\',
  '%': '%',
  _: '_',
};

function tokenize(soql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < soql.length) {
    const c = soql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      const chars: Array<{ c: string; escaped: boolean }> = [];
      i++;
      for (;;) {
        if (i >= soql.length) throw malformed('unterminated string literal');
        const d = soql[i]!;
        if (d === "'") {
          i++;
          break;
        }
        if (d === '\\') {
          const e = soql[i + 1];
          if (e === undefined || !(e in STRING_ESCAPES))
            throw malformed(`invalid escape sequence \\${e ?? ''}`);
          chars.push({ c: STRING_ESCAPES[e]!, escaped: true });
          i += 2;
        } else {
          chars.push({ c: d, escaped: false });
          i++;
        }
      }
      out.push({ kind: 'string', chars });
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(soql.slice(i))![0];
      out.push({ kind: 'word', text: m });
      i += m.length;
    } else if (/[0-9-]/.test(c)) {
      const m = /^-?\d+(\.\d+)?/.exec(soql.slice(i));
      if (!m) throw malformed(`unexpected ${c}`);
      out.push({ kind: 'number', value: Number(m[0]) });
      i += m[0].length;
    } else {
      const m = /^(!=|<>|<=|>=|=|<|>|,|\(|\))/.exec(soql.slice(i));
      if (!m) throw malformed(`unexpected character ${c}`);
      out.push({ kind: 'op', text: m[0] });
      i += m[0].length;
    }
  }
  return out;
}

export type Condition =
  | { and: Condition[] }
  | { or: Condition[] }
  | { not: Condition }
  | { field: string; op: string; value: string | number | boolean | null; like?: RegExp };

const KEYWORDS = new Set([
  'SELECT',
  'FROM',
  'WHERE',
  'AND',
  'OR',
  'NOT',
  'LIKE',
  'LIMIT',
  'NULL',
  'TRUE',
  'FALSE',
]);

function parseSoql(soql: string): { fields: string[]; from: string; where?: Condition; limit?: number } {
  const t = tokenize(soql);
  let i = 0;
  const peekWord = (w: string) => {
    const tok = t[i];
    return tok?.kind === 'word' && tok.text.toUpperCase() === w;
  };
  const expectWord = (w: string) => {
    if (!peekWord(w)) throw malformed(`expected ${w}`);
    i++;
  };
  const name = (): string => {
    const tok = t[i++];
    if (tok?.kind !== 'word' || KEYWORDS.has(tok.text.toUpperCase())) throw malformed('expected a name');
    return tok.text;
  };
  expectWord('SELECT');
  const fields = [name()];
  while (t[i]?.kind === 'op' && (t[i] as { text: string }).text === ',') {
    i++;
    fields.push(name());
  }
  expectWord('FROM');
  const from = name();
  const value = (): { value: string | number | boolean | null; tok: Token } => {
    const tok = t[i++];
    if (!tok) throw malformed('expected a value');
    if (tok.kind === 'string') return { value: tok.chars.map((c) => c.c).join(''), tok };
    if (tok.kind === 'number') return { value: tok.value, tok };
    if (tok.kind === 'word' && tok.text.toUpperCase() === 'NULL') return { value: null, tok };
    if (tok.kind === 'word' && /^(TRUE|FALSE)$/i.test(tok.text))
      return { value: tok.text.toUpperCase() === 'TRUE', tok };
    throw malformed('expected a value');
  };
  const factor = (): Condition => {
    if (peekWord('NOT')) {
      i++;
      return { not: factor() };
    }
    const tok = t[i];
    if (tok?.kind === 'op' && tok.text === '(') {
      i++;
      const inner = expr();
      const close = t[i++];
      if (close?.kind !== 'op' || close.text !== ')') throw malformed('expected )');
      return inner;
    }
    const field = name();
    const opTok = t[i++];
    let op: string;
    if (opTok?.kind === 'op' && ['=', '!=', '<>', '<', '>', '<=', '>='].includes(opTok.text))
      op = opTok.text === '<>' ? '!=' : opTok.text;
    else if (opTok?.kind === 'word' && opTok.text.toUpperCase() === 'LIKE') op = 'LIKE';
    else throw malformed(`expected an operator after ${field}`);
    const v = value();
    if (op === 'LIKE') {
      if (v.tok.kind !== 'string') throw malformed('LIKE takes a string');
      const pattern = v.tok.chars
        .map(({ c, escaped }) =>
          !escaped && c === '%'
            ? '.*'
            : !escaped && c === '_'
              ? '.'
              : c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'),
        )
        .join('');
      return { field, op, value: v.value, like: new RegExp(`^${pattern}$`, 'is') };
    }
    return { field, op, value: v.value };
  };
  const term = (): Condition => {
    const parts = [factor()];
    while (peekWord('AND')) {
      i++;
      parts.push(factor());
    }
    return parts.length === 1 ? parts[0]! : { and: parts };
  };
  const expr = (): Condition => {
    const parts = [term()];
    while (peekWord('OR')) {
      i++;
      parts.push(term());
    }
    return parts.length === 1 ? parts[0]! : { or: parts };
  };
  let where: Condition | undefined;
  if (peekWord('WHERE')) {
    i++;
    where = expr();
  }
  let limit: number | undefined;
  if (peekWord('LIMIT')) {
    i++;
    const n = t[i++];
    if (n?.kind !== 'number' || !Number.isInteger(n.value) || n.value < 0)
      throw malformed('LIMIT takes a number');
    limit = n.value;
  }
  if (i < t.length) throw malformed(`unexpected token after the query (token ${i + 1})`);
  return { fields, from, ...(where ? { where } : {}), ...(limit !== undefined ? { limit } : {}) };
}

// ---- the server ----

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export async function startSalesforceServer(
  token = '00Dxx0000000001!AQ.test.token',
  version = '62.0',
): Promise<SalesforceServer> {
  const records: Record<string, Map<string, SfRecord>> = Object.fromEntries(
    Object.keys(FIELDS).map((k) => [k, new Map<string, SfRecord>()]),
  );
  const deleted = new Set<string>();
  const log: SalesforceServer['log'] = [];
  const parsed: Condition[] = [];
  let counter = 1;
  let failures: Array<{ status: number; retryAfter?: string }> = [];

  const typeOfId = (id: string) => Object.keys(PREFIX).find((k) => id.startsWith(PREFIX[k]!));
  const find = (id: unknown) => {
    if (typeof id !== 'string') return undefined;
    const type = typeOfId(id);
    return type ? records[type]!.get(id) : undefined;
  };

  const add = (type: string, fields: Record<string, string | number | boolean | null>): SfRecord => {
    const id = `${PREFIX[type]}${String(counter++).padStart(12, '0')}AAA`;
    const rec: SfRecord = { Id: id };
    for (const f of Object.keys(FIELDS[type]!)) if (f !== 'Id') rec[f] = null;
    Object.assign(rec, fields);
    records[type]!.set(id, rec);
    return rec;
  };

  /** A field path's value: `Name`, or `Owner.Name` through a reference field. */
  const resolve = (type: string, rec: SfRecord, path: string): unknown => {
    const [head, rest] = path.split(/\.(.*)/s) as [string, string | undefined];
    if (rest === undefined) {
      const known = Object.keys(FIELDS[type]!).find((f) => f.toLowerCase() === head.toLowerCase());
      if (!known) throw noSuchColumn(head, type);
      return rec[known];
    }
    const refField = Object.keys(FIELDS[type]!).find((f) => f.toLowerCase() === `${head}Id`.toLowerCase());
    const ft = refField ? FIELDS[type]![refField] : undefined;
    if (!refField || typeof ft !== 'object') throw noSuchColumn(path, type);
    const target = find(rec[refField]);
    if (!target) {
      // Validate the rest against the first target type even when the reference is empty.
      resolve(ft.ref[0]!, { Id: 'x' }, rest);
      return undefined;
    }
    return resolve(typeOfId(target.Id)!, target, rest);
  };

  const checkFilterable = (type: string, c: Condition): void => {
    if ('and' in c) return c.and.forEach((x) => checkFilterable(type, x));
    if ('or' in c) return c.or.forEach((x) => checkFilterable(type, x));
    if ('not' in c) return checkFilterable(type, c.not);
    const field = Object.keys(FIELDS[type]!).find((f) => f.toLowerCase() === c.field.toLowerCase());
    if (!c.field.includes('.') && !field) throw noSuchColumn(c.field, type);
    if (field && FIELDS[type]![field] === 'textarea')
      throw new SfError(400, 'INVALID_FIELD', `field '${field}' can not be filtered in a query call`);
  };

  const test = (type: string, rec: SfRecord, c: Condition): boolean => {
    if ('and' in c) return c.and.every((x) => test(type, rec, x));
    if ('or' in c) return c.or.some((x) => test(type, rec, x));
    if ('not' in c) return !test(type, rec, c.not);
    const actual = resolve(type, rec, c.field) ?? null;
    if (c.like) return typeof actual === 'string' && c.like.test(actual);
    const norm = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v);
    const [a, b] = [norm(actual), norm(c.value)];
    switch (c.op) {
      case '=':
        return a === b;
      case '!=':
        return a !== b;
      default:
        if (a === null || b === null) return false;
        return c.op === '<' ? a! < b! : c.op === '>' ? a! > b! : c.op === '<=' ? a! <= b! : a! >= b!;
    }
  };

  const attributes = (type: string, id: string) => ({
    type,
    url: `/services/data/v${version}/sobjects/${type}/${id}`,
  });

  const shape = (type: string, rec: SfRecord, fields: string[]) => {
    const out: Record<string, unknown> = { attributes: attributes(type, rec.Id) };
    for (const f of fields) {
      const [head, rest] = f.split(/\.(.*)/s) as [string, string | undefined];
      if (rest === undefined) {
        const known = Object.keys(FIELDS[type]!).find((k) => k.toLowerCase() === head.toLowerCase());
        if (!known) throw noSuchColumn(f, type);
        out[known] = rec[known] ?? null;
      } else {
        const refField = `${head}Id`;
        const target = find(rec[refField]);
        resolve(type, rec, f); // validates the path
        if (!target) out[head] = null;
        else {
          const ttype = typeOfId(target.Id)!;
          const sub = (out[head] as Record<string, unknown> | undefined) ?? {
            attributes: attributes(ttype, target.Id),
          };
          Object.assign(sub, shape(ttype, target, [rest]));
          sub.attributes = attributes(ttype, target.Id);
          out[head] = sub;
        }
      }
    }
    return out;
  };

  const checkWrite = (
    type: string,
    body: unknown,
    creating: boolean,
  ): Record<string, string | number | boolean | null> => {
    if (!isRecord(body))
      throw new SfError(400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object');
    const out: Record<string, string | number | boolean | null> = {};
    for (const [k, v] of Object.entries(body)) {
      const ft = FIELDS[type]![k];
      if (!ft) throw new SfError(400, 'INVALID_FIELD', `No such column '${k}' on sobject of type ${type}`);
      if (ft === 'id')
        throw new SfError(400, 'INVALID_FIELD_FOR_INSERT_UPDATE', `Unable to create/update fields: ${k}`);
      if (v === null) {
        out[k] = null;
        continue;
      }
      const bad = () =>
        new SfError(
          400,
          'JSON_PARSER_ERROR',
          `Cannot deserialize instance of ${JSON.stringify(ft)} for field ${k}`,
        );
      if (typeof ft === 'object') {
        const target = find(v);
        if (!target || !ft.ref.includes(typeOfId(target.Id)!))
          throw new SfError(400, 'INVALID_CROSS_REFERENCE_KEY', `invalid cross reference id`);
      } else if (ft === 'number' && typeof v !== 'number') throw bad();
      else if (ft === 'boolean' && typeof v !== 'boolean') throw bad();
      else if ((ft === 'string' || ft === 'textarea') && typeof v !== 'string') throw bad();
      else if (ft === 'date' && (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v))) throw bad();
      out[k] = v as string | number | boolean;
    }
    if (creating)
      for (const r of REQUIRED[type] ?? [])
        if (out[r] === undefined || out[r] === null)
          throw new SfError(400, 'REQUIRED_FIELD_MISSING', `Required fields are missing: [${r}]`);
    return out;
  };

  const readJson = async (req: IncomingMessage): Promise<unknown> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? ''))
      throw new SfError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'Content-Type header specified in HTTP request is not supported',
      );
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new SfError(400, 'JSON_PARSER_ERROR', 'Unexpected character in the request body');
    }
  };

  const route = async (req: IncomingMessage, url: URL): Promise<{ status: number; body?: unknown }> => {
    const method = req.method ?? 'GET';
    const m = /^\/services\/data\/v(\d+\.\d)\/(.*)$/.exec(url.pathname);
    if (!m || m[1] !== version) throw new SfError(404, 'NOT_FOUND', 'The requested resource does not exist');
    const rest = m[2]!;
    if (rest === 'limits' && method === 'GET')
      return { status: 200, body: { DailyApiRequests: { Max: 15000, Remaining: 14990 } } };
    if (rest === 'query' && method === 'GET') {
      const soql = url.searchParams.get('q');
      if (!soql) throw malformed('q is required');
      log[log.length - 1]!.soql = soql;
      const q = parseSoql(soql);
      const type = Object.keys(FIELDS).find((k) => k.toLowerCase() === q.from.toLowerCase());
      if (!type) throw new SfError(400, 'INVALID_TYPE', `sObject type '${q.from}' is not supported.`);
      if (q.where) {
        try {
          checkFilterable(type, q.where);
        } catch (e) {
          // Salesforce quotes the query in a query's error, values and all.
          if (e instanceof SfError)
            throw new SfError(e.status, e.errorCode, `\n${soql}\n^\nERROR at Row:1\n${e.message}`);
          throw e;
        }
        parsed.push(q.where);
      }
      const all = [...records[type]!.values()];
      const hits = all.filter((r) => !q.where || test(type, r, q.where));
      const limited = q.limit === undefined ? hits : hits.slice(0, q.limit);
      const rows = limited.map((r) => shape(type, r, q.fields));
      if (all.length === 0) q.fields.forEach((f) => resolve(type, { Id: 'x' }, f));
      return { status: 200, body: { totalSize: rows.length, done: true, records: rows } };
    }
    const so = /^sobjects\/([A-Za-z_]+)(?:\/([A-Za-z0-9]+))?$/.exec(rest);
    const type = so ? Object.keys(FIELDS).find((k) => k === so[1]) : undefined;
    if (!so || !type) throw new SfError(404, 'NOT_FOUND', 'The requested resource does not exist');
    const id = so[2];
    if (id === undefined) {
      if (method !== 'POST')
        throw new SfError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed`);
      const fields = checkWrite(type, await readJson(req), true);
      const rec = add(type, fields);
      return { status: 201, body: { id: rec.Id, success: true, errors: [] } };
    }
    const rec = records[type]!.get(id);
    if (!rec) {
      if (deleted.has(id)) throw new SfError(404, 'ENTITY_IS_DELETED', 'entity is deleted');
      throw new SfError(404, 'NOT_FOUND', 'The requested resource does not exist');
    }
    if (method === 'GET') {
      const fields = url.searchParams.get('fields');
      return {
        status: 200,
        body: shape(type, rec, fields ? ['Id', ...fields.split(',')] : Object.keys(FIELDS[type]!)),
      };
    }
    if (method === 'PATCH') {
      Object.assign(rec, checkWrite(type, await readJson(req), false));
      return { status: 204 };
    }
    if (method === 'DELETE') {
      records[type]!.delete(id);
      deleted.add(id);
      return { status: 204 };
    }
    throw new SfError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed`);
  };

  const send = (
    res: ServerResponse,
    status: number,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    if (body === undefined) return res.writeHead(status, headers).end();
    res
      .writeHead(status, { 'content-type': 'application/json;charset=UTF-8', ...headers })
      .end(JSON.stringify(body));
  };

  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    log.push({ method: req.method ?? 'GET', path: url.pathname });
    const failure = failures.shift();
    if (failure) {
      req.resume();
      if (failure.status === 429)
        return send(
          res,
          429,
          [{ message: 'Too many requests', errorCode: 'REQUEST_LIMIT_EXCEEDED' }],
          failure.retryAfter ? { 'retry-after': failure.retryAfter } : {},
        );
      return send(res, 500, [{ message: 'An unexpected error occurred', errorCode: 'UNKNOWN_EXCEPTION' }]);
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      req.resume();
      return send(res, 401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    }
    route(req, url).then(
      ({ status, body }) => send(res, status, body),
      (e: unknown) => {
        req.resume();
        if (e instanceof SfError)
          return send(res, e.status, [{ message: e.message, errorCode: e.errorCode }]);
        send(res, 500, [{ message: String(e), errorCode: 'UNKNOWN_EXCEPTION' }]);
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
    version,
    records,
    log,
    parsed,
    add,
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
