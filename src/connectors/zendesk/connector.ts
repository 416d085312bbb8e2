// Zendesk Support: read a ticket (with its requester and comments) and act on it: comment,
// assign, set fields or status. Field changes capture what they overwrite and roll back to it;
// a comment cannot be taken back (Zendesk deletes no comment, and its redaction is permanent and
// leaves the comment in place), so it is declared irreversible. A retried comment finds the
// first one by Baton's key, which travels in the audit's custom metadata, not in the text.
import { z } from 'zod';
import { num, str, ticketFields } from './ticket-fields.ts';
import { BatonError } from '../../core/errors.ts';
import { defineAction, defineContextSource } from '../../actions/define.ts';
import type { ActionContext } from '../../actions/define.ts';
import { baseUrlGate } from '../capped-fetch.ts';
import { defineConnector } from '../define.ts';
import { zendeskCalls, type ZendeskCalls, type ZendeskSettings } from './client.ts';
import { unassignedTickets } from './search.ts';

const settings = z
  .strictObject({
    /** https://SUBDOMAIN.zendesk.com/api/v2 */
    endpointUri: z.url({ protocol: /^https?$/ }),
    /** The agent's email, with `token` (an API token). */
    username: z.string().min(1).optional(),
    token: z.string().min(1).optional(),
    /** An OAuth access token, instead of username + token. */
    oauthToken: z.string().min(1).optional(),
    timeoutMs: z.int().positive().max(120_000).default(10_000),
    /** The webhook's signing secret (Admin Center → Webhooks → the webhook → Signing secret). */
    webhookSecret: z.string().min(1).optional(),
  })
  .refine((s) => (s.oauthToken ? !s.token : Boolean(s.username && s.token)), {
    message: 'give username (the agent email) with token (an API token), or oauthToken alone',
  });

const ticketId = z.int().positive().describe('the ticket id');
// What a ticket can be set to: Zendesk moves a ticket out of `new` but never back, and closes
// solved tickets itself.
const STATUSES = ['open', 'pending', 'hold', 'solved'] as const;
const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
const TYPES = ['problem', 'incident', 'question', 'task'] as const;
/** The most audits read when looking for a retried comment (100 each). */
const MAX_AUDIT_PAGES = 10;
/** The most comments a ticket read gives (100 each). */
const MAX_COMMENT_PAGES = 5;

type Ticket = Record<string, unknown>;
const records = (v: unknown): Record<string, unknown>[] =>
  Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : [];

function ticketOf(body: Record<string, unknown>, what: string): Ticket {
  const t = body.ticket;
  if (!t || typeof t !== 'object')
    throw new BatonError('action_failed', `${what}: the answer has no ticket`, {
      fault: 'provider',
      retryable: true,
    });
  return t as Ticket;
}

/**
 * Walks a cursor-paginated list (`page[after]` from `meta.after_cursor`, 100 a page) until
 * `visit` says stop, the list ends, or `max` pages were read: 'more' means some were left.
 */
async function eachPage(
  c: ZendeskCalls,
  path: Array<string | number>,
  query: Record<string, string>,
  max: number,
  visit: (body: Record<string, unknown>) => boolean,
): Promise<'stopped' | 'done' | 'more'> {
  let after: string | undefined;
  for (let page = 0; page < max; page++) {
    const body = await c.get([...path, after ? { ...query, 'page[after]': after } : query]);
    if (visit(body)) return 'stopped';
    const meta = body.meta as { has_more?: boolean; after_cursor?: string | null } | undefined;
    if (!meta?.has_more || !meta.after_cursor) return 'done';
    after = meta.after_cursor;
  }
  return 'more';
}

/** Fields a change may capture and restore, as Zendesk shows them. */
const FIELDS = ['status', 'priority', 'type', 'tags', 'group_id', 'assignee_id'] as const;
type Field = (typeof FIELDS)[number];
type Snapshot = Partial<Record<Field, unknown>>;

const pick = (t: Ticket, fields: readonly Field[]): Snapshot =>
  Object.fromEntries(fields.map((f) => [f, t[f] ?? (f === 'tags' ? [] : null)]));

/**
 * The values to write back. Zendesk never lets a ticket return to `new`: it is restored as
 * `open`, the nearest state it accepts.
 */
const restorable = (s: Snapshot): Snapshot => (s.status === 'new' ? { ...s, status: 'open' } : s);

export const zendesk = defineConnector({
  type: 'zendesk',
  description: 'Zendesk Support tickets (node-zendesk)',
  settings,
  secrets: ['token', 'oauthToken', 'webhookSecret'],
  baseUrls: ['endpointUri'],
  open(s, { outbound }) {
    const cfg: ZendeskSettings = s;
    const gate = baseUrlGate(outbound, cfg.endpointUri);
    const calls = (what: string, signal: AbortSignal) => zendeskCalls(cfg, what, signal, gate);

    const readTicket = async (id: number, signal: AbortSignal): Promise<Ticket> =>
      ticketOf(
        await calls(`zendesk: read ticket ${id}`, signal).get(['tickets', id]),
        `zendesk: ticket ${id}`,
      );

    const update = async (id: number, ticket: Record<string, unknown>, ctx: { signal: AbortSignal }) => {
      const what = `zendesk: update ticket ${id}`;
      return calls(what, ctx.signal).put(['tickets', id], { ticket });
    };

    /** A change of fields: captures them first, writes, and writes the captured values back on rollback. */
    const change = <P extends { ticket_id: number }>(
      id: string,
      description: string,
      params: z.ZodType<P>,
      fieldsOf: (p: P) => Snapshot,
    ) =>
      defineAction<P, { ticket_id: number } & Snapshot>({
        id,
        description,
        params,
        risk: 'low',
        idempotent: true,
        idempotency: 'natural',
        capture: async (p, ctx) =>
          pick(await readTicket(p.ticket_id, ctx.signal), Object.keys(fieldsOf(p)) as Field[]),
        run: async (p, ctx) => {
          const fields = fieldsOf(p);
          const t = ticketOf(await update(p.ticket_id, fields, ctx), `zendesk: update ticket ${p.ticket_id}`);
          return { ticket_id: p.ticket_id, ...pick(t, Object.keys(fields) as Field[]) };
        },
        rollback: async (p, _r, ctx) => {
          const before = ctx.undo as Snapshot | undefined;
          if (!before || Object.keys(before).length === 0) return { restored: {} };
          await update(p.ticket_id, restorable(before), ctx);
          return { restored: restorable(before) };
        },
      });

    const defined = <T extends Record<string, unknown>>(o: T): Snapshot =>
      Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Snapshot;

    const assign = change(
      'assign',
      'Assign a ticket to a group and/or an agent (null clears); rollback restores both',
      z
        .object({
          ticket_id: ticketId,
          group_id: z.int().positive().nullable().optional(),
          assignee_id: z.int().positive().nullable().optional(),
        })
        .refine((p) => p.group_id !== undefined || p.assignee_id !== undefined, {
          message: 'give group_id, assignee_id or both',
        }),
      // Both are captured and restored (Zendesk may clear the agent when the group changes); one
      // left undefined is not sent (JSON drops it).
      (p) => ({ group_id: p.group_id, assignee_id: p.assignee_id }),
    );

    const setFields = change(
      'set_fields',
      'Set priority, status, type and/or tags (the whole set); rollback restores the previous values',
      z
        .object({
          ticket_id: ticketId,
          priority: z.enum(PRIORITIES).nullable().optional(),
          status: z.enum(STATUSES).optional(),
          type: z.enum(TYPES).nullable().optional(),
          tags: z.array(z.string().min(1)).max(200).optional().describe('replaces the ticket tags'),
        })
        .refine((p) => [p.priority, p.status, p.type, p.tags].some((v) => v !== undefined), {
          message: 'give at least one of priority, status, type, tags',
        }),
      (p) => defined({ priority: p.priority, status: p.status, type: p.type, tags: p.tags }),
    );

    const setStatus = change(
      'set_status',
      'Set the ticket status; rollback restores it (a ticket that was new is restored as open)',
      z.object({ ticket_id: ticketId, status: z.enum(STATUSES) }),
      (p) => ({ status: p.status }),
    );

    /** The comment a retried call already added: the audit that carries this key. */
    const findComment = async (ticket: number, key: string, ctx: ActionContext) => {
      const c = calls(`zendesk: list audits of ticket ${ticket}`, ctx.signal);
      let found: { audit_id: number | null; comment_id: number | null } | undefined;
      const end = await eachPage(c, ['tickets', ticket, 'audits'], {}, MAX_AUDIT_PAGES, (body) => {
        const audit = records(body.audits).find(
          (a) => (a.metadata as { custom?: Record<string, unknown> } | undefined)?.custom?.baton_key === key,
        );
        if (!audit) return false;
        const comment = records(audit.events).find((e) => e.type === 'Comment');
        found = { audit_id: num(audit.id), comment_id: num(comment?.id) };
        return true;
      });
      if (end !== 'more') return found;
      throw new BatonError(
        'action_failed',
        `zendesk: ticket ${ticket} has more than ${MAX_AUDIT_PAGES * 100} audits; cannot tell whether the comment was already added`,
        { fault: 'provider' },
      );
    };

    const comment = defineAction({
      id: 'comment',
      description: 'Add a comment to a ticket: public (emailed to the requester) or internal',
      params: z.object({
        ticket_id: ticketId,
        body: z.string().min(1).max(60_000),
        public: z.boolean().default(false).describe('true: the requester sees it and is emailed'),
      }),
      risk: 'medium',
      outbound: true,
      idempotent: true,
      idempotency: 'lookup',
      irreversible:
        'Zendesk cannot delete a comment: a public one has already been emailed to the requester, and redaction (the only removal) is permanent and leaves the comment in place',
      run: async (p, ctx) => {
        const found = await findComment(p.ticket_id, ctx.idempotencyKey, ctx);
        if (found) return { ticket_id: p.ticket_id, ...found, public: p.public, created: false };
        const body = await update(
          p.ticket_id,
          { comment: { body: p.body, public: p.public }, metadata: { baton_key: ctx.idempotencyKey } },
          ctx,
        );
        const audit = (body.audit ?? {}) as Record<string, unknown>;
        const event = records(audit.events).find((e) => e.type === 'Comment');
        return {
          ticket_id: p.ticket_id,
          audit_id: num(audit.id),
          comment_id: num(event?.id),
          public: p.public,
          created: true,
        };
      },
    });

    const getTicket = defineContextSource({
      id: 'get_ticket',
      description: 'A ticket with its requester (name, email) and its comments (the first 500)',
      params: z.object({ ticket_id: ticketId }),
      trust: 'trusted',
      // Written by the customer (or quoting them): never instructions.
      untrustedFields: ['subject', 'description', 'requester', 'comments'],
      fetch: async (p, ctx) => {
        const c = calls(`zendesk: read ticket ${p.ticket_id}`, ctx.signal);
        const t = ticketOf(await c.get(['tickets', p.ticket_id]), `zendesk: ticket ${p.ticket_id}`);
        const [requesterBody, commentsBody] = await Promise.all([
          num(t.requester_id) === null
            ? Promise.resolve<Record<string, unknown>>({})
            : c.get(['users', num(t.requester_id)!]),
          (async () => {
            const comments: Record<string, unknown>[] = [];
            const users: Record<string, unknown>[] = [];
            const end = await eachPage(
              c,
              ['tickets', p.ticket_id, 'comments'],
              { include: 'users' },
              MAX_COMMENT_PAGES,
              (body) => {
                comments.push(...records(body.comments));
                users.push(...records(body.users));
                return false;
              },
            );
            return { comments, users, truncated: end === 'more' };
          })(),
        ]);
        const users = new Map(commentsBody.users.map((u) => [num(u.id), u]));
        const person = (u: Record<string, unknown> | undefined, id: number | null) => ({
          id: u ? num(u.id) : id,
          name: str(u?.name),
          email: str(u?.email),
        });
        const requester = requesterBody.user as Record<string, unknown> | undefined;
        return {
          ...ticketFields(t),
          assignee_id: num(t.assignee_id),
          requester: person(requester, num(t.requester_id)),
          comments: commentsBody.comments.map((m) => ({
            id: num(m.id),
            author: person(users.get(num(m.author_id)), num(m.author_id)),
            public: m.public === true,
            body: str(m.body),
            created_at: str(m.created_at),
          })),
          comments_truncated: commentsBody.truncated,
        };
      },
    });

    return {
      actions: [comment, assign, setFields, setStatus],
      sources: [getTicket, unassignedTickets(calls)],
      check: async (signal) => {
        const body = await calls('zendesk: check', signal).get(['users', 'me']);
        const me = (body.user ?? {}) as Record<string, unknown>;
        // Zendesk answers an unauthenticated /users/me with an anonymous user, not a 401.
        if (num(me.id) === null)
          throw new BatonError(
            'action_failed',
            'zendesk: check: the credentials were not accepted (anonymous user)',
            {
              fault: 'user',
            },
          );
        return `authenticated as ${str(me.name) ?? '?'} <${str(me.email) ?? '?'}> (${str(me.role) ?? 'unknown role'})`;
      },
    };
  },
});
