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

async function send(
  method: string,
  p: Params,
  ctx: ActionContext,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(p.url, {
    method,
    headers: { 'content-type': 'application/json', 'idempotency-key': ctx.idempotencyKey, ...p.headers },
    body: p.body === undefined ? null : JSON.stringify(p.body),
    signal: ctx.signal,
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // a non-JSON answer is kept as text
  }
  if (!res.ok) {
    const retryable = res.status === 429 || res.status >= 500;
    throw new BatonError('action_failed', `${method} ${new URL(p.url).origin} answered ${res.status}`, {
      fault: 'provider',
      retryable,
      context: { status: res.status },
    });
  }
  return { status: res.status, body };
}

export const httpPost: ActionDefinition<Params, { status: number; body: unknown }> = {
  id: 'http.post',
  description: 'POST JSON to a URL (not idempotent: an unknown outcome waits for a person)',
  params,
  risk: 'medium',
  idempotent: false,
  outbound: true,
  run: (p, ctx) => send('POST', p, ctx),
};

export const httpPut: ActionDefinition<Params, { status: number; body: unknown }> = {
  id: 'http.put',
  description: 'PUT JSON to a URL (idempotent: retried with the same Idempotency-Key after a crash)',
  params,
  risk: 'medium',
  idempotent: true,
  outbound: true,
  run: (p, ctx) => send('PUT', p, ctx),
};
