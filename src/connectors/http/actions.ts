// Generic HTTP actions. The idempotency key goes out as the `Idempotency-Key` header, so a
// receiver that honours it (most payment and ticketing APIs do) applies a retried call once.
// Calls go through the outbound guard: the project's policy decides which hosts may be reached,
// on every redirect too, and the flow's headers never follow a redirect to another origin.
import { z } from 'zod';
import { BatonError } from '../../core/errors.ts';
import type { ActionContext, ActionDefinition } from '../../actions/define.ts';
import { outboundRequest } from '../../outbound/request.ts';

const params = z.object({
  url: z.url({ protocol: /^https?$/ }).refine((u) => {
    const url = URL.parse(u);
    return !url?.username && !url?.password;
  }, 'a URL may not carry a user name or password: send credentials in a header'),
  body: z.unknown().optional(),
  headers: z.record(z.string(), z.string()).optional(),
});
type Params = z.infer<typeof params>;
type HttpResult = { status: number; body: unknown; bodyTooLarge?: true };

async function send(method: string, p: Params, ctx: ActionContext): Promise<HttpResult> {
  const answer = await outboundRequest(ctx.outbound, {
    method,
    url: p.url,
    headers: { 'content-type': 'application/json', 'idempotency-key': ctx.idempotencyKey, ...p.headers },
    ...(p.body === undefined ? {} : { body: JSON.stringify(p.body) }),
    signal: ctx.signal,
    maxBytes: MAX_ANSWER_BYTES,
  });
  const { status, text, tooLarge } = answer;
  let body: unknown = text;
  if (tooLarge) body = null;
  else {
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // a non-JSON answer is kept as text
    }
  }
  if (status < 200 || status > 299) {
    const retryable = status === 429 || status >= 500;
    throw new BatonError('action_failed', `${method} ${new URL(answer.url).origin} answered ${status}`, {
      fault: 'provider',
      retryable,
      context: { status },
    });
  }
  // The call is done either way: an answer too large to keep is recorded as such, not stored.
  return tooLarge ? { status, body, bodyTooLarge: true } : { status, body };
}

/** What a receiver's answer may add to the action's stored result. */
const MAX_ANSWER_BYTES = 256 * 1024;

export const httpPost: ActionDefinition<Params, HttpResult> = {
  id: 'http.post',
  description: 'POST JSON to a URL (not idempotent: an unknown outcome waits for a person)',
  params,
  risk: 'medium',
  idempotent: false,
  outbound: true,
  urlParams: ['url'],
  run: (p, ctx) => send('POST', p, ctx),
};

export const httpPut: ActionDefinition<Params, HttpResult> = {
  id: 'http.put',
  description: 'PUT JSON to a URL (idempotent: retried with the same Idempotency-Key after a crash)',
  params,
  risk: 'medium',
  idempotent: true,
  outbound: true,
  urlParams: ['url'],
  run: (p, ctx) => send('PUT', p, ctx),
};
