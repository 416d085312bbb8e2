// Salesforce: accounts, contacts and opportunities to read; opportunity fields, owners and tasks
// to write. Every write reads first what undoing it needs (the previous values of exactly the
// fields it sets); a task carries Baton's idempotency key in a custom text field of Task
// (`taskKeyField`), which a retried create queries first, so it finds the one it made.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { BatonError } from '../../core/errors.ts';
import type { Connection } from 'jsforce';
import { defineConnector, type ConnectorAction, type ConnectorSource } from '../define.ts';
import { statusOf, withSalesforce, type SalesforceSettings } from './client.ts';
import { containing, quote, select } from './soql.ts';

const settings = z.strictObject({
  /** The org's My Domain URL (https://acme.my.salesforce.com). */
  instanceUrl: z.url({ protocol: /^https?$/ }),
  /** An OAuth access token (a connected app's client credentials flow, or `sf org display`). */
  accessToken: z.string().min(1),
  apiVersion: z
    .string()
    .regex(/^\d{2,3}\.0$/, 'an API version such as 62.0')
    .default('62.0'),
  /** A custom Text field on Task (Activity) that holds Baton's key: create it once in Setup. */
  taskKeyField: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]*__c$/, 'a custom field API name (ends in __c)')
    .default('Baton_Key__c'),
});

/** A record id: 15 or 18 characters. Checked, since jsforce puts it in the URL path as is. */
const recordId = z.string().regex(/^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/, 'a Salesforce record id');
const ownerType = z.enum(['Account', 'Contact', 'Opportunity']);
/** Field API names (standard or custom); Id and system fields are not set this way. */
const fieldName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,79}$/, 'a field API name')
  .refine((f) => !['Id', 'OwnerId', 'IsDeleted', 'CreatedDate', 'SystemModstamp'].includes(f), {
    message: 'Id, OwnerId and system fields are not set this way (OwnerId: set_owner)',
  });
const fieldValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
type Value = z.infer<typeof fieldValue>;
type SObject = Record<string, unknown> & { Id: string };

/** The key as Baton stores it on a task: fixed length, whatever the key's length. */
export const keyOf = (idempotencyKey: string): string =>
  `baton-${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 40)}`;

const isNotFound = (e: unknown): boolean => statusOf(e) === 404;

/** What capture read, or an error that says it is missing (a step recorded before capture ran). */
function captured<T>(undo: unknown, what: string): T {
  if (!undo || typeof undo !== 'object' || !('previous' in undo))
    throw new BatonError('action_failed', `salesforce: no captured values to restore for ${what}`, {
      fault: 'user',
      retryable: false,
    });
  return undo as T;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The host of a Website value ("https://www.acme.com/", "acme.com"), without www. */
function hostOf(website: string): string | undefined {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(website) ? website : `https://${website}`;
  return URL.parse(text)
    ?.hostname.toLowerCase()
    .replace(/^www\./, '');
}

export const salesforce = defineConnector({
  type: 'salesforce',
  description: 'Salesforce (accounts, contacts, opportunities, owners, tasks)',
  settings,
  secrets: ['accessToken'],
  baseUrls: ['instanceUrl'],
  open(s) {
    const conf: SalesforceSettings = {
      instanceUrl: s.instanceUrl,
      accessToken: s.accessToken,
      apiVersion: s.apiVersion,
    };
    const sf = <T>(what: string, signal: AbortSignal, call: (c: Connection) => Promise<T>): Promise<T> =>
      withSalesforce(conf, what, signal, call);
    const query = (what: string, soql: string, signal: AbortSignal): Promise<SObject[]> =>
      sf(what, signal, async (c) => {
        const { records } = await c.query<SObject>(soql);
        // jsforce hands on an answer it could not parse as it came: not a query result.
        if (!Array.isArray(records))
          throw new Error(`salesforce: ${what} answered something other than records`);
        return records;
      });

    const readFields = async (type: string, id: string, fields: string[], signal: AbortSignal) => {
      const record = await sf(`read ${type} ${id}`, signal, (c) => c.sobject(type).retrieve(id, { fields }));
      const r = record as unknown as Record<string, unknown>;
      return Object.fromEntries(fields.map((f) => [f, (r[f] ?? null) as Value]));
    };
    const writeFields = (type: string, id: string, fields: Record<string, Value>, signal: AbortSignal) =>
      sf(`update ${type} ${id}`, signal, (c) => c.sobject(type).update({ Id: id, ...fields }));

    const owner = (r: SObject) => {
      const o = r.Owner as Record<string, unknown> | null | undefined;
      return r.OwnerId && o ? { id: str(r.OwnerId), name: str(o.Name), email: str(o.Email) } : null;
    };
    const accountView = (r: SObject) => ({
      id: r.Id,
      name: str(r.Name),
      website: str(r.Website),
      ownerId: str(r.OwnerId),
      owner: owner(r),
    });
    const ACCOUNT_FIELDS = ['Id', 'Name', 'Website', 'OwnerId', 'Owner.Name', 'Owner.Email'];

    const findAccount: ConnectorSource = {
      id: 'find_account',
      description: 'The account with this website domain or this name, with its owner (null when none)',
      params: z.union([
        z.strictObject({ domain: z.string().regex(/^[a-z0-9.-]{1,253}$/i, 'a domain such as acme.com') }),
        z.strictObject({ name: z.string().min(1).max(255) }),
      ]),
      trust: 'trusted',
      fetch: async (p: { domain: string } | { name: string }, { signal }) => {
        if ('name' in p) {
          const [hit] = await query(
            'find account by name',
            select(ACCOUNT_FIELDS, 'Account', `Name = ${quote(p.name)}`, 1),
            signal,
          );
          return hit ? accountView(hit) : null;
        }
        // Website is free text ("https://www.acme.com/"): match it loosely, then compare hosts.
        const domain = p.domain.toLowerCase().replace(/^www\./, '');
        const hits = await query(
          'find account by domain',
          select(ACCOUNT_FIELDS, 'Account', `Website LIKE ${containing(domain)}`, 20),
          signal,
        );
        const hit = hits.find((r) => typeof r.Website === 'string' && hostOf(r.Website) === domain);
        return hit ? accountView(hit) : null;
      },
    };

    const findContact: ConnectorSource = {
      id: 'find_contact',
      description: 'The contact with this email (null when none)',
      params: z.object({ email: z.email() }),
      trust: 'trusted',
      // Names are typed in by the contact (web-to-lead, forms): outside text.
      untrustedFields: ['firstName', 'lastName'],
      fetch: async ({ email }: { email: string }, { signal }) => {
        const fields = ['Id', 'Email', 'FirstName', 'LastName', 'OwnerId', 'AccountId', 'Account.Name'];
        const [r] = await query(
          'find contact by email',
          select(fields, 'Contact', `Email = ${quote(email)}`, 1),
          signal,
        );
        if (!r) return null;
        const account = r.Account as Record<string, unknown> | null | undefined;
        return {
          id: r.Id,
          email: str(r.Email),
          firstName: str(r.FirstName),
          lastName: str(r.LastName),
          ownerId: str(r.OwnerId),
          accountId: str(r.AccountId),
          accountName: account ? str(account.Name) : null,
        };
      },
    };

    const getOpportunity: ConnectorSource = {
      id: 'get_opportunity',
      description:
        'An opportunity by id: name, amount, stage, close date, owner, account (null when not found)',
      params: z.object({ id: recordId }),
      trust: 'trusted',
      fetch: async ({ id }: { id: string }, { signal }) => {
        try {
          const f = await readFields(
            'Opportunity',
            id,
            ['Name', 'Amount', 'StageName', 'CloseDate', 'OwnerId', 'AccountId'],
            signal,
          );
          return {
            id,
            name: f.Name,
            amount: f.Amount,
            stage: f.StageName,
            closeDate: f.CloseDate,
            ownerId: f.OwnerId,
            accountId: f.AccountId,
          };
        } catch (e) {
          if (isNotFound(e)) return null;
          throw e;
        }
      },
    };

    type UpdateOpportunity = { id: string; fields: Record<string, Value> };
    const updateOpportunity: ConnectorAction = {
      id: 'update_opportunity',
      description: 'Sets fields of an opportunity (undo restores their previous values)',
      params: z.object({
        id: recordId,
        fields: z
          .record(fieldName, fieldValue)
          .refine((f) => Object.keys(f).length > 0, 'at least one field'),
      }),
      risk: 'medium',
      idempotent: true,
      idempotency: 'natural',
      capture: async (p: UpdateOpportunity, ctx) => ({
        previous: await readFields('Opportunity', p.id, Object.keys(p.fields), ctx.signal),
      }),
      run: async (p: UpdateOpportunity, ctx) => {
        await writeFields('Opportunity', p.id, p.fields, ctx.signal);
        return { id: p.id, fields: p.fields };
      },
      rollback: async (p: UpdateOpportunity, _r: unknown, ctx) => {
        const { previous } = captured<{ previous: Record<string, Value> }>(ctx.undo, `opportunity ${p.id}`);
        await writeFields('Opportunity', p.id, previous, ctx.signal);
        return { id: p.id, restored: previous };
      },
    };

    type SetOwner = { objectType: 'Account' | 'Contact' | 'Opportunity'; id: string; ownerId: string };
    const setOwner: ConnectorAction = {
      id: 'set_owner',
      description: 'Sets the owner of an account, contact or opportunity (undo restores the previous owner)',
      params: z.object({ objectType: ownerType, id: recordId, ownerId: recordId }),
      risk: 'medium',
      idempotent: true,
      idempotency: 'natural',
      capture: async (p: SetOwner, ctx) => ({
        previous: (await readFields(p.objectType, p.id, ['OwnerId'], ctx.signal)).OwnerId,
      }),
      run: async (p: SetOwner, ctx) => {
        await writeFields(p.objectType, p.id, { OwnerId: p.ownerId }, ctx.signal);
        return { objectType: p.objectType, id: p.id, ownerId: p.ownerId };
      },
      rollback: async (p: SetOwner, _r: unknown, ctx) => {
        // A record always has an owner: the captured one is restored.
        const { previous } = captured<{ previous: string }>(ctx.undo, `${p.objectType} ${p.id}`);
        await writeFields(p.objectType, p.id, { OwnerId: previous }, ctx.signal);
        return { objectType: p.objectType, id: p.id, ownerId: previous };
      },
    };

    type CreateTask = {
      relatedTo: { objectType: 'Account' | 'Contact' | 'Opportunity'; id: string };
      subject: string;
      description?: string | undefined;
      dueDate?: string | undefined;
      ownerId?: string | undefined;
      priority?: 'High' | 'Normal' | 'Low' | undefined;
    };
    const createTask: ConnectorAction = {
      id: 'create_task',
      description: 'Creates a task on an account, contact or opportunity (once per step; undo deletes it)',
      params: z.object({
        relatedTo: z.object({ objectType: ownerType, id: recordId }),
        subject: z.string().min(1).max(255),
        description: z.string().max(32_000).optional(),
        dueDate: z.iso.date().optional(),
        ownerId: recordId.optional(),
        priority: z.enum(['High', 'Normal', 'Low']).optional(),
      }),
      risk: 'low',
      idempotent: true,
      idempotency: 'lookup',
      run: async (p: CreateTask, ctx) => {
        const key = keyOf(ctx.idempotencyKey);
        const [existing] = await query(
          'find the task of this step',
          select(['Id'], 'Task', `${s.taskKeyField} = ${quote(key)}`, 1),
          ctx.signal,
        );
        if (existing) return { id: existing.Id, created: false };
        // A contact is the task's "Name" (WhoId); an account or opportunity is "Related To" (WhatId).
        const link =
          p.relatedTo.objectType === 'Contact' ? { WhoId: p.relatedTo.id } : { WhatId: p.relatedTo.id };
        const made = await sf('create Task', ctx.signal, (c) =>
          c.sobject('Task').create({
            Subject: p.subject,
            Status: 'Not Started',
            ...link,
            ...(p.description !== undefined ? { Description: p.description } : {}),
            ...(p.dueDate ? { ActivityDate: p.dueDate } : {}),
            ...(p.ownerId ? { OwnerId: p.ownerId } : {}),
            ...(p.priority ? { Priority: p.priority } : {}),
            [s.taskKeyField]: key,
          }),
        );
        if (!made.success || !made.id) throw new Error('salesforce: create Task did not return an id');
        return { id: made.id, created: true };
      },
      rollback: async (_p: CreateTask, r: { id: string }, ctx) => {
        try {
          await sf(`delete Task ${r.id}`, ctx.signal, (c) => c.sobject('Task').destroy(r.id));
        } catch (e) {
          // Already deleted (a repeated rollback): nothing left to undo.
          if (!isNotFound(e)) throw e;
        }
        return { deleted: r.id };
      },
    };

    return {
      actions: [updateOpportunity, setOwner, createTask],
      sources: [findAccount, findContact, getOpportunity],
      check: async (signal) => {
        const limits = await sf('read limits', signal, (c) => c.limits());
        const daily = limits.DailyApiRequests;
        if (!daily) return 'authenticated: the limits resource answered';
        return `authenticated: ${daily.Remaining} of ${daily.Max} daily API requests left`;
      },
    };
  },
});
