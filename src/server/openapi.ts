// The OpenAPI 3.1 document, generated from the same route declarations and zod schemas the
// server validates with, so the two cannot drift apart.
import { z } from 'zod';
import pkg from '../../package.json' with { type: 'json' };
import type { AnonymousRight } from './auth.ts';
import type { Route } from './route.ts';
import type { UseSchema } from '../actions/schemas.ts';
import {
  approvalSchema,
  decideResponse,
  errorSchema,
  handoffPage,
  handoffSummary,
  handoffView,
} from './schemas.ts';

type Json = Record<string, unknown>;

const NAMED = new Map<z.ZodType, string>([
  [handoffView, 'Handoff'],
  [handoffSummary, 'HandoffSummary'],
  [handoffPage, 'HandoffPage'],
  [approvalSchema, 'Approval'],
  [decideResponse, 'ApprovalDecision'],
  [errorSchema, 'Error'],
]);

const ERROR_TEXT: Record<number, string> = {
  400: 'invalid_json: the body is not JSON or not clean UTF-8; invalid_request: a malformed URL or Content-Length',
  401: 'unauthorized: a token is missing, unknown or revoked',
  403: 'forbidden: the token or the person may not do this',
  404: 'not_found',
  409: 'invalid_transition, already_decided, trigger_not_enabled, idempotency_conflict or conflict',
  413: 'too_large: the body is over the limit',
  415: 'unsupported_media_type: the body is not JSON',
  422: 'validation_failed: details name each field',
  503: 'store_error: the store does not answer',
};

/** Headers that come with an error status, whatever the route. */
const ERROR_HEADERS: Record<number, Json> = {
  401: {
    'WWW-Authenticate': {
      description: 'Always `Bearer`',
      required: true,
      schema: { type: 'string', const: 'Bearer' },
    },
  },
  503: {
    'Retry-After': {
      description: 'Seconds to wait, when the store said how long',
      schema: { type: 'string', pattern: '^[0-9]+$' },
    },
  },
};

export const errorResponse = (status: number): Json => ({
  description: ERROR_TEXT[status] ?? 'error',
  ...(ERROR_HEADERS[status] ? { headers: ERROR_HEADERS[status] } : {}),
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

function toSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  delete out['$schema'];
  return out;
}

function ref(schema: z.ZodType, io: 'input' | 'output', components: Json): Json {
  const name = NAMED.get(schema);
  if (!name) return toSchema(schema, io);
  components[name] ??= toSchema(schema, io);
  return { $ref: `#/components/schemas/${name}` };
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): Json[] {
  if (!schema) return [];
  const s = toSchema(schema, 'input');
  const props = (s['properties'] ?? {}) as Record<string, Json>;
  const required = new Set((s['required'] ?? []) as string[]);
  return Object.entries(props).map(([name, prop]) => {
    const { description, ...rest } = prop;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      schema: rest,
      ...(typeof description === 'string' ? { description } : {}),
    };
  });
}

/** A body is required when it has required fields, or is not an object of optional fields. */
function bodyRequired(schema: z.ZodType): boolean {
  const s = toSchema(schema, 'input');
  const req = s['required'];
  return s['type'] !== 'object' || s['properties'] === undefined || (Array.isArray(req) && req.length > 0);
}

const openApiPath = (url: string): string => url.replace(/:(\w+)/g, '{$1}');

function operationId(r: Route): string {
  const words = openApiPath(r.url)
    .replace(/^\/v1/, '')
    .split(/[/{}.]+/)
    .filter(Boolean);
  return [r.method.toLowerCase(), ...words.map((w) => w[0]!.toUpperCase() + w.slice(1))].join('');
}

export function buildOpenApi(
  routes: readonly Route[],
  anonymous: ReadonlySet<AnonymousRight>,
  uses: readonly UseSchema[] = [],
): Json {
  const components: Json = {};
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    const errors = new Set<number>(r.errors);
    if (r.access !== 'public') {
      errors.add(401);
      errors.add(403);
    }
    // Every route checks its query (unknown parameters are refused).
    errors.add(422);
    if (r.method !== 'GET') [400, 413, 415].forEach((s) => errors.add(s));
    // A path parameter that is not valid percent-encoding is 400 invalid_request.
    if (r.params) errors.add(400);
    const headers = Object.entries(r.response.headers ?? {}).map(([name, h]) => [
      name,
      { description: h.description, required: h.required ?? false, schema: { type: 'string' } },
    ]);
    const responses: Json = {
      [r.status]: {
        description: r.response.description,
        ...(headers.length ? { headers: Object.fromEntries(headers) } : {}),
        ...(r.response.schema || r.response.contentType
          ? {
              content: {
                [r.response.contentType ?? 'application/json']: r.response.schema
                  ? { schema: ref(r.response.schema, 'output', components) }
                  : {},
              },
            }
          : {}),
      },
    };
    ref(errorSchema, 'output', components);
    for (const s of [...errors].sort((a, b) => a - b)) responses[s] = errorResponse(s);
    const anon =
      (r.access === 'intake' && anonymous.has('intake')) || (r.access === 'read' && anonymous.has('read'));
    const op: Json = {
      operationId: operationId(r),
      tags: [r.tag],
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      ...(r.body
        ? {
            requestBody: {
              required: bodyRequired(r.body),
              content: { 'application/json': { schema: ref(r.body, 'input', components) } },
            },
          }
        : {}),
      responses,
      // `{}` marks the call as allowed without a token (from loopback only).
      security: r.access === 'public' ? [] : anon ? [{ bearerAuth: [] }, {}] : [{ bearerAuth: [] }],
      'x-baton-access': r.access,
      // Whether a token scoped to flows or teams may call it (its answers are then limited).
      'x-baton-scoped': r.scoped === 'checked',
    };
    (paths[openApiPath(r.url)] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Baton API',
      version: pkg.version,
      description:
        'Durable AI handoff agents. Errors are `{error: {code, message, details}}`. Access levels: ' +
        'intake (create handoffs), viewer (read; act on owned work; approve where a flow names them), ' +
        'operator (act on any handoff), admin. Calls without a token are accepted only from loopback, ' +
        'and only for the rights in server.auth.anonymous. Any route may also answer, in the same ' +
        'error shape and then closing the connection: 431 too_large (URL and headers over 16 KiB), ' +
        '400 invalid_request (a request that is not valid HTTP, such as `Content-Length: abc`), ' +
        '408 request_timeout (the headers or the body did not arrive within server.headersTimeoutMs or server.requestTimeoutMs).',
    },
    servers: [{ url: '/' }],
    tags: ['handoffs', 'commands', 'approvals', 'flows', 'connectors', 'intake', 'work', 'audit', 'ops'].map(
      (name) => ({ name }),
    ),
    paths,
    components: {
      // Each action's and context source's parameters (a flow's `with:`, an approver's edits).
      schemas: { ...components, ...useComponents(uses) },
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'bt_…',
          description: 'An API token (`baton token create`)',
        },
      },
    },
    security: [{ bearerAuth: [] }],
  };
}

function useComponents(uses: readonly UseSchema[]): Json {
  const out: Json = {};
  for (const u of uses) {
    out[`${u.kind}.${u.id}`] = {
      ...u.params,
      description: `Parameters of the ${u.kind === 'action' ? 'action' : 'context source'} ${u.id}${u.description ? `: ${u.description}` : ''}`,
      ...(u.risk ? { 'x-baton-risk': u.risk } : {}),
      ...(u.trust ? { 'x-baton-trust': u.trust } : {}),
    };
  }
  return out;
}
