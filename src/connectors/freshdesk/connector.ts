// Freshdesk: read a ticket (with its requester and conversations) and act on it: reply, add a
// private note, assign, set fields or status. Field changes capture what they overwrite and roll
// back to it; a note is rolled back by deleting it (DELETE /conversations/{id}); a reply has
// been emailed to the requester and cannot be taken back. Freshdesk takes no idempotency key and
// a conversation has nowhere to hide one, so a reply or note whose outcome is unknown is not
// repeated: it waits for a person.
import { z } from 'zod';
import { BatonError, isBatonError } from '../../core/errors.ts';
import { defineAction, defineContextSource } from '../../actions/define.ts';
import { baseUrlGate } from '../capped-fetch.ts';
import { defineConnector } from '../define.ts';
import { freshdeskCall, type FreshdeskSettings } from './client.ts';

const settings = z.strictObject({
  /** https://DOMAIN.freshdesk.com/api/v2 */
  baseUrl: z.url({ protocol: /^https?$/ }),
  apiKey: z.string().min(1),
  timeoutMs: z.int().positive().max(120_000).default(10_000),
});

const ticketId = z.int().positive().describe('the ticket id');
/** Freshdesk's numbers: 2 open, 3 pending, 4 resolved, 5 closed. */
const status = z.union([z.literal(2), z.literal(3), z.literal(4), z.literal(5)]);
/** 1 low, 2 medium, 3 high, 4 urgent. */
const priority = z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]);
/** The most conversations read (100 a page). */
const MAX_CONVERSATION_PAGES = 5;

type Rec = Record<string, unknown>;
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const rec = (v: unknown): Rec => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});
const records = (v: unknown): Rec[] =>
  Array.isArray(v) ? v.filter((x): x is Rec => typeof x === 'object' && x !== null) : [];

const FIELDS = ['status', 'priority', 'tags', 'group_id', 'responder_id'] as const;
type Field = (typeof FIELDS)[number];
type Snapshot = Partial<Record<Field, unknown>>;
const pick = (t: Rec, fields: readonly Field[]): Snapshot =>
  Object.fromEntries(fields.map((f) => [f, t[f] ?? (f === 'tags' ? [] : null)]));
const defined = (o: Rec): Snapshot =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Snapshot;

export const freshdesk = defineConnector({
  type: 'freshdesk',
  description: 'Freshdesk tickets (REST API v2)',
  settings,
  secrets: ['apiKey'],
  baseUrls: ['baseUrl'],
  open(s, { outbound }) {
    const cfg: FreshdeskSettings = s;
    const gate = baseUrlGate(outbound, cfg.baseUrl);
    const call = (what: string, signal: AbortSignal) =>
      freshdeskCall(cfg, `freshdesk: ${what}`, signal, gate);

    const readTicket = async (id: number, signal: AbortSignal) =>
      rec((await call(`read ticket ${id}`, signal)('GET', `/tickets/${id}`)).body);
    const update = async (id: number, fields: Snapshot, signal: AbortSignal) =>
      rec((await call(`update ticket ${id}`, signal)('PUT', `/tickets/${id}`, fields)).body);

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
          const t = await update(p.ticket_id, defined(fields), ctx.signal);
          return { ticket_id: p.ticket_id, ...pick(t, Object.keys(fields) as Field[]) };
        },
        rollback: async (p, _r, ctx) => {
          const before = ctx.undo as Snapshot | undefined;
          if (!before || Object.keys(before).length === 0) return { restored: {} };
          await update(p.ticket_id, before, ctx.signal);
          return { restored: before };
        },
      });

    const assign = change(
      'assign',
      'Assign a ticket to a group and/or an agent (null clears); rollback restores both',
      z
        .object({
          ticket_id: ticketId,
          group_id: z.int().positive().nullable().optional(),
          responder_id: z.int().positive().nullable().optional().describe('the agent'),
        })
        .refine((p) => p.group_id !== undefined || p.responder_id !== undefined, {
          message: 'give group_id, responder_id or both',
        }),
      // Both are captured and restored; one left undefined is not sent.
      (p) => ({ group_id: p.group_id, responder_id: p.responder_id }),
    );

    const setFields = change(
      'set_fields',
      'Set priority (1-4), status (2-5) and/or tags (the whole set); rollback restores the previous values',
      z
        .object({
          ticket_id: ticketId,
          priority: priority.optional().describe('1 low, 2 medium, 3 high, 4 urgent'),
          status: status.optional().describe('2 open, 3 pending, 4 resolved, 5 closed'),
          tags: z.array(z.string().min(1).max(32)).max(100).optional().describe('replaces the ticket tags'),
        })
        .refine((p) => [p.priority, p.status, p.tags].some((v) => v !== undefined), {
          message: 'give at least one of priority, status, tags',
        }),
      (p) => defined({ priority: p.priority, status: p.status, tags: p.tags }),
    );

    const setStatus = change(
      'set_status',
      'Set the ticket status (2 open, 3 pending, 4 resolved, 5 closed); rollback restores it',
      z.object({ ticket_id: ticketId, status }),
      (p) => ({ status: p.status }),
    );

    const conversation = (c: Rec) => ({
      id: num(c.id),
      ticket_id: num(c.ticket_id),
      private: c.private === true,
      body_text: str(c.body_text),
      created_at: str(c.created_at),
    });

    const reply = defineAction({
      id: 'reply',
      description: 'Reply to the requester (emailed)',
      params: z.object({ ticket_id: ticketId, body: z.string().min(1).max(60_000).describe('HTML') }),
      risk: 'medium',
      outbound: true,
      idempotent: false,
      irreversible:
        'a reply is emailed to the requester when it is added; deleting it afterwards does not unsend it',
      run: async (p, ctx) => {
        const a = await call(`reply to ticket ${p.ticket_id}`, ctx.signal)(
          'POST',
          `/tickets/${p.ticket_id}/reply`,
          {
            body: p.body,
          },
        );
        return conversation(rec(a.body));
      },
    });

    const note = defineAction({
      id: 'note',
      description: 'Add a private note (agents only); rollback deletes it',
      params: z.object({ ticket_id: ticketId, body: z.string().min(1).max(60_000).describe('HTML') }),
      risk: 'low',
      idempotent: false,
      run: async (p, ctx) => {
        const a = await call(`add a note to ticket ${p.ticket_id}`, ctx.signal)(
          'POST',
          `/tickets/${p.ticket_id}/notes`,
          {
            body: p.body,
            private: true,
          },
        );
        return conversation(rec(a.body));
      },
      rollback: async (_p, r, ctx) => {
        if (r.id === null)
          throw new BatonError('action_failed', 'freshdesk: the note to delete has no id', {
            fault: 'provider',
          });
        try {
          await call(`delete note ${r.id}`, ctx.signal)('DELETE', `/conversations/${r.id}`);
          return { deleted: r.id };
        } catch (e) {
          // Already gone (a retried rollback): the note is deleted, which is what was asked.
          if (isBatonError(e) && e.context.status === 404) return { deleted: r.id, already: true };
          throw e;
        }
      },
    });

    const getTicket = defineContextSource({
      id: 'get_ticket',
      description: 'A ticket with its requester and conversations (replies and notes, up to 500)',
      params: z.object({ ticket_id: ticketId }),
      trust: 'trusted',
      // Written by the customer (or quoting them): never instructions.
      untrustedFields: ['subject', 'description', 'requester', 'conversations'],
      fetch: async (p, ctx) => {
        const c = call(`read ticket ${p.ticket_id}`, ctx.signal);
        const t = rec((await c('GET', `/tickets/${p.ticket_id}?include=requester`)).body);
        const conversations: Rec[] = [];
        let next: string | undefined = `/tickets/${p.ticket_id}/conversations?per_page=100`;
        let pages = 0;
        while (next && pages < MAX_CONVERSATION_PAGES) {
          const page = await c('GET', next);
          conversations.push(...records(page.body));
          next = page.next;
          pages++;
        }
        const requester = rec(t.requester);
        return {
          id: num(t.id),
          subject: str(t.subject),
          description: str(t.description_text) ?? str(t.description),
          status: num(t.status),
          priority: num(t.priority),
          type: str(t.type),
          tags: Array.isArray(t.tags) ? t.tags.filter((x) => typeof x === 'string') : [],
          group_id: num(t.group_id),
          responder_id: num(t.responder_id),
          created_at: str(t.created_at),
          updated_at: str(t.updated_at),
          requester: {
            id: num(requester.id) ?? num(t.requester_id),
            name: str(requester.name),
            email: str(requester.email),
          },
          conversations: conversations.map((m) => ({
            id: num(m.id),
            user_id: num(m.user_id),
            from_email: str(m.from_email),
            incoming: m.incoming === true,
            private: m.private === true,
            body: str(m.body_text) ?? str(m.body),
            created_at: str(m.created_at),
          })),
          conversations_truncated: next !== undefined,
        };
      },
    });

    return {
      actions: [reply, note, assign, setFields, setStatus],
      sources: [getTicket],
      check: async (signal) => {
        const me = rec((await call('check', signal)('GET', '/agents/me')).body);
        const contact = rec(me.contact);
        return `authenticated as ${str(contact.name) ?? '?'} <${str(contact.email) ?? '?'}> (agent ${num(me.id) ?? '?'})`;
      },
    };
  },
});
