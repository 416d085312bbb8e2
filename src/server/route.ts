// A route is declared once, as data: method, path, access, zod schemas and a handler. The server
// registers it, validates with its schemas, and the OpenAPI document is generated from it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { BatonApi } from '../service/api.ts';
import type { Access, Caller } from './auth.ts';
import { validationError } from './errors.ts';

export interface HeaderDoc {
  description: string;
  required?: boolean;
}

export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
  /** Default application/json. */
  contentType?: string;
  /** Headers of the success answer (`Location`), by name. */
  headers?: Record<string, HeaderDoc>;
}

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  caller: Caller;
  baton: BatonApi;
  req: FastifyRequest;
  reply: FastifyReply;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteDef<P, Q, B> {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Fastify form: `/v1/handoffs/:id`. */
  url: string;
  access: Access;
  /**
   * `checked`: the handler limits what a token scoped to flows or teams sees (server/reach.ts).
   * Left out: scoped tokens are refused (403), so nothing leaks through a forgotten check.
   */
  scoped?: 'checked';
  tag: string;
  summary: string;
  description?: string;
  params?: P;
  query?: Q;
  body?: B;
  /** Validate the body in the handler instead (intake: the flow's own input schema does it). */
  bodyCheckedByHandler?: boolean;
  /** Success status (default 200). */
  status?: number;
  response: ResponseDoc;
  /** Error statuses this route may answer with, beyond 401/403/422 (for the document). */
  errors?: number[];
  handler: (ctx: RouteContext<Out<P>, Out<Q>, Out<B>>) => Promise<unknown>;
}

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  access: Access;
  scoped?: 'checked';
  tag: string;
  summary: string;
  description?: string;
  params?: z.ZodType;
  /** Always set: a route that declares none refuses every query parameter. */
  query: z.ZodType;
  body?: z.ZodType;
  status: number;
  response: ResponseDoc;
  errors: number[];
  /** Validates and runs; resolves to what to send, or to the reply when the handler sent it. */
  run(baton: BatonApi, req: FastifyRequest, reply: FastifyReply, caller: Caller): Promise<unknown>;
}

/** Routes without query parameters refuse any, as routes with them refuse unknown ones. */
const NO_QUERY = z.strictObject({});

function check(schema: z.ZodType, data: unknown, root: 'body' | 'query' | 'params'): unknown {
  const r = schema.safeParse(data);
  if (!r.success) throw validationError(r.error.issues, data, root);
  return r.data;
}

export function defineRoute<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(def: RouteDef<P, Q, B>): Route {
  const { params, body } = def;
  const query: z.ZodType = def.query ?? NO_QUERY;
  return {
    method: def.method,
    url: def.url,
    access: def.access,
    ...(def.scoped ? { scoped: def.scoped } : {}),
    tag: def.tag,
    summary: def.summary,
    ...(def.description ? { description: def.description } : {}),
    ...(params ? { params } : {}),
    query,
    ...(body ? { body } : {}),
    status: def.status ?? 200,
    response: def.response,
    errors: def.errors ?? [],
    async run(baton, req, reply, caller) {
      const ctx = {
        params: params ? check(params, req.params, 'params') : undefined,
        query: check(query, req.query ?? {}, 'query'),
        body:
          body && !def.bodyCheckedByHandler
            ? check(body, req.body === undefined ? {} : req.body, 'body')
            : req.body,
        caller,
        baton,
        req,
        reply,
      } as RouteContext<Out<P>, Out<Q>, Out<B>>;
      return def.handler(ctx);
    },
  };
}
