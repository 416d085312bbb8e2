// Vendors' webhooks: POST /v1/intake/{connector}/{flow} (src/intake/webhooks/). No token: the
// vendor's signature over the raw bytes authenticates, so the body is kept as bytes here and
// parsed only once it has been verified. The server's body limit applies (413).
import type { FastifyInstance } from 'fastify';
import type { BatonApi } from '../../service/api.ts';
import { receiveWebhook } from '../../intake/webhooks/receive.ts';

export const WEBHOOK_INTAKE = '/v1/intake/:connector/:flow';

export function webhookRoutes(baton: BatonApi) {
  return async (scope: FastifyInstance): Promise<void> => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scope.post<{ Params: { connector: string; flow: string } }>(WEBHOOK_INTAKE, async (req, reply) => {
      const a = await receiveWebhook(baton, req.params.connector, req.params.flow, {
        method: req.method,
        url: req.url,
        publicUrl: baton.project.def.server.publicUrl,
        headers: req.headers,
        body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
        nowMs: Date.now(),
      });
      if (a.status === 503) void reply.header('retry-after', String(a.retryAfterS));
      return reply.code(a.status).send(a.body);
    });
  };
}
