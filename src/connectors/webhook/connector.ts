// A generic signed webhook: any system that signs what it sends with a shared secret
// (hex HMAC-SHA256 of `${timestamp}.${body}`). It only receives (POST /v1/intake/NAME/FLOW, see
// src/intake/webhooks/generic.ts), so it declares settings and adds no actions or sources.
import { z } from 'zod';
import { defineConnector } from '../define.ts';

const header = z.string().regex(/^[A-Za-z0-9-]+$/, 'an HTTP header name');

export const webhookSettings = z.strictObject({
  /** The shared secret both sides know. */
  secret: z.string().min(16, 'a secret of at least 16 characters'),
  signatureHeader: header.default('X-Signature').describe('hex HMAC-SHA256, optionally sha256= prefixed'),
  timestampHeader: header.default('X-Timestamp').describe('Unix seconds, signed with the body'),
  idHeader: header
    .default('X-Webhook-Id')
    .describe("the sender's delivery id: a redelivery is the same handoff"),
  toleranceS: z.int().min(1).max(3600).default(300).describe('how far the timestamp may be from now'),
});
export type WebhookSettings = z.infer<typeof webhookSettings>;

export const webhookConnector = defineConnector({
  type: 'webhook',
  description: 'A generic signed webhook (HMAC-SHA256 over timestamp and body); receives only',
  settings: webhookSettings,
  secrets: ['secret'],
  open() {
    return {
      actions: [],
      sources: [],
      check: async () => 'receives signed webhooks; there is nothing to call',
    };
  },
});
