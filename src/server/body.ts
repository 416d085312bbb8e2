// Request bodies are JSON. `curl -d` sends application/x-www-form-urlencoded and some clients
// send text/plain or no type at all: those bodies are read as JSON too; other media types get
// 415. An empty body is "no body" (commands whose fields are all optional accept it).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BatonError } from '../core/errors.ts';
import { badJsonCharacter, byteOffset, firstInvalidUtf8 } from '../core/json-text.ts';

/** Deeper nesting than this is refused: deep structures only exhaust recursion further on. */
export const MAX_DEPTH = 64;

const INTAKE_URL = '/v1/flows/:flow/handoffs';

const JSON_LIKE = /^(application\/(json|[\w.+-]+\+json|x-www-form-urlencoded)|text\/plain)$/;

export class UnsupportedMediaType extends Error {
  readonly code = 'FST_ERR_CTP_INVALID_MEDIA_TYPE';
  readonly statusCode = 415;
}

/** Nesting depth of a JSON text, not counting brackets inside strings. Stops once over `max`. */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

/** Where a number too large for a double (parsed as Infinity) sits, as a path. */
function nonFinitePath(value: unknown, path: string): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path;
  if (value === null || typeof value !== 'object') return undefined;
  const entries = Array.isArray(value) ? value.map((v, i) => [`[${i}]`, v] as const) : Object.entries(value);
  for (const [k, v] of entries) {
    const p = nonFinitePath(v, k.startsWith('[') ? `${path}${k}` : path ? `${path}.${k}` : k);
    if (p !== undefined) return p;
  }
  return undefined;
}

/** Only texts with a long exponent or a very long run of digits can hold such a number. */
const MAYBE_HUGE = /[eE]\+?\d{3}|\d{300}/;

function hasPrototypeKey(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(hasPrototypeKey);
  for (const k of Object.keys(value)) {
    if (k === '__proto__') return true;
    if (hasPrototypeKey((value as Record<string, unknown>)[k])) return true;
  }
  return false;
}

/** Parses a JSON body; `root` prefixes the paths of errors (`input` for intake). */
export function parseJsonBody(text: string, root = ''): unknown {
  if (text.trim() === '') return undefined;
  const bad = badJsonCharacter(text);
  if (bad) throw textError(bad.what, byteOffset(text, bad.index), root);
  if (jsonDepthExceeds(text, MAX_DEPTH)) {
    throw new BatonError('invalid_json', `The body nests deeper than ${MAX_DEPTH} levels`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const why = e instanceof SyntaxError ? `: ${e.message}` : '';
    throw new BatonError('invalid_json', `The body is not valid JSON${why}`);
  }
  // Only scan when the text mentions the key at all (rare), as the JSON parser of fastify does.
  if (text.includes('__proto__') && hasPrototypeKey(value)) {
    throw new BatonError('invalid_json', 'The body may not contain a "__proto__" key');
  }
  if (MAYBE_HUGE.test(text)) {
    const at = nonFinitePath(value, root);
    if (at !== undefined) {
      throw new BatonError('validation_failed', `The number at ${at || 'the top level'} is too large`, {
        details: [{ path: at || 'body', message: 'is too large a number (beyond a double)' }],
      });
    }
  }
  return value;
}

function textError(what: string, byte: number, root: string): BatonError {
  return new BatonError('invalid_json', `The body has ${what} at byte ${byte}`, {
    details: [{ path: root || 'body', message: `has ${what} at byte ${byte}`, byte }],
  });
}

/** Decodes a body that must be UTF-8 (RFC 8259 §8.1), then parses it as JSON. */
export function parseJsonBytes(bytes: Buffer, root = ''): unknown {
  const invalid = firstInvalidUtf8(bytes);
  if (invalid >= 0) {
    throw new BatonError('invalid_json', `The body is not valid UTF-8 at byte ${invalid}`, {
      details: [{ path: root || 'body', message: `is not valid UTF-8 at byte ${invalid}`, byte: invalid }],
    });
  }
  return parseJsonBody(bytes.toString('utf8'), root);
}

function mediaType(req: FastifyRequest): string {
  const ct = req.headers['content-type'];
  return (ct ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

export function registerBodyParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  // Intake bodies are the handoff input: their error paths start with `input`, as the flow's do.
  const parse = (req: FastifyRequest, body: string | Buffer) =>
    parseJsonBytes(
      Buffer.isBuffer(body) ? body : Buffer.from(body),
      req.routeOptions.url === INTAKE_URL ? 'input' : '',
    );
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    try {
      done(null, parse(req, body));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => {
    const type = mediaType(req);
    if (type !== '' && !JSON_LIKE.test(type)) {
      done(new UnsupportedMediaType(`Send the body as application/json, not ${type}`), undefined);
      return;
    }
    try {
      done(null, parse(req, body));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
}
