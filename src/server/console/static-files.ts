// Serves the console's build (console/dist, made by `npm run console:build`, which `npm ci` runs)
// at `/`. Hashed assets are cached for good; index.html never is, so a new build is picked up
// on the next load. Any other GET that asks for HTML and is not an API path gets index.html:
// the console routes in the browser (`/handoffs/H-1` reloaded still opens that handoff).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const CONSOLE_DIST = path.join(import.meta.dirname, '../../../console/dist');

/** Script and styles from this origin only; nothing framed, nothing sent elsewhere. */
export const CONSOLE_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
};

/** Paths the console never answers: the API and the operations endpoints keep their 404s. */
const API_PATH = /^\/(v1|metrics|healthz|readyz)(\/|$)/;

export interface ConsoleFiles {
  /** Answers a browser's GET for a console route with index.html; false when it is not one. */
  fallback(req: FastifyRequest, reply: FastifyReply): boolean;
}

export function registerConsole(app: FastifyInstance, dist = CONSOLE_DIST): ConsoleFiles {
  const indexFile = path.join(dist, 'index.html');
  if (!existsSync(indexFile)) return { fallback: (req, reply) => missingBuild(req, reply) };
  const index = readFileSync(indexFile, 'utf8');
  void app.register(fastifyStatic, {
    root: dist,
    prefix: '/',
    wildcard: false,
    index: false,
    serveDotFiles: false,
    setHeaders(res, file) {
      for (const [k, v] of Object.entries(CONSOLE_HEADERS)) void res.header(k, v);
      const immutable = file.includes(`${path.sep}assets${path.sep}`);
      void res.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const sendIndex = (reply: FastifyReply) =>
    reply
      .code(200)
      .headers({ ...CONSOLE_HEADERS, 'cache-control': 'no-cache' })
      .type('text/html; charset=utf-8')
      .send(index);
  app.get('/', (_req, reply) => sendIndex(reply));
  return {
    fallback(req, reply) {
      if (!wantsPage(req)) return false;
      void sendIndex(reply);
      return true;
    },
  };
}

function wantsPage(req: FastifyRequest): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const p = req.url.split('?', 1)[0]!;
  if (API_PATH.test(p) || path.extname(p) !== '') return false;
  return (req.headers.accept ?? '').includes('text/html');
}

/** Without a build, `/` says how to make one instead of a bare 404. */
function missingBuild(req: FastifyRequest, reply: FastifyReply): boolean {
  if (!wantsPage(req)) return false;
  void reply
    .code(404)
    .type('text/plain; charset=utf-8')
    .send('The console is not built: run `npm run console:build` (npm ci runs it), then reload.\n');
  return true;
}
