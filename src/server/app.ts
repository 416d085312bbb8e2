// The HTTP API (SPEC §5) on fastify. `buildServer` returns an instance that is not listening
// (tests use `inject` or `listen`; see listen.ts). Request logging is off: intake is a hot path.
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { BatonError } from '../core/errors.ts';
import type { BatonApi } from '../service/api.ts';
import { authorize, type AnonymousRight, type Caller } from './auth.ts';
import { registerBodyParser } from './body.ts';
import { answerClientError } from './client-error.ts';
import { refuseScoped } from './reach.ts';
import { errorBody, logInternal, mapError, sendError } from './errors.ts';
import { buildOpenApi } from './openapi.ts';
import type { UseSchema } from '../actions/schemas.ts';
import type { Route } from './route.ts';
import { StreamHub } from './stream.ts';
import { timeoutOptions, type Timeouts } from './timeouts.ts';
import { approvalRoutes } from './routes/approvals.ts';
import { auditRoutes } from './routes/audit.ts';
import { commandRoutes } from './routes/commands.ts';
import { docsRoutes } from './routes/docs.ts';
import { flowRoutes } from './routes/flows.ts';
import { flowEditorRoutes } from './routes/flow-editor.ts';
import { intakeRoutes } from './routes/intake.ts';
import { connectorRoutes } from './routes/connectors.ts';
import { intakeAttachmentRoutes } from './routes/intake-attachments.ts';
import { handoffRoutes } from './routes/handoffs.ts';
import { boardRoutes } from './routes/board.ts';
import { opsRoutes } from './routes/ops.ts';
import { streamRoutes } from './routes/stream.ts';
import { taskRoutes } from './routes/tasks.ts';
import { emailLinkRoutes } from './routes/email-links.ts';
import { slackRoutes } from './routes/slack.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { channelPaths } from './routes/channel-docs.ts';
import { sessionRoutes } from './routes/session.ts';
import { registerConsole } from './console/static-files.ts';

export interface ServerOptions {
  /** Largest accepted body in bytes. Default: the project's server.bodyLimit (1 MiB). */
  bodyLimit?: number;
  /** What callers without a token may do, from loopback only. Default: server.auth.anonymous. */
  anonymous?: AnonymousRight[];
  /** A fastify logger setting; default off. Requests are never logged, only unexpected errors. */
  logger?: FastifyServerOptions['logger'];
  /** Bounds on slow clients (408). Default: server.headersTimeoutMs, requestTimeoutMs, idleTimeoutMs. */
  timeouts?: Partial<Timeouts>;
  /** Heartbeat interval of /v1/stream. Default 15 s. */
  heartbeatMs?: number;
  /** The parameters of every action and context source (components of the OpenAPI document). */
  uses?: readonly UseSchema[];
  /** More routes (declared with defineRoute): same auth, validation, errors and OpenAPI entry. */
  routes?: Route[];
  /** Registers anything else (signed webhooks with their own parsers). */
  extend?: (app: FastifyInstance) => void;
  /** The console's build directory; false serves no console. Default: console/dist. */
  console?: string | false;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
}

export function buildServer(baton: BatonApi, options: ServerOptions = {}): FastifyInstance {
  const server = baton.project.def.server;
  const bodyLimit = options.bodyLimit ?? server.bodyLimit ?? 1024 * 1024;
  const anonymous = new Set<AnonymousRight>(options.anonymous ?? server.auth.anonymous);
  const useLogger = !!options.logger;
  const prom = { text: () => baton.metricsText(), contentType: baton.metricsContentType };
  const hub = new StreamHub(baton.engine, options.heartbeatMs ?? 15_000);

  const timeouts: Timeouts = {
    headersMs: server.headersTimeoutMs,
    requestMs: server.requestTimeoutMs,
    idleMs: server.idleTimeoutMs,
    ...options.timeouts,
  };

  const app = Fastify({
    ...timeoutOptions(timeouts),
    logger: options.logger ?? false,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    clientErrorHandler: answerClientError,
    frameworkErrors: (err, _req, reply) => {
      sendError(reply, mapError(err, bodyLimit));
    },
  });
  registerBodyParser(app);
  app.decorateRequest('caller', null);

  const routes: Route[] = [];
  let document: Record<string, unknown> | undefined;
  routes.push(
    ...handoffRoutes(),
    ...boardRoutes(),
    ...commandRoutes(),
    ...approvalRoutes(),
    ...flowRoutes(),
    ...flowEditorRoutes(),
    ...connectorRoutes(),
    ...intakeRoutes(),
    ...intakeAttachmentRoutes(),
    ...taskRoutes(),
    ...auditRoutes(bodyLimit, useLogger),
    ...opsRoutes(prom),
    ...streamRoutes(hub),
    ...sessionRoutes(),
    ...docsRoutes(() => (document ??= withChannels(buildOpenApi(routes, anonymous, options.uses)))),
    ...(options.routes ?? []),
  );

  for (const r of routes) {
    const streams = r.response.contentType !== undefined && r.response.contentType !== 'text/plain';
    app.route({
      method: r.method,
      url: r.url,
      exposeHeadRoute: !streams,
      onRequest: async (req) => {
        req.caller = await authorize(baton, req, r.access, anonymous);
        if (r.scoped !== 'checked') refuseScoped(req.caller, `${r.method} ${r.url}`);
      },
      handler: async (req, reply) => {
        // The onRequest hook always sets the caller; fail closed if it somehow did not.
        if (!req.caller) throw new BatonError('unauthorized', 'The caller is unknown');
        const out = await r.run(baton, req, reply, req.caller);
        if (out === reply || reply.sent) return reply;
        return reply.code(r.status).send(out);
      },
    });
  }

  // Channels and vendors' webhooks: their own body parsers (raw bytes for signatures, forms for
  // email pages).
  void app.register(emailLinkRoutes(baton));
  void app.register(slackRoutes(baton));
  void app.register(webhookRoutes(baton));

  app.setErrorHandler((err, req, reply) => {
    const m = mapError(err, bodyLimit);
    if (m.internal) logInternal(req, err, useLogger);
    return sendError(reply, m);
  });
  const consoleFiles = options.console === false ? undefined : registerConsole(app, options.console);
  app.setNotFoundHandler((req, reply) => {
    if (consoleFiles?.fallback(req, reply)) return;
    const path = req.url.split('?', 1)[0];
    sendError(reply, { status: 404, body: errorBody('not_found', `No route ${req.method} ${path}`) });
  });
  app.addHook('preClose', (done) => {
    hub.closeAll();
    done();
  });
  options.extend?.(app);
  return app;
}

/** The channel routes in the document beside the declared ones. */
function withChannels(doc: Record<string, unknown>): Record<string, unknown> {
  const paths = { ...(doc.paths as Record<string, unknown>), ...channelPaths() };
  const tags = [...(doc.tags as Array<{ name: string }>), { name: 'channels' }];
  return { ...doc, paths, tags };
}
