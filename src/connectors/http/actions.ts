// Generic HTTP actions. The idempotency key goes out as the `Idempotency-Key` header, so a
// receiver that honours it (most payment and ticketing APIs do) applies a retried call once.
import { z } from 'zod';
import { BatonError } from '../../core/errors.ts';
import type { ActionContext, ActionDefinition } from '../../actions/define.ts';

const params = z.object({
  url: z.url({ protocol: /^https?$/ }),
  body: z.unknown().optional(),
  headers: z.record(z.string(), z.string()).optional(),
});
type Params = z.infer<typeof params>;
type HttpResult = { status: number; body: unknown; bodyTooLarge?: true };

async function send(method: string, p: Params, ctx: ActionContext): Promise<HttpResult> {
  const res = await fetch(p.url, {
    method,
    headers: { 'content-type': 'application/json', 'idempotency-key': ctx.idempotencyKey, ...p.headers },
    body: p.body === undefined ? null : JSON.stringify(p.body),
    signal: ctx.signal,
  });
  const { text, tooLarge } = await readCapped(res, MAX_ANSWER_BYTES);
  let body: unknown = text;
  if (tooLarge) body = null;
  else {
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // a non-JSON answer is kept as text
    }
  }
  if (!res.ok) {
    const retryable = res.status === 429 || res.status >= 500;
    throw new BatonError('action_failed', `${method} ${new URL(p.url).origin} answered ${res.status}`, {
      fault: 'provider',
      retryable,
      context: { status: res.status },
    });
  }
  // The call is done either way: an answer too large to keep is recorded as such, not stored.
  return tooLarge ? { status: res.status, body, bodyTooLarge: true } : { status: res.status, body };
}

/** What a receiver's answer may add to the action's stored result. */
const MAX_ANSWER_BYTES = 256 * 1024;

/** Reads at most `max` bytes of the body; a longer one is cut off (and the connection dropped). */
async function readCapped(res: Response, max: number): Promise<{ text: string; tooLarge: boolean }> {
  if (!res.body) return { text: '', tooLarge: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return { text: '', tooLarge: true };
    }
    chunks.push(value);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), tooLarge: false };
}

export const httpPost: ActionDefinition<Params, HttpResult> = {
  id: 'http.post',
  description: 'POST JSON to a URL (not idempotent: an unknown outcome waits for a person)',
  params,
  risk: 'medium',
  idempotent: false,
  outbound: true,
  run: (p, ctx) => send('POST', p, ctx),
};

export const httpPut: ActionDefinition<Params, HttpResult> = {
  id: 'http.put',
  description: 'PUT JSON to a URL (idempotent: retried with the same Idempotency-Key after a crash)',
  params,
  risk: 'medium',
  idempotent: true,
  outbound: true,
  run: (p, ctx) => send('PUT', p, ctx),
};
