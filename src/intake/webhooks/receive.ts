// A vendor's webhook as intake: POST /v1/intake/{connector}/{flow}. The connector and the flow's
// `trigger.webhooks.<connector>` are looked up, the vendor's signature is verified on the raw
// bytes (a failure is 401 and changes nothing), a request seen before is a replay (401), and
// only then is the body parsed. Each event is its own delivery keyed by the vendor's delivery id,
// so a redelivery (signed anew) is the same handoff. A body that does not parse after a valid
// signature is kept in the dead-letter list (unparseable). A store failure is 503: the vendor
// retries.
import { BatonError, errorText } from '../../core/errors.ts';
import { payloadOf } from '../payload.ts';
import type { BatonApi } from '../../service/api.ts';
import { parseJsonBytes } from '../../server/body.ts';
import { errorBody } from '../../server/errors.ts';
import type { Delivery, DeliveryResult, RawPayload } from '../port.ts';
import { WEBHOOK_VENDORS } from './registry.ts';
import { sha256Hex, type WebhookEvent, type WebhookRequest } from './vendor.ts';

export type WebhookApi = Pick<BatonApi, 'project' | 'deliver' | 'rememberRequest'>;

export type DeliverySummary =
  | { outcome: 'created' | 'duplicate' | 'commented'; handoffId: string }
  | { outcome: 'failed'; failureId: string; reason: string }
  | { outcome: 'ignored'; type: string };

export type WebhookAnswer =
  | { status: 202; body: { deliveries: DeliverySummary[] } }
  | { status: 401 | 404; body: unknown }
  | { status: 503; body: unknown; retryAfterS: number };

/** Headers that authenticate rather than describe: not kept with the payload. */
const UNKEPT = /^(authorization|proxy-authorization|cookie)$|signature/;

function keptHeaders(req: WebhookRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || UNKEPT.test(k)) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

const rawOf = (bytes: Buffer, meta: Record<string, string>): RawPayload =>
  payloadOf(bytes, 'application/json', meta);

const unavailable = (e: unknown): WebhookAnswer => {
  process.emitWarning(`baton: a webhook could not be stored: ${errorText(e)}`);
  return {
    status: 503,
    retryAfterS: 5,
    body: errorBody('store_error', 'The webhook could not be stored; retry'),
  };
};

export async function receiveWebhook(
  api: WebhookApi,
  connector: string,
  flowId: string,
  req: WebhookRequest,
): Promise<WebhookAnswer> {
  const c = api.project.connectors.find((x) => x.name === connector);
  const vendor = c ? WEBHOOK_VENDORS.get(c.type) : undefined;
  if (!c || !vendor)
    return {
      status: 404,
      body: errorBody('not_found', `No connector ${connector} with webhooks in baton.yaml`),
    };
  const hook = api.project.flows.get(flowId)?.def.trigger.webhooks?.[connector];
  if (!hook)
    return {
      status: 404,
      body: errorBody('not_found', `No flow ${flowId} with a webhooks.${connector} trigger`),
    };

  const v = vendor.verify(c.settings, req);
  if (!v.ok) return { status: 401, body: errorBody('unauthorized', `Webhook refused: ${v.reason}`) };
  try {
    const fresh = await api.rememberRequest(
      `webhook:${connector}:${v.seen}`,
      req.nowMs,
      req.nowMs - v.rememberMs,
    );
    if (!fresh)
      return {
        status: 401,
        body: errorBody('unauthorized', 'Webhook refused: it was seen before (a replay)'),
      };
  } catch (e) {
    return unavailable(e);
  }

  const trigger = `webhooks.${connector}` as const;
  const meta = keptHeaders(req);
  const deliver = async (d: Omit<Delivery, 'flow' | 'trigger'>): Promise<DeliveryResult> =>
    api.deliver({ ...d, flow: flowId, trigger, receivedAt: req.nowMs });
  const summary = (r: DeliveryResult): DeliverySummary =>
    r.outcome === 'failed'
      ? { outcome: 'failed', failureId: r.failureId, reason: r.reason }
      : { outcome: r.outcome, handoffId: r.handoffId };

  // Verified: now the body may be read.
  let events: WebhookEvent[];
  let parsed: unknown;
  try {
    parsed = parseJsonBytes(req.body);
    events = vendor.events(parsed, req, c.settings);
  } catch (e) {
    const message = e instanceof BatonError || e instanceof Error ? e.message : String(e);
    try {
      const r = await deliver({
        key: `body:${sha256Hex(req.body).slice(0, 40)}`,
        raw: rawOf(req.body, meta),
        refused: { reason: 'unparseable', message },
      });
      return { status: 202, body: { deliveries: [summary(r)] } };
    } catch (err) {
      return unavailable(err);
    }
  }

  // The body is the one event (not a batch of them): kept as the bytes that arrived.
  const single = events.length === 1 && events[0]!.event === parsed;
  const deliveries: DeliverySummary[] = [];
  try {
    for (const e of events) {
      if (hook.events && !(e.type !== undefined && hook.events.includes(e.type))) {
        deliveries.push({ outcome: 'ignored', type: e.type ?? '' });
        continue;
      }
      // One event of a batch is kept as its own JSON.
      const bytes = single ? req.body : Buffer.from(JSON.stringify(e.event));
      const key = e.key ?? `body:${sha256Hex(bytes).slice(0, 40)}`;
      deliveries.push(
        summary(
          await deliver({ key, raw: rawOf(bytes, { ...meta, ...(e.type ? { event_type: e.type } : {}) }) }),
        ),
      );
    }
  } catch (e) {
    return unavailable(e);
  }
  return { status: 202, body: { deliveries } };
}
