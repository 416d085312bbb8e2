// A small Freshdesk (API v2) with state, written from Freshdesk's public API reference, since
// Freshdesk publishes no machine-readable description: the ticket, conversation and agent
// endpoints the freshdesk connector uses, Basic auth with the API key as user and `X` as
// password, JSON bodies checked field by field (an unknown field or a wrong value is a 400 in
// Freshdesk's error shape), 415 without a JSON content type, paged lists with a `Link` header,
// and 429 with Retry-After when told to limit.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { z } from 'zod';

export interface FreshdeskTicket {
  id: number;
  subject: string;
  description: string;
  description_text: string;
  status: number;
  priority: number;
  type: string | null;
  tags: string[];
  group_id: number | null;
  responder_id: number | null;
  requester_id: number;
  created_at: string;
  updated_at: string;
}

export interface FreshdeskConversation {
  id: number;
  ticket_id: number;
  user_id: number;
  body: string;
  body_text: string;
  incoming: boolean;
  private: boolean;
  source: number;
  from_email: string | null;
  created_at: string;
  updated_at: string;
}

export interface FreshdeskContact {
  id: number;
  name: string;
  email: string;
}

export interface FreshdeskServer {
  /** The base URL for the connector: http://127.0.0.1:PORT/api/v2 */
  url: string;
  apiKey: string;
  agent: { id: number; contact: FreshdeskContact };
  tickets: Map<number, FreshdeskTicket>;
  contacts: Map<number, FreshdeskContact>;
  conversations: FreshdeskConversation[];
  /** Requests refused as Freshdesk would refuse them (400, 415), with why. */
  refused: string[];
  /** Every request as `METHOD /path?query`. */
  requests: string[];
  /** Answer the next request with this status and body (a refusal Freshdesk documents). */
  answerNext: { status: number; body: unknown } | undefined;
  /** Answer the next `count` requests 429 with `Retry-After: seconds`. */
  rateLimit(count: number, seconds: number): void;
  addTicket(
    t: Partial<FreshdeskTicket> & { subject: string; description: string; requester_id: number },
  ): FreshdeskTicket;
  addConversation(
    c: Partial<FreshdeskConversation> & { ticket_id: number; user_id: number; body: string },
  ): FreshdeskConversation;
  close(): Promise<void>;
}

const nullableId = z.int().positive().nullable();
// The documented fields of "Update a Ticket"; anything else is "Unexpected/invalid field".
const TICKET_UPDATE = z.strictObject({
  name: z.string().optional(),
  requester_id: z.int().optional(),
  email: z.email().optional(),
  phone: z.string().optional(),
  subject: z.string().optional(),
  type: z.string().nullable().optional(),
  status: z.int().min(2).max(5).optional(),
  priority: z.int().min(1).max(4).optional(),
  description: z.string().optional(),
  responder_id: nullableId.optional(),
  group_id: nullableId.optional(),
  tags: z.array(z.string().max(32)).optional(),
  custom_fields: z.record(z.string(), z.unknown()).optional(),
  due_by: z.string().optional(),
  fr_due_by: z.string().optional(),
  product_id: z.int().optional(),
  source: z.int().optional(),
});
const REPLY = z.strictObject({
  body: z.string().min(1),
  from_email: z.email().optional(),
  user_id: z.int().optional(),
  cc_emails: z.array(z.email()).optional(),
  bcc_emails: z.array(z.email()).optional(),
});
const NOTE = z.strictObject({
  body: z.string().min(1),
  incoming: z.boolean().optional(),
  notify_emails: z.array(z.email()).optional(),
  private: z.boolean().optional(),
  user_id: z.int().optional(),
});

const text = (html: string) => html.replace(/<[^>]*>/g, '');

export async function startFreshdeskServer(): Promise<FreshdeskServer> {
  const apiKey = 'fd-api-key-0123456789';
  const agentContact: FreshdeskContact = { id: 77, name: 'Frida Agent', email: 'frida@acme.test' };
  const tickets = new Map<number, FreshdeskTicket>();
  const contacts = new Map<number, FreshdeskContact>();
  const conversations: FreshdeskConversation[] = [];
  let nextId = 2000;
  let limited = { count: 0, seconds: 1 };
  const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

  const addConversation: FreshdeskServer['addConversation'] = (c) => {
    const conv: FreshdeskConversation = {
      id: nextId++,
      incoming: false,
      private: false,
      source: 0,
      from_email: null,
      created_at: now(),
      updated_at: now(),
      body_text: text(c.body),
      ...c,
    };
    conversations.push(conv);
    return conv;
  };

  const state: FreshdeskServer = {
    url: '',
    apiKey,
    agent: { id: 77, contact: agentContact },
    tickets,
    contacts,
    conversations,
    refused: [],
    requests: [],
    answerNext: undefined,
    rateLimit(count, seconds) {
      limited = { count, seconds };
    },
    addTicket(t) {
      const ticket: FreshdeskTicket = {
        id: nextId++,
        status: 2,
        priority: 1,
        type: 'Question',
        tags: [],
        group_id: null,
        responder_id: null,
        created_at: now(),
        updated_at: now(),
        description_text: text(t.description),
        ...t,
      };
      tickets.set(ticket.id, ticket);
      return ticket;
    },
    addConversation,
    close: async () => {},
  };

  const expectedAuth = `Basic ${Buffer.from(`${apiKey}:X`).toString('base64')}`;
  const send = (
    res: ServerResponse,
    status: number,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    if (body === undefined) return void res.writeHead(status, headers).end();
    res
      .writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
      .end(JSON.stringify(body));
  };
  const invalid = (
    res: ServerResponse,
    why: string,
    errors: Array<{ field: string; message: string; code: string }>,
  ) => {
    state.refused.push(why);
    send(res, 400, { description: 'Validation failed', errors });
  };
  /** The body checked against a schema, or undefined after answering 400 as Freshdesk does. */
  const parse = <T>(res: ServerResponse, schema: z.ZodType<T>, raw: string, what: string): T | undefined => {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      invalid(res, `${what}: not JSON`, [
        { field: '', message: 'Request body has invalid json format', code: 'invalid_json' },
      ]);
      return undefined;
    }
    const r = schema.safeParse(json);
    if (r.success) return r.data;
    invalid(
      res,
      `${what}: ${r.error.message}`,
      r.error.issues.map((i) =>
        i.code === 'unrecognized_keys'
          ? { field: i.keys.join(','), message: 'Unexpected/invalid field in request', code: 'invalid_field' }
          : { field: i.path.join('.'), message: i.message, code: 'invalid_value' },
      ),
    );
    return undefined;
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const url = new URL(req.url!, 'http://freshdesk.test');
    state.requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (state.answerNext) {
      const { status, body: canned } = state.answerNext;
      state.answerNext = undefined;
      return send(res, status, canned);
    }
    if (limited.count > 0) {
      limited.count--;
      return send(
        res,
        429,
        { message: 'You have exceeded the limit of requests per minute' },
        { 'retry-after': String(limited.seconds) },
      );
    }
    if (req.headers.authorization !== expectedAuth)
      return send(res, 401, {
        code: 'invalid_credentials',
        message: 'You have to be logged in to perform this action.',
      });
    if (
      (req.method === 'POST' || req.method === 'PUT') &&
      !String(req.headers['content-type']).startsWith('application/json')
    ) {
      state.refused.push(`${req.method} ${url.pathname}: content-type ${req.headers['content-type']}`);
      return send(res, 415, {
        code: 'invalid_content_type',
        message: `Content-Type header is set to ${req.headers['content-type']}. It should be set to application/json`,
      });
    }
    const parts = url.pathname.replace(/^\/api\/v2\//, '').split('/');
    const what = `${req.method} ${url.pathname}`;

    if (req.method === 'GET' && parts[0] === 'agents' && parts[1] === 'me' && parts.length === 2)
      return send(res, 200, {
        id: state.agent.id,
        available: true,
        occasional: false,
        contact: agentContact,
      });
    if (req.method === 'DELETE' && parts[0] === 'conversations' && parts.length === 2) {
      const i = conversations.findIndex((c) => c.id === Number(parts[1]));
      if (i < 0) return send(res, 404);
      conversations.splice(i, 1);
      return send(res, 204);
    }
    if (parts[0] !== 'tickets' || !/^\d+$/.test(parts[1] ?? '')) return send(res, 404);
    const ticket = tickets.get(Number(parts[1]));
    if (!ticket) return send(res, 404);

    if (req.method === 'GET' && parts.length === 2) {
      const include = (url.searchParams.get('include') ?? '').split(',').filter(Boolean);
      const unknown = include.filter((i) => !['requester', 'conversations', 'company', 'stats'].includes(i));
      if (unknown.length)
        return invalid(res, `${what}: include=${unknown.join(',')}`, [
          {
            field: 'include',
            message: "It should be one of these values: 'conversations,requester,company,stats'",
            code: 'invalid_value',
          },
        ]);
      const requester = contacts.get(ticket.requester_id);
      return send(res, 200, {
        ...ticket,
        ...(include.includes('requester') && requester
          ? { requester: { ...requester, mobile: null, phone: null } }
          : {}),
      });
    }
    if (req.method === 'GET' && parts[2] === 'conversations' && parts.length === 3) {
      const perPage = Number(url.searchParams.get('per_page') ?? 30);
      const page = Number(url.searchParams.get('page') ?? 1);
      if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100)
        return invalid(res, `${what}: per_page=${perPage}`, [
          {
            field: 'per_page',
            message: 'It should be a Positive Integer less than or equal to 100',
            code: 'invalid_value',
          },
        ]);
      const all = conversations.filter((c) => c.ticket_id === ticket.id);
      const slice = all.slice((page - 1) * perPage, page * perPage);
      const more = all.length > page * perPage;
      const link = `<${state.url}/tickets/${ticket.id}/conversations?per_page=${perPage}&page=${page + 1}>; rel="next"`;
      return send(res, 200, slice, more ? { link } : {});
    }
    if (req.method === 'PUT' && parts.length === 2) {
      const input = parse(res, TICKET_UPDATE, body, what);
      if (!input) return;
      Object.assign(ticket, input, { updated_at: now() });
      return send(res, 200, ticket);
    }
    if (req.method === 'POST' && parts[2] === 'reply' && parts.length === 3) {
      const input = parse(res, REPLY, body, what);
      if (!input) return;
      const c = addConversation({
        ticket_id: ticket.id,
        user_id: input.user_id ?? state.agent.id,
        body: input.body,
        from_email: 'support@acme.test',
      });
      return send(res, 201, {
        ...c,
        to_emails: [contacts.get(ticket.requester_id)?.email ?? ''],
        cc_emails: [],
        bcc_emails: [],
        attachments: [],
      });
    }
    if (req.method === 'POST' && parts[2] === 'notes' && parts.length === 3) {
      const input = parse(res, NOTE, body, what);
      if (!input) return;
      const c = addConversation({
        ticket_id: ticket.id,
        user_id: input.user_id ?? state.agent.id,
        body: input.body,
        private: input.private ?? true,
        incoming: input.incoming ?? false,
        source: 2,
      });
      return send(res, 201, { ...c, notify_emails: input.notify_emails ?? [], attachments: [] });
    }
    return send(res, 404);
  };

  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2`;
  state.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return state;
}
