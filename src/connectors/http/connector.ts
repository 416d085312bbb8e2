// `type: http`: an internal API under one base URL (billing, an inventory service), with its
// credentials in configured headers. Its actions POST, PUT, PATCH and DELETE a `path` below the
// base URL, its source GETs one. `http.post`/`http.put` (actions.ts) remain the unconfigured
// form that takes any URL.
//
// Undo is declared, not guessed: a generic API's POST may create, charge or send, and only the
// operator knows which call reverses it. `rollback.post: { method: delete, path: /invoices/${result.body.id} }`
// names the compensating call; `body: before` restores what a GET of the path answered before
// the write (a PUT or PATCH of a resource); a text says why there is no undo. A method without
// an entry is irreversible, and says so.
import { z } from 'zod';
import { BatonError } from '../../core/errors.ts';
import { isAllowHost } from '../../core/project-schema.ts';
import type { ActionContext, RollbackContext } from '../../actions/define.ts';
import { defineConnector, type ConnectorAction, type ConnectorSource } from '../define.ts';
import { call, type Endpoint, type HttpAnswer } from './client.ts';

const METHODS = ['post', 'put', 'patch', 'delete'] as const;
type Method = (typeof METHODS)[number];

/** `${params.…}` and `${result.…}` in a rollback path; `${params.path}` is the action's path. */
const REF = /\$\{(params|result)((?:\.[A-Za-z0-9_-]+)+)\}/g;

const rollbackPath = z
  .string()
  .refine(
    (p) => p.startsWith('/') || p.startsWith('${params.path}'),
    'a path below the base URL: /invoices/${result.body.id}, or ${params.path}',
  )
  .refine(
    (p) => !p.replace(REF, '').includes('${'),
    'only ${params.…} (the action’s parameters) and ${result.…} (its answer: status, body) may be used',
  );

const rollbackEntry = z.union([
  z.string().min(1).describe('Why the call cannot be undone'),
  z.strictObject({
    method: z.enum(METHODS).describe('The compensating call'),
    path: rollbackPath.describe('Its path: ${result.body.id} and ${params.…} are filled in, percent-encoded'),
    body: z
      .literal('before')
      .optional()
      .describe('Send what a GET of the path answered before the write (a 404 then means: delete it)'),
  }),
]);
type RollbackEntry = z.infer<typeof rollbackEntry>;

const settings = z.strictObject({
  baseUrl: z
    .url({ protocol: /^https?$/ })
    .refine((u) => {
      // Runs after a failed url() check too: an unparseable URL is left to that message.
      const url = URL.parse(u);
      return !url || (!url.username && !url.password && !url.search && !url.hash);
    }, 'a base URL without a user name, password, query or fragment: send credentials in `headers`')
    .describe('The API root; every path is below it'),
  headers: z
    .record(z.string(), z.string())
    .default({})
    .describe('Sent with every call (credentials: authorization: "Bearer ${TOKEN}")'),
  allowHosts: z
    .array(z.string().refine(isAllowHost, 'a host name, an IP address or a CIDR range'))
    .default([])
    .describe('Hosts this connector may reach although they are not public (on top of outbound.allowHosts)'),
  timeoutMs: z.int().min(100).max(120_000).default(10_000),
  maxBytes: z
    .int()
    .min(1024)
    .max(16 * 1024 * 1024)
    .default(256 * 1024)
    .describe('Longer answers are not kept'),
  idempotencyKeys: z
    .boolean()
    .default(false)
    .describe('The API applies a repeated Idempotency-Key once: POST and PATCH may then be retried'),
  trust: z.enum(['trusted', 'untrusted']).default('trusted').describe('Of what `get` reads'),
  checkPath: z.string().default('/').describe('What `baton connectors check` GETs'),
  rollback: z.partialRecord(z.enum(METHODS), rollbackEntry).default({}),
});
type Settings = z.infer<typeof settings>;

const actionParams = z.strictObject({
  path: z.string().min(1).describe('Below the base URL, e.g. /invoices/${id}; ${…} is percent-encoded'),
  body: z.unknown().optional().describe('Sent as JSON'),
  headers: z.record(z.string(), z.string()).optional(),
});
type ActionParams = z.infer<typeof actionParams>;

const getParams = z.strictObject({
  path: z.string().min(1).describe('Below the base URL'),
  headers: z.record(z.string(), z.string()).optional(),
});

const read = (root: unknown, keys: string[]): unknown => {
  let v = root;
  for (const k of keys) {
    if (!v || typeof v !== 'object') return undefined;
    v = Reflect.get(v, k);
  }
  return v;
};

/** The rollback's path with its references filled in. */
function renderPath(template: string, params: ActionParams, result: HttpAnswer, name: string): string {
  return template.replace(REF, (_whole, root: string, dotted: string) => {
    const keys = dotted.slice(1).split('.');
    if (root === 'params' && keys.length === 1 && keys[0] === 'path') return params.path;
    const v = read(root === 'params' ? params : result, keys);
    if (typeof v !== 'string' && typeof v !== 'number')
      throw new BatonError(
        'action_failed',
        `${name}: the rollback path needs ${root}${dotted}, which the ${root === 'params' ? 'parameters do' : 'answer does'} not have`,
        { fault: 'user', retryable: false, context: { sent: 'no' } },
      );
    return encodeURIComponent(String(v));
  });
}

interface Before {
  status: number;
  body: unknown;
}

function risk(m: Method): 'medium' | 'high' {
  return m === 'delete' ? 'high' : 'medium';
}

function idempotency(m: Method, s: Settings): Pick<ConnectorAction, 'idempotent' | 'idempotency'> {
  if (m === 'put' || m === 'delete') return { idempotent: true, idempotency: 'natural' };
  return s.idempotencyKeys ? { idempotent: true, idempotency: 'native-key' } : { idempotent: false };
}

function methodAction(m: Method, s: Settings, ep: Endpoint): ConnectorAction {
  const entry: RollbackEntry | undefined = s.rollback[m];
  const METHOD = m.toUpperCase();
  const base: ConnectorAction = {
    id: m,
    description: `${METHOD} JSON to a path of ${s.baseUrl}`,
    params: actionParams,
    risk: risk(m),
    ...idempotency(m, s),
    urlParams: ['path'],
    timeoutMs: s.timeoutMs + 1000,
    run: (p: ActionParams, ctx: ActionContext) =>
      call(ep, METHOD, p.path, {
        ...(p.body === undefined ? {} : { body: p.body }),
        ...(p.headers ? { headers: p.headers } : {}),
        idempotencyKey: ctx.idempotencyKey,
        signal: ctx.signal,
      }),
  };
  if (entry === undefined)
    return {
      ...base,
      irreversible: `no rollback is declared for ${ep.name}.${m} (connectors.${ep.name}.rollback.${m} in baton.yaml)`,
    };
  if (typeof entry === 'string') return { ...base, irreversible: entry };
  const undo = entry;
  const back = undo.method.toUpperCase();
  return {
    ...base,
    ...(undo.body === 'before'
      ? {
          // What the resource was before the write; a 404 means the write creates it.
          capture: async (p: ActionParams, ctx: ActionContext): Promise<Before> => {
            try {
              const a = await call(ep, 'GET', p.path, { signal: ctx.signal, strictJson: true });
              return { status: a.status, body: a.body };
            } catch (e) {
              if (e instanceof BatonError && e.context?.status === 404) return { status: 404, body: null };
              throw e;
            }
          },
        }
      : {}),
    rollback: async (p: ActionParams, result: HttpAnswer, ctx: RollbackContext) => {
      const path = renderPath(undo.path, p, result, `${ep.name}.${m}`);
      const before = ctx.undo as Before | undefined;
      const method = undo.body === 'before' && before?.status === 404 ? 'DELETE' : back;
      const body = undo.body === 'before' && method !== 'DELETE' ? before?.body : undefined;
      try {
        return await call(ep, method, path, {
          ...(body === undefined ? {} : { body }),
          idempotencyKey: `${ctx.idempotencyKey}:rollback`,
          signal: ctx.signal,
        });
      } catch (e) {
        // Gone already (a rollback run twice): the undo is done.
        const status = e instanceof BatonError ? e.context?.status : undefined;
        if (method === 'DELETE' && (status === 404 || status === 410)) return { status, body: null };
        throw e;
      }
    },
  };
}

export const httpConnector = defineConnector({
  type: 'http',
  description: 'An internal HTTP API under one base URL',
  settings,
  secrets: ['headers'],
  baseUrls: ['baseUrl'],
  open(s, ctx) {
    if (ctx.name === 'http')
      throw new BatonError(
        'project_invalid',
        'http.post and http.put are the built-in actions for any URL: name this connector after the system it reaches (billing, inventory)',
      );
    const ep: Endpoint = {
      name: ctx.name,
      base: new URL(s.baseUrl),
      headers: s.headers,
      policy: ctx.outbound.withHosts(s.allowHosts),
      timeoutMs: s.timeoutMs,
      maxBytes: s.maxBytes,
    };
    const get: ConnectorSource = {
      id: 'get',
      description: `GET a path of ${s.baseUrl}`,
      params: getParams,
      trust: s.trust,
      timeoutMs: s.timeoutMs + 1000,
      fetch: async (p: z.infer<typeof getParams>, c) =>
        call(ep, 'GET', p.path, {
          ...(p.headers ? { headers: p.headers } : {}),
          signal: c.signal,
          strictJson: true,
        }),
    };
    return {
      actions: METHODS.map((m) => methodAction(m, s, ep)),
      sources: [get],
      async check(signal) {
        const a = await call(ep, 'GET', s.checkPath, { signal });
        return `${ep.base.origin}: GET ${s.checkPath} answered ${a.status}`;
      },
    };
  },
});
