// A small Zendesk Support with state (tickets, users, comments, audits in memory), speaking the
// documented endpoints the zendesk connector uses, for the tests that need a remembered write:
// a rollback restores a field exactly, a retried comment makes one comment. Every request is
// first forwarded to Prism serving Zendesk's published description: one it refuses (non-2xx, or
// `sl-violations`) is answered with Prism's refusal and recorded in `violations`, so a request
// the real Zendesk would reject fails the test here too.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ZendeskUser {
  id: number;
  name: string;
  email: string;
  role: 'end-user' | 'agent' | 'admin';
}

export interface ZendeskTicket {
  id: number;
  subject: string;
  description: string;
  status: string;
  priority: string | null;
  type: string | null;
  tags: string[];
  group_id: number | null;
  assignee_id: number | null;
  requester_id: number;
  created_at: string;
  updated_at: string;
}

export interface ZendeskComment {
  id: number;
  ticket_id: number;
  audit_id: number;
  author_id: number;
  body: string;
  public: boolean;
  created_at: string;
}

export interface ZendeskAudit {
  id: number;
  ticket_id: number;
  author_id: number;
  created_at: string;
  metadata: { custom: Record<string, unknown>; system: Record<string, unknown> };
  events: Array<Record<string, unknown>>;
}

export interface ZendeskServer {
  /** The base URL for the connector: http://127.0.0.1:PORT/api/v2 */
  url: string;
  /** The agent the credentials belong to. */
  agent: ZendeskUser;
  email: string;
  token: string;
  /** Accepted as `Authorization: Bearer` (an OAuth access token). */
  oauthToken: string;
  tickets: Map<number, ZendeskTicket>;
  users: Map<number, ZendeskUser>;
  comments: ZendeskComment[];
  audits: ZendeskAudit[];
  /** Requests Prism refused, with its `sl-violations`. */
  violations: string[];
  /** Every request as `METHOD /path?query`. */
  requests: string[];
  /** The next write is applied, then its connection dropped before any answer (a lost reply). */
  dropNextWriteAnswer: boolean;
  addTicket(
    t: Partial<ZendeskTicket> & { subject: string; description: string; requester_id: number },
  ): ZendeskTicket;
  addComment(c: { ticket_id: number; author_id: number; body: string; public: boolean }): ZendeskComment;
  close(): Promise<void>;
}

const TICKET_FIELDS = ['status', 'priority', 'type', 'tags', 'group_id', 'assignee_id', 'subject'] as const;

export async function startZendeskServer(prismUrl: string): Promise<ZendeskServer> {
  const email = 'agent@acme.test';
  const token = 'zd-api-token-0123456789';
  const oauthToken = 'zd-oauth-access-token-abcdef';
  const agent: ZendeskUser = { id: 900, name: 'Ada Agent', email, role: 'agent' };
  const users = new Map<number, ZendeskUser>([[agent.id, agent]]);
  const tickets = new Map<number, ZendeskTicket>();
  const comments: ZendeskComment[] = [];
  const audits: ZendeskAudit[] = [];
  let nextId = 1000;
  const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

  const addAudit = (
    ticket_id: number,
    events: Array<Record<string, unknown>>,
    custom: Record<string, unknown>,
  ) => {
    const audit: ZendeskAudit = {
      id: nextId++,
      ticket_id,
      author_id: agent.id,
      created_at: now(),
      metadata: { custom, system: { client: 'baton-test' } },
      events,
    };
    audits.push(audit);
    return audit;
  };
  const addComment = (
    c: { ticket_id: number; author_id: number; body: string; public: boolean },
    auditId?: number,
  ) => {
    const comment: ZendeskComment = { id: nextId++, audit_id: auditId ?? 0, created_at: now(), ...c };
    comments.push(comment);
    return comment;
  };

  const state: ZendeskServer = {
    url: '',
    agent,
    email,
    token,
    oauthToken,
    tickets,
    users,
    comments,
    audits,
    violations: [],
    requests: [],
    dropNextWriteAnswer: false,
    addTicket(t) {
      const ticket: ZendeskTicket = {
        id: nextId++,
        status: 'open',
        priority: 'normal',
        type: 'question',
        tags: [],
        group_id: null,
        assignee_id: null,
        created_at: now(),
        updated_at: now(),
        ...t,
      };
      tickets.set(ticket.id, ticket);
      const audit = addAudit(ticket.id, [], {});
      const first = addComment(
        { ticket_id: ticket.id, author_id: t.requester_id, body: t.description, public: true },
        audit.id,
      );
      audit.events.push({ id: first.id, type: 'Comment', body: first.body, public: true });
      return ticket;
    },
    addComment: (c) => addComment(c),
    close: async () => {},
  };

  const expectedAuth = `Basic ${Buffer.from(`${email}/token:${token}`).toString('base64')}`;
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res
      .writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
      .end(JSON.stringify(body));
  };

  /** Prism's verdict on the request: undefined when the description accepts it. */
  const validate = async (
    req: IncomingMessage,
    body: string,
  ): Promise<{ status: number; text: string; why: string } | undefined> => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
    // The description declares only basic auth, though Zendesk documents OAuth bearer tokens
    // too: Prism checks the rest of a bearer request (this server checks the token itself).
    if (headers.authorization?.startsWith('Bearer '))
      headers.authorization = 'Basic b2F1dGg6Y2hlY2tlZC1zZXBhcmF0ZWx5';
    const answer = await fetch(`${prismUrl}${req.url}`, {
      method: req.method!,
      headers,
      ...(body ? { body } : {}),
    });
    const text = await answer.text();
    const why = answer.headers.get('sl-violations');
    if (answer.ok && !why) return undefined;
    return { status: answer.ok ? 422 : answer.status, text, why: why ?? text.slice(0, 500) };
  };

  /**
   * GET /search over tickets, for the terms the connector sends (type:ticket, assignee:none,
   * status<STATUS, created<ISO time, group:ID); others are refused, not ignored. Offset pages as
   * documented: per_page (at most 100), page, next_page as a URL or null, at most 1,000 results.
   */
  const STATUS_ORDER = ['new', 'open', 'pending', 'hold', 'solved', 'closed'];
  const search = (res: ServerResponse, url: URL) => {
    const checks: Array<(t: ZendeskTicket) => boolean> = [];
    for (const term of (url.searchParams.get('query') ?? '').split(/\s+/).filter(Boolean)) {
      let m: RegExpExecArray | null;
      if (term === 'type:ticket') continue;
      if (term === 'assignee:none') checks.push((t) => t.assignee_id === null);
      else if ((m = /^status<(\w+)$/.exec(term)) && STATUS_ORDER.includes(m[1]!)) {
        const below = STATUS_ORDER.indexOf(m[1]!);
        checks.push((t) => STATUS_ORDER.indexOf(t.status) < below);
      } else if ((m = /^created<(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$/.exec(term))) {
        const at = Date.parse(m[1]!);
        checks.push((t) => Date.parse(t.created_at) < at);
      } else if ((m = /^group:(\d+)$/.exec(term))) checks.push((t) => t.group_id === Number(m![1]));
      else
        return send(res, 400, {
          error: 'invalid',
          description: `this test server does not search by ${term}`,
        });
    }
    const perPage = Number(url.searchParams.get('per_page') ?? 100);
    const page = Number(url.searchParams.get('page') ?? 1);
    if (!(perPage >= 1 && perPage <= 100) || !(page >= 1) || page * perPage > 1000)
      return send(res, 422, { error: 'invalid', description: 'per_page 1–100; at most 1,000 results' });
    const asc = url.searchParams.get('sort_order') === 'asc';
    if (url.searchParams.get('sort_by') !== 'created_at')
      return send(res, 400, { error: 'invalid', description: 'this test server sorts by created_at only' });
    const hits = [...tickets.values()]
      .filter((t) => checks.every((c) => c(t)))
      .sort((a, b) => (asc ? 1 : -1) * (Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id));
    const from = (page - 1) * perPage;
    const more = hits.length > from + perPage && (page + 1) * perPage <= 1000;
    const link = (n: number) => {
      const u = new URL(url);
      u.searchParams.set('page', String(n));
      return `${state.url.replace(/\/api\/v2$/, '')}${u.pathname}${u.search}`;
    };
    return send(res, 200, {
      results: hits.slice(from, from + perPage).map((t) => ({ ...t, result_type: 'ticket' })),
      count: hits.length,
      facets: null,
      next_page: more ? link(page + 1) : null,
      previous_page: page > 1 ? link(page - 1) : null,
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: string) => {
    const url = new URL(req.url!, 'http://zendesk.test');
    state.requests.push(`${req.method} ${url.pathname}${url.search}`);
    const refused = await validate(req, body);
    if (refused) {
      state.violations.push(`${req.method} ${url.pathname}: ${refused.why}`);
      res.writeHead(refused.status, { 'content-type': 'application/json' }).end(refused.text);
      return;
    }
    if (req.headers.authorization !== expectedAuth && req.headers.authorization !== `Bearer ${oauthToken}`)
      return send(res, 401, { error: "Couldn't authenticate you" });
    const parts = url.pathname.replace(/^\/api\/v2\//, '').split('/');
    const ticketOr404 = (id: string | undefined) => tickets.get(Number(id));

    if (req.method === 'GET' && parts[0] === 'users' && parts[1] === 'me')
      return send(res, 200, { user: agent });
    if (req.method === 'GET' && parts[0] === 'users' && parts.length === 2) {
      const u = users.get(Number(parts[1]));
      return u
        ? send(res, 200, { user: u })
        : send(res, 404, { error: 'RecordNotFound', description: 'Not found' });
    }
    if (req.method === 'GET' && parts[0] === 'search' && parts.length === 1) return search(res, url);
    if (parts[0] !== 'tickets') return send(res, 404, { error: 'InvalidEndpoint', description: 'Not found' });
    const ticket = ticketOr404(parts[1]);
    if (!ticket) return send(res, 404, { error: 'RecordNotFound', description: 'Not found' });

    if (req.method === 'GET' && parts.length === 2) return send(res, 200, { ticket });
    if (req.method === 'GET' && (parts[2] === 'comments' || parts[2] === 'audits') && parts.length === 3) {
      // Cursor pagination as documented: page[size], page[after] (opaque; here the offset).
      const size = Math.min(Number(url.searchParams.get('page[size]') ?? 100), 100);
      const from = Number(url.searchParams.get('page[after]') ?? 0);
      const all: Array<ZendeskComment | ZendeskAudit> = (parts[2] === 'comments' ? comments : audits).filter(
        (x) => x.ticket_id === ticket.id,
      );
      const page = all.slice(from, from + size);
      const more = all.length > from + size;
      const sideload = parts[2] === 'comments' && url.searchParams.get('include') === 'users';
      const authors = [...new Set(page.map((c) => c.author_id))].map((id) => users.get(id)).filter(Boolean);
      return send(res, 200, {
        [parts[2]]: page,
        ...(sideload ? { users: authors } : {}),
        meta: { has_more: more, after_cursor: more ? String(from + size) : null, before_cursor: null },
        links: { next: null, prev: null },
      });
    }
    if (req.method === 'PUT' && parts.length === 2) {
      const input = (JSON.parse(body || '{}') as { ticket?: Record<string, unknown> }).ticket ?? {};
      if (ticket.status === 'closed')
        return send(res, 422, {
          error: 'RecordInvalid',
          description: 'Record validation errors',
          details: { status: [{ description: 'Status: closed prevents ticket update' }] },
        });
      if (input.status === 'new' && ticket.status !== 'new')
        return send(res, 422, {
          error: 'RecordInvalid',
          description: 'Record validation errors',
          details: { status: [{ description: 'Status: cannot be set to new' }] },
        });
      const events: Array<Record<string, unknown>> = [];
      for (const f of TICKET_FIELDS) {
        if (!(f in input)) continue;
        const before = ticket[f];
        (ticket as unknown as Record<string, unknown>)[f] = input[f];
        events.push({ id: nextId++, type: 'Change', field_name: f, previous_value: before, value: input[f] });
      }
      const custom = (input.metadata ?? {}) as Record<string, unknown>;
      const audit = addAudit(ticket.id, events, custom);
      const c = input.comment as { body?: string; public?: boolean } | undefined;
      if (c?.body) {
        const made = addComment(
          { ticket_id: ticket.id, author_id: agent.id, body: c.body, public: c.public ?? true },
          audit.id,
        );
        events.unshift({
          id: made.id,
          type: 'Comment',
          body: made.body,
          public: made.public,
          author_id: agent.id,
        });
      }
      ticket.updated_at = now();
      if (state.dropNextWriteAnswer) {
        state.dropNextWriteAnswer = false;
        req.socket.destroy();
        return;
      }
      return send(res, 200, { ticket, audit });
    }
    return send(res, 404, { error: 'InvalidEndpoint', description: 'Not found' });
  };

  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((e: unknown) => {
        state.violations.push(`server error: ${String(e)}`);
        if (!res.headersSent) send(res, 500, { error: 'InternalError' });
      });
    });
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
