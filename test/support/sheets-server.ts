// A small stateful Google Sheets: the endpoints the sheets connector calls (values get, append,
// values:batchUpdate, spreadsheets get and :batchUpdate deleteDimension) over spreadsheets held
// in memory, plus Google's OAuth token endpoint for a service account's JWT (RS256 signature,
// issuer, audience and scope checked, as Google documents the exchange). Every API request is
// first forwarded to Prism serving Google's description with --errors, so a request the real
// API would refuse is refused here too, with Prism's violations.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, verify, type KeyObject } from 'node:crypto';

type Cell = string | number | boolean;
export interface SheetState {
  sheetId: number;
  title: string;
  grid: Cell[][];
}
export interface SpreadsheetState {
  title: string;
  sheets: SheetState[];
}

export interface SheetsServer {
  url: string;
  tokenUrl: string;
  spreadsheets: Map<string, SpreadsheetState>;
  /** Requests Prism refused (should stay empty), and every API request as METHOD path. */
  violations: string[];
  requests: string[];
  tokensIssued: number;
  /** A valid access token, for a test that sends a request by hand. */
  mintToken(): string;
  close(): Promise<void>;
}

export interface SheetsServerOptions {
  clientEmail: string;
  publicKey: KeyObject;
  /** Prism on google-sheets-v4.json: each request is validated there first. */
  prismUrl?: string;
}

const GOOGLE_TOKEN_AUD = 'https://oauth2.googleapis.com/token';

const body = async (req: IncomingMessage): Promise<string> => {
  let out = '';
  for await (const chunk of req) out += String(chunk);
  return out;
};

const colIndex = (letters: string): number =>
  letters
    .toUpperCase()
    .split('')
    .reduce((n, c) => n * 26 + (c.charCodeAt(0) - 64), 0) - 1;
const colLetters = (i: number): string => {
  let n = i + 1;
  let s = '';
  while (n > 0) {
    s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
};

interface Range {
  title: string;
  c0: number;
  r0: number;
  c1: number;
  r1: number;
}

/** Parses `'Title'!A1:C3`, `Title!A:C`, `Title!1:1`, `'Title'` (bounds open where absent). */
function parseRange(text: string): Range | undefined {
  const m = /^(?:'((?:[^']|'')+)'|([^!']+))(?:!(.+))?$/.exec(text);
  if (!m) return undefined;
  const title = m[1] !== undefined ? m[1].replace(/''/g, "'") : m[2]!;
  const all: Range = { title, c0: 0, r0: 0, c1: Infinity, r1: Infinity };
  if (!m[3]) return all;
  const parts = m[3].split(':');
  const ref = (p: string) => {
    const x = /^\$?([A-Za-z]*)\$?(\d*)$/.exec(p);
    if (!x) return undefined;
    return { c: x[1] ? colIndex(x[1]) : undefined, r: x[2] ? Number(x[2]) - 1 : undefined };
  };
  const a = ref(parts[0]!);
  const b = parts[1] !== undefined ? ref(parts[1]) : a;
  if (!a || !b) return undefined;
  return {
    title,
    c0: a.c ?? 0,
    r0: a.r ?? 0,
    c1: b.c ?? (parts[1] === undefined ? (a.c ?? Infinity) : Infinity),
    r1: b.r ?? (parts[1] === undefined ? (a.r ?? Infinity) : Infinity),
  };
}

const a1 = (title: string, c0: number, r0: number, c1: number, r1: number): string => {
  const t = /^[A-Za-z0-9_]+$/.test(title) ? title : `'${title.replace(/'/g, "''")}'`;
  return `${t}!${colLetters(c0)}${r0 + 1}:${colLetters(c1)}${r1 + 1}`;
};

/** Google leaves trailing empty cells and rows out of a values answer. */
function trimmed(rows: Cell[][]): Cell[][] {
  const out = rows.map((r) => {
    const row = [...r];
    while (row.length && (row.at(-1) === '' || row.at(-1) === undefined)) row.pop();
    return row.map((v) => v ?? '');
  });
  while (out.length && out.at(-1)!.length === 0) out.pop();
  return out;
}

export async function startSheetsServer(o: SheetsServerOptions): Promise<SheetsServer> {
  const spreadsheets = new Map<string, SpreadsheetState>();
  const tokens = new Set<string>();
  const violations: string[] = [];
  const requests: string[] = [];
  const state = { tokensIssued: 0 };

  const googleError = (code: number, status: string, message: string) => ({
    error: { code, message, status },
  });

  const exchange = (form: URLSearchParams): [number, unknown] => {
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
      return [400, { error: 'unsupported_grant_type' }];
    const [h, p, sig] = (form.get('assertion') ?? '').split('.');
    if (!h || !p || !sig) return [400, { error: 'invalid_grant', error_description: 'malformed assertion' }];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string };
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const signed = verify('RSA-SHA256', Buffer.from(`${h}.${p}`), o.publicKey, Buffer.from(sig, 'base64url'));
    const now = Date.now() / 1000;
    if (header.alg !== 'RS256' || !signed)
      return [400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }];
    if (claims.iss !== o.clientEmail)
      return [400, { error: 'invalid_grant', error_description: 'Invalid issuer' }];
    if (claims.aud !== GOOGLE_TOKEN_AUD)
      return [400, { error: 'invalid_grant', error_description: 'Invalid audience' }];
    if (
      typeof claims.exp !== 'number' ||
      claims.exp < now ||
      typeof claims.iat !== 'number' ||
      claims.iat > now + 60
    )
      return [
        400,
        { error: 'invalid_grant', error_description: 'Invalid JWT: Token must be a short-lived token' },
      ];
    if (!String(claims.scope).split(' ').includes('https://www.googleapis.com/auth/spreadsheets'))
      return [400, { error: 'invalid_scope' }];
    const token = `ya29.test-${randomBytes(12).toString('hex')}`;
    tokens.add(token);
    state.tokensIssued++;
    return [200, { access_token: token, expires_in: 3599, token_type: 'Bearer' }];
  };

  const sheetOf = (id: string, title: string): SheetState | undefined =>
    spreadsheets.get(id)?.sheets.find((s) => s.title === title);

  const api = (method: string, path: string, query: URLSearchParams, input: unknown): [number, unknown] => {
    let m = /^\/v4\/spreadsheets\/([^/:]+)$/.exec(path);
    if (m && method === 'GET') {
      const doc = spreadsheets.get(decodeURIComponent(m[1]!));
      if (!doc) return [404, googleError(404, 'NOT_FOUND', 'Requested entity was not found.')];
      return [
        200,
        {
          spreadsheetId: m[1],
          properties: { title: doc.title },
          sheets: doc.sheets.map((s) => ({ properties: { sheetId: s.sheetId, title: s.title } })),
        },
      ];
    }
    m = /^\/v4\/spreadsheets\/([^/:]+):batchUpdate$/.exec(path);
    if (m && method === 'POST') {
      const doc = spreadsheets.get(decodeURIComponent(m[1]!));
      if (!doc) return [404, googleError(404, 'NOT_FOUND', 'Requested entity was not found.')];
      const reqs = (input as { requests?: Array<Record<string, unknown>> }).requests ?? [];
      for (const r of reqs) {
        const d = r.deleteDimension as
          { range: { sheetId: number; dimension: string; startIndex: number; endIndex: number } } | undefined;
        if (!d || d.range.dimension !== 'ROWS')
          return [400, googleError(400, 'INVALID_ARGUMENT', 'only deleteDimension ROWS is served here')];
        const sheet = doc.sheets.find((s) => s.sheetId === d.range.sheetId);
        if (!sheet) return [400, googleError(400, 'INVALID_ARGUMENT', `No grid with id: ${d.range.sheetId}`)];
        sheet.grid.splice(d.range.startIndex, d.range.endIndex - d.range.startIndex);
      }
      return [200, { spreadsheetId: m[1], replies: reqs.map(() => ({})) }];
    }
    m = /^\/v4\/spreadsheets\/([^/:]+)\/values:batchUpdate$/.exec(path);
    if (m && method === 'POST') {
      const id = decodeURIComponent(m[1]!);
      const b = input as { valueInputOption?: string; data?: Array<{ range: string; values: Cell[][] }> };
      if (b.valueInputOption !== 'RAW' && b.valueInputOption !== 'USER_ENTERED')
        return [400, googleError(400, 'INVALID_ARGUMENT', "Invalid valueInputOption: ''")];
      let cells = 0;
      for (const d of b.data ?? []) {
        const r = parseRange(d.range);
        const sheet = r && sheetOf(id, r.title);
        if (!r || !sheet)
          return [400, googleError(400, 'INVALID_ARGUMENT', `Unable to parse range: ${d.range}`)];
        d.values.forEach((row, i) =>
          row.forEach((v, j) => {
            if (v === null) return; // null: leave the cell as it is
            const rr = r.r0 + i;
            const cc = r.c0 + j;
            while (sheet.grid.length <= rr) sheet.grid.push([]);
            const line = sheet.grid[rr]!;
            while (line.length <= cc) line.push('');
            line[cc] = v;
            cells++;
          }),
        );
      }
      return [200, { spreadsheetId: id, totalUpdatedCells: cells }];
    }
    m = /^\/v4\/spreadsheets\/([^/:]+)\/values\/([^/:]+):append$/.exec(path);
    if (m && method === 'POST') {
      const id = decodeURIComponent(m[1]!);
      const r = parseRange(decodeURIComponent(m[2]!));
      const sheet = r && sheetOf(id, r.title);
      if (!r || !sheet) return [400, googleError(400, 'INVALID_ARGUMENT', 'Unable to parse range')];
      const vio = query.get('valueInputOption');
      if (vio !== 'RAW' && vio !== 'USER_ENTERED')
        return [400, googleError(400, 'INVALID_ARGUMENT', "Invalid valueInputOption: ''")];
      const rows = (input as { values?: Cell[][] }).values ?? [];
      // The row after the table (the last row holding anything).
      let at = sheet.grid.length;
      while (at > 0 && sheet.grid[at - 1]!.every((v) => v === '' || v === undefined)) at--;
      sheet.grid.splice(at, 0, ...rows.map((row) => row.map((v) => v ?? '')));
      const width = Math.max(1, ...rows.map((x) => x.length));
      const updatedRange = a1(sheet.title, 0, at, width - 1, at + rows.length - 1);
      return [
        200,
        {
          spreadsheetId: id,
          tableRange: at > 0 ? a1(sheet.title, 0, 0, width - 1, at - 1) : undefined,
          updates: {
            spreadsheetId: id,
            updatedRange,
            updatedRows: rows.length,
            updatedColumns: width,
            updatedCells: rows.length * width,
          },
        },
      ];
    }
    m = /^\/v4\/spreadsheets\/([^/:]+)\/values\/([^/:]+)$/.exec(path);
    if (m && method === 'GET') {
      const id = decodeURIComponent(m[1]!);
      const r = parseRange(decodeURIComponent(m[2]!));
      const sheet = r && sheetOf(id, r.title);
      if (!r || !sheet) return [400, googleError(400, 'INVALID_ARGUMENT', 'Unable to parse range')];
      const rows = sheet.grid
        .slice(r.r0, r.r1 === Infinity ? undefined : r.r1 + 1)
        .map((row) => row.slice(r.c0, r.c1 === Infinity ? undefined : r.c1 + 1));
      const values = trimmed(rows);
      return [
        200,
        {
          range: a1(sheet.title, r.c0, r.r0, r.c0 + 25, r.r0 + 999),
          majorDimension: 'ROWS',
          ...(values.length ? { values } : {}),
        },
      ];
    }
    return [404, googleError(404, 'NOT_FOUND', `no route ${method} ${path}`)];
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const text = await body(req);
      const url = new URL(req.url ?? '/', 'http://x');
      const send = (status: number, answer: unknown) =>
        res
          .writeHead(status, { 'content-type': 'application/json; charset=UTF-8' })
          .end(JSON.stringify(answer));
      if (url.pathname === '/token' && req.method === 'POST')
        return send(...exchange(new URLSearchParams(text)));
      requests.push(`${req.method} ${url.pathname}`);
      const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
      if (!auth || !tokens.has(auth[1]!))
        return send(
          401,
          googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'),
        );
      if (o.prismUrl) {
        const check = await fetch(`${o.prismUrl}${req.url}`, {
          method: req.method!,
          headers: {
            authorization: req.headers.authorization!,
            ...(text ? { 'content-type': req.headers['content-type'] ?? 'application/json' } : {}),
          },
          ...(text ? { body: text } : {}),
        });
        await check.arrayBuffer();
        // A 4xx is Prism refusing the request; a 5xx without violations is Prism failing to
        // build an answer from Google's examples, which says nothing about the request.
        const refused = check.status >= 400 && (check.status < 500 || check.headers.has('sl-violations'));
        if (refused) {
          const v = `${req.method} ${url.pathname}${url.search}: ${check.status} ${check.headers.get('sl-violations') ?? ''}`;
          violations.push(v);
          return send(
            400,
            googleError(400, 'INVALID_ARGUMENT', `the request breaks Google's description: ${v}`),
          );
        }
      }
      let input: unknown = {};
      try {
        input = text ? JSON.parse(text) : {};
      } catch {
        return send(400, googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.'));
      }
      send(...api(req.method ?? 'GET', url.pathname, url.searchParams, input));
    })().catch((e: unknown) => {
      res.writeHead(500).end(JSON.stringify({ error: { code: 500, message: String(e) } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    tokenUrl: `${url}/token`,
    spreadsheets,
    violations,
    requests,
    mintToken: () => {
      const token = `ya29.test-${randomBytes(12).toString('hex')}`;
      tokens.add(token);
      return token;
    },
    get tokensIssued() {
      return state.tokensIssued;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
