// HubSpot CRM: companies, contacts and deals to read; deal properties, owners, tasks and notes to
// write. Every write reads first what undoing it needs (the previous values of exactly the
// properties it sets), and a task or note carries a marker made from Baton's idempotency key in
// its body, so a retried create finds the one it made instead of making a second.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { BatonError } from '../../core/errors.ts';
import type { Client } from '@hubspot/api-client';
import { defineConnector, type ConnectorAction, type ConnectorSource } from '../define.ts';
import { ASSOCIATION_TYPES, statusOf, withHubSpot, type HubSpotSettings, type RecordType } from './client.ts';
import { dealsWithoutOwner } from './sweep.ts';

const settings = z.strictObject({
  /** A private app's access token (Settings → Integrations → Private apps). */
  token: z.string().min(1),
  basePath: z.url({ protocol: /^https?$/ }).default('https://api.hubapi.com'),
  /** The app's client secret: it signs HubSpot's webhooks (X-HubSpot-Signature-v3). */
  clientSecret: z.string().min(1).optional(),
});

const OWNER = 'hubspot_owner_id';
const objectId = z.string().regex(/^\d{1,20}$/, 'a HubSpot record id (digits)');
const ownerId = z.string().regex(/^\d{1,20}$/, 'a HubSpot owner id (digits)');
const recordType = z.enum(['company', 'contact', 'deal']);
/** Internal property names: what HubSpot accepts (lower case, digits, underscores). */
const propertyName = z.string().regex(/^[a-z][a-z0-9_]{0,99}$/, 'a property internal name');
const propertyValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

type Props = Record<string, string | null>;

/** The API of one record type, named as the SDK names it. */
const basicApiOf = (client: Client, type: RecordType) =>
  type === 'company'
    ? client.crm.companies.basicApi
    : type === 'contact'
      ? client.crm.contacts.basicApi
      : client.crm.deals.basicApi;

/** A value as HubSpot stores it: a string; null clears the property (HubSpot's empty string). */
const asHubSpot = (v: string | number | boolean | null): string => (v === null ? '' : String(v));

/** A read property as a value: HubSpot answers null or '' for an unset one. */
const valueOf = (props: Record<string, string | null | undefined>, key: string): string | null => {
  const v = props[key];
  return v === undefined || v === null || v === '' ? null : v;
};

/** The marker a created task or note carries: one token (HubSpot's search splits on punctuation). */
export const markerOf = (idempotencyKey: string): string =>
  `baton${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}`;

const isNotFound = (e: unknown): boolean => statusOf(e) === 404;

/** What capture read, or an error that says it is missing (a step recorded before capture ran). */
function captured<T>(undo: unknown, what: string): T {
  if (!undo || typeof undo !== 'object' || !('previous' in undo))
    throw new BatonError('action_failed', `hubspot: no captured values to restore for ${what}`, {
      fault: 'user',
      retryable: false,
    });
  return undo as T;
}

export const hubspot = defineConnector({
  type: 'hubspot',
  description: 'HubSpot CRM (companies, contacts, deals, owners, tasks, notes)',
  settings,
  secrets: ['token', 'clientSecret'],
  baseUrls: ['basePath'],
  open(s, connector) {
    const conf: HubSpotSettings = { token: s.token, basePath: s.basePath };
    const hs = <T>(what: string, signal: AbortSignal, call: (c: Client) => Promise<T>): Promise<T> =>
      withHubSpot(conf, what, signal, call);

    const readProps = async (
      type: RecordType,
      id: string,
      keys: string[],
      signal: AbortSignal,
    ): Promise<Props> => {
      const record = await hs(`read ${type} ${id}`, signal, (c) => basicApiOf(c, type).getById(id, keys));
      return Object.fromEntries(keys.map((k) => [k, valueOf(record.properties, k)]));
    };

    const writeProps = (type: RecordType, id: string, props: Props, signal: AbortSignal) =>
      hs(`update ${type} ${id}`, signal, (c) =>
        basicApiOf(c, type).update(id, {
          properties: Object.fromEntries(Object.entries(props).map(([k, v]) => [k, asHubSpot(v)])),
        }),
      );

    const owner = async (id: string | null, signal: AbortSignal) => {
      if (id === null) return null;
      try {
        const o = await hs(`read owner ${id}`, signal, (c) =>
          c.crm.owners.ownersApi.getById(Number(id), 'id'),
        );
        return {
          id: o.id,
          email: o.email ?? null,
          firstName: o.firstName ?? null,
          lastName: o.lastName ?? null,
        };
      } catch (e) {
        // An owner who left (deactivated) is not found: the record keeps the id.
        if (isNotFound(e)) return null;
        throw e;
      }
    };

    const findCompany: ConnectorSource = {
      id: 'find_company',
      description: 'The company with this domain, with its owner (null when there is none)',
      params: z.object({ domain: z.string().min(1).max(253) }),
      trust: 'trusted',
      fetch: async ({ domain }: { domain: string }, { signal }) => {
        const found = await hs('search companies', signal, (c) =>
          c.crm.companies.searchApi.doSearch({
            filterGroups: [{ filters: [{ propertyName: 'domain', operator: 'EQ' as never, value: domain }] }],
            properties: ['name', 'domain', OWNER],
            limit: 1,
          }),
        );
        const company = found.results[0];
        if (!company) return null;
        const ownerIdValue = valueOf(company.properties, OWNER);
        const foundOwner = await owner(ownerIdValue, signal);
        // The owner as a Baton user (people[].email in baton.yaml), so a rule can route to them.
        const email = (foundOwner as { email?: unknown } | null)?.email;
        const user = typeof email === 'string' ? connector.people.personByEmail?.(email)?.id : undefined;
        return {
          id: company.id,
          name: valueOf(company.properties, 'name'),
          domain: valueOf(company.properties, 'domain'),
          ownerId: ownerIdValue,
          owner: foundOwner,
          ...(user ? { user } : {}),
        };
      },
    };

    const findContact: ConnectorSource = {
      id: 'find_contact',
      description: 'The contact with this email (null when there is none)',
      params: z.object({ email: z.email() }),
      trust: 'trusted',
      // Names and company are typed in by the contact (forms, replies): outside text.
      untrustedFields: ['firstName', 'lastName', 'company'],
      fetch: async ({ email }: { email: string }, { signal }) => {
        const found = await hs('search contacts', signal, (c) =>
          c.crm.contacts.searchApi.doSearch({
            filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ' as never, value: email }] }],
            properties: ['email', 'firstname', 'lastname', OWNER, 'company'],
            limit: 1,
          }),
        );
        const contact = found.results[0];
        if (!contact) return null;
        const p = contact.properties;
        return {
          id: contact.id,
          email: valueOf(p, 'email'),
          firstName: valueOf(p, 'firstname'),
          lastName: valueOf(p, 'lastname'),
          ownerId: valueOf(p, OWNER),
          company: valueOf(p, 'company'),
        };
      },
    };

    const getDeal: ConnectorSource = {
      id: 'get_deal',
      description: 'A deal by id: name, amount, stage, pipeline, owner (null when not found)',
      params: z.object({ id: objectId }),
      trust: 'trusted',
      fetch: async ({ id }: { id: string }, { signal }) => {
        try {
          const keys = ['dealname', 'amount', 'dealstage', 'pipeline', OWNER];
          const p = await readProps('deal', id, keys, signal);
          return {
            id,
            name: p.dealname ?? null,
            amount: p.amount ?? null,
            stage: p.dealstage ?? null,
            pipeline: p.pipeline ?? null,
            ownerId: p[OWNER] ?? null,
          };
        } catch (e) {
          if (isNotFound(e)) return null;
          throw e;
        }
      },
    };

    type UpdateDeal = { id: string; properties: Record<string, string | number | boolean | null> };
    const updateDeal: ConnectorAction = {
      id: 'update_deal',
      description: 'Sets properties of a deal (undo restores their previous values)',
      params: z.object({
        id: objectId,
        properties: z
          .record(propertyName, propertyValue)
          .refine((p) => Object.keys(p).length > 0, 'at least one property'),
      }),
      risk: 'medium',
      idempotent: true,
      idempotency: 'natural',
      capture: async (p: UpdateDeal, ctx) => ({
        previous: await readProps('deal', p.id, Object.keys(p.properties), ctx.signal),
      }),
      run: async (p: UpdateDeal, ctx) => {
        await writeProps('deal', p.id, p.properties as Props, ctx.signal);
        return { id: p.id, properties: p.properties };
      },
      rollback: async (p: UpdateDeal, _r: unknown, ctx) => {
        const { previous } = captured<{ previous: Props }>(ctx.undo, `deal ${p.id}`);
        await writeProps('deal', p.id, previous, ctx.signal);
        return { id: p.id, restored: previous };
      },
    };

    type SetOwner = { objectType: RecordType; id: string; ownerId: string };
    const setOwner: ConnectorAction = {
      id: 'set_owner',
      description: 'Sets the owner of a company, contact or deal (undo restores the previous owner)',
      params: z.object({ objectType: recordType, id: objectId, ownerId }),
      risk: 'medium',
      idempotent: true,
      idempotency: 'natural',
      capture: async (p: SetOwner, ctx) => ({
        previous: (await readProps(p.objectType, p.id, [OWNER], ctx.signal))[OWNER] ?? null,
      }),
      run: async (p: SetOwner, ctx) => {
        await writeProps(p.objectType, p.id, { [OWNER]: p.ownerId }, ctx.signal);
        return { objectType: p.objectType, id: p.id, ownerId: p.ownerId };
      },
      rollback: async (p: SetOwner, _r: unknown, ctx) => {
        const { previous } = captured<{ previous: string | null }>(ctx.undo, `${p.objectType} ${p.id}`);
        await writeProps(p.objectType, p.id, { [OWNER]: previous }, ctx.signal);
        return { objectType: p.objectType, id: p.id, ownerId: previous };
      },
    };

    /** Creates a task or note once per idempotency key: the marker in its body is searched first. */
    const engagement = (kind: 'tasks' | 'notes') => {
      const bodyProperty = kind === 'tasks' ? 'hs_task_body' : 'hs_note_body';
      const api = (c: Client) => (kind === 'tasks' ? c.crm.objects.tasks : c.crm.objects.notes);
      const find = async (marker: string, signal: AbortSignal) => {
        const found = await hs(`search ${kind}`, signal, (c) =>
          api(c).searchApi.doSearch({
            filterGroups: [
              {
                filters: [{ propertyName: bodyProperty, operator: 'CONTAINS_TOKEN' as never, value: marker }],
              },
            ],
            properties: [bodyProperty],
            limit: 1,
          }),
        );
        return found.results[0]?.id;
      };
      const create = async (
        on: { objectType: RecordType; id: string },
        properties: Record<string, string>,
        key: string,
        signal: AbortSignal,
      ) => {
        const marker = markerOf(key);
        const existing = await find(marker, signal);
        if (existing) return { id: existing, created: false };
        const body = properties[bodyProperty] ?? '';
        const made = await hs(`create ${kind.slice(0, -1)} on ${on.objectType} ${on.id}`, signal, (c) =>
          api(c).basicApi.create({
            properties: { ...properties, [bodyProperty]: `${body}${body ? '\n\n' : ''}[${marker}]` },
            associations: [
              {
                to: { id: on.id },
                types: [
                  {
                    associationCategory: 'HUBSPOT_DEFINED' as never,
                    associationTypeId: ASSOCIATION_TYPES[kind][on.objectType],
                  },
                ],
              },
            ],
          }),
        );
        return { id: made.id, created: true };
      };
      const archive = async (id: string, signal: AbortSignal) => {
        try {
          await hs(`archive ${kind.slice(0, -1)} ${id}`, signal, (c) => api(c).basicApi.archive(id));
        } catch (e) {
          // Already archived (a repeated rollback): nothing left to undo.
          if (!isNotFound(e)) throw e;
        }
        return { archived: id };
      };
      return { create, archive };
    };
    const tasks = engagement('tasks');
    const notes = engagement('notes');

    type CreateTask = {
      objectType: RecordType;
      id: string;
      subject: string;
      body?: string | undefined;
      dueAt?: string | undefined;
      ownerId?: string | undefined;
      priority?: 'LOW' | 'MEDIUM' | 'HIGH' | undefined;
    };
    const createTask: ConnectorAction = {
      id: 'create_task',
      description: 'Creates a task on a company, contact or deal (once per step; undo deletes it)',
      params: z.object({
        objectType: recordType,
        id: objectId,
        subject: z.string().min(1).max(500),
        body: z.string().max(60_000).optional(),
        dueAt: z.iso.datetime({ offset: true }).optional(),
        ownerId: ownerId.optional(),
        priority: z.enum(['LOW', 'MEDIUM', 'HIGH']).optional(),
      }),
      risk: 'low',
      idempotent: true,
      idempotency: 'lookup',
      run: (p: CreateTask, ctx) =>
        tasks.create(
          p,
          {
            hs_task_subject: p.subject,
            hs_task_status: 'NOT_STARTED',
            hs_timestamp: p.dueAt ? new Date(p.dueAt).toISOString() : new Date().toISOString(),
            ...(p.body !== undefined ? { hs_task_body: p.body } : {}),
            ...(p.ownerId ? { [OWNER]: p.ownerId } : {}),
            ...(p.priority ? { hs_task_priority: p.priority } : {}),
          },
          ctx.idempotencyKey,
          ctx.signal,
        ),
      rollback: (_p: CreateTask, r: { id: string }, ctx) => tasks.archive(r.id, ctx.signal),
    };

    type CreateNote = { objectType: RecordType; id: string; body: string; ownerId?: string | undefined };
    const createNote: ConnectorAction = {
      id: 'create_note',
      description: 'Adds a note to a company, contact or deal (once per step; undo deletes it)',
      params: z.object({
        objectType: recordType,
        id: objectId,
        body: z.string().min(1).max(60_000),
        ownerId: ownerId.optional(),
      }),
      risk: 'low',
      idempotent: true,
      idempotency: 'lookup',
      run: (p: CreateNote, ctx) =>
        notes.create(
          p,
          {
            hs_note_body: p.body,
            hs_timestamp: new Date().toISOString(),
            ...(p.ownerId ? { [OWNER]: p.ownerId } : {}),
          },
          ctx.idempotencyKey,
          ctx.signal,
        ),
      rollback: (_p: CreateNote, r: { id: string }, ctx) => notes.archive(r.id, ctx.signal),
    };

    return {
      actions: [updateDeal, setOwner, createTask, createNote],
      sources: [findCompany, findContact, getDeal, dealsWithoutOwner(hs)],
      check: async (signal) => {
        const page = await hs('list owners', signal, (c) =>
          c.crm.owners.ownersApi.getPage(undefined, undefined, 1),
        );
        const first = page.results[0];
        return first
          ? `authenticated: the owners API answered (first owner ${first.email ?? first.id})`
          : 'authenticated: the owners API answered (no owners yet)';
      },
    };
  },
});
