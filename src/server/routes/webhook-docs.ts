// The OpenAPI entry of vendors' webhooks (POST /v1/intake/{connector}/{flow}): a fastify plugin
// with its own raw-body parser, described here; `x-baton-access: vendor-signature` says the
// vendor's signature authenticates it, not a token.
type Json = Record<string, unknown>;

const path = (name: string, description: string): Json => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});

export function webhookPaths(
  error: (d: string) => Json,
  deliveryAnswer: Json,
): Record<string, Record<string, Json>> {
  const each = deliveryAnswer.oneOf as Json[];
  const ignored: Json = {
    type: 'object',
    description: "An event type the trigger's `events:` does not list",
    properties: { outcome: { const: 'ignored' }, type: { type: 'string' } },
    required: ['outcome', 'type'],
    additionalProperties: false,
  };
  return {
    '/v1/intake/{connector}/{flow}': {
      post: {
        operationId: 'postIntakeWebhook',
        tags: ['channels'],
        summary:
          "A vendor's webhook (HubSpot v3, Zendesk, Jira HMAC or JWT, a generic signed webhook) for a flow's webhooks.<connector> trigger",
        parameters: [
          path('connector', 'A connector of baton.yaml whose type has webhooks'),
          path('flow', 'A flow with a `webhooks.<connector>` trigger'),
        ],
        requestBody: { required: true, content: { 'application/json': {} } },
        responses: {
          202: {
            description:
              'Verified: each event a handoff (made or found), a comment, kept in the dead-letter list, or ignored',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { deliveries: { type: 'array', items: { oneOf: [...each, ignored] } } },
                  required: ['deliveries'],
                  additionalProperties: false,
                },
              },
            },
          },
          401: error(
            'The vendor’s signature is missing or wrong, its timestamp too far from now, or a replay',
          ),
          404: error('No such connector with webhooks, or the flow has no webhooks.<connector> trigger'),
          413: error('too_large: the body is over the limit'),
          503: error('store_error: not stored (Retry-After); the vendor retries'),
        },
        security: [],
        'x-baton-access': 'vendor-signature',
      },
    },
  };
}
