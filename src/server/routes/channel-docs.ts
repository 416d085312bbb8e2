// OpenAPI entries for the channel routes (Slack's requests, email link pages). They are fastify
// plugins with their own body parsers, so they are described here rather than declared with
// defineRoute; `x-baton-access` says what authenticates them.
import { LINK_PATH } from '../../channels/links.ts';
import { SLACK_EVENTS, SLACK_INTERACTIONS } from './slack.ts';
import { webhookPaths } from './webhook-docs.ts';

type Json = Record<string, unknown>;

const html = (description: string): Json => ({ description, content: { 'text/html': {} } });
const slackHeaders: Json[] = [
  {
    name: 'X-Slack-Signature',
    in: 'header',
    required: true,
    schema: { type: 'string', pattern: '^v0=[0-9a-f]{64}$' },
  },
  { name: 'X-Slack-Request-Timestamp', in: 'header', required: true, schema: { type: 'string' } },
];
const error = (description: string): Json => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});
const json = (description: string, schema: Json): Json => ({
  description,
  content: { 'application/json': { schema } },
});
const empty: Json = { type: 'object', additionalProperties: false };
const slackResponses = (ok: Json): Json => ({
  200: ok,
  400: error('Verified, but not JSON or not a payload shaped like Slack’s'),
  401: error('No or a wrong signature, a timestamp more than 300 s away, or a replay'),
  404: error('Slack is not configured'),
  413: error('too_large: the body is over the limit'),
  503: error('store_error: what arrived could not be stored (Retry-After); Slack retries'),
});
/** What became of an event or shortcut that reached intake (src/intake/slack/). */
export const deliveryAnswer: Json = {
  oneOf: [
    {
      type: 'object',
      properties: {
        outcome: { enum: ['created', 'duplicate', 'commented'] },
        handoffId: { type: 'string' },
      },
      required: ['outcome', 'handoffId'],
      additionalProperties: false,
    },
    {
      type: 'object',
      description: 'Kept in the dead-letter list (baton intake failed)',
      properties: {
        outcome: { const: 'failed' },
        failureId: { type: 'string' },
        reason: { type: 'string' },
      },
      required: ['outcome', 'failureId', 'reason'],
      additionalProperties: false,
    },
  ],
};
const delivered: Json = {
  type: 'object',
  properties: { delivery: deliveryAnswer },
  required: ['delivery'],
  additionalProperties: false,
};
const ignoredAnswer: Json = {
  type: 'object',
  description: 'Verified, and not for Baton (another channel, a bot’s post, an edit, another emoji)',
  properties: { ignored: { type: 'string' } },
  required: ['ignored'],
  additionalProperties: false,
};
const interactionAnswer = json('Verified and handled (a refused click is explained to the person in Slack)', {
  oneOf: [
    empty,
    delivered,
    ignoredAnswer,
    {
      type: 'object',
      description: 'A modal field to correct (Slack shows the message under the field)',
      properties: {
        response_action: { const: 'errors' },
        errors: { type: 'object', additionalProperties: { type: 'string' } },
      },
      required: ['response_action', 'errors'],
      additionalProperties: false,
    },
  ],
});
const eventAnswer = json('Verified: the url_verification challenge echoed, an event taken or ignored', {
  oneOf: [
    {
      type: 'object',
      properties: { challenge: { type: 'string' } },
      required: ['challenge'],
      additionalProperties: false,
    },
    delivered,
    ignoredAnswer,
  ],
});
const token: Json = {
  name: 'token',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^bl_' },
};

export function channelPaths(): Record<string, Record<string, Json>> {
  const slack = (summary: string, contentType: string, ok: Json): Json => ({
    tags: ['channels'],
    summary,
    parameters: slackHeaders,
    requestBody: { required: true, content: { [contentType]: {} } },
    responses: slackResponses(ok),
    security: [],
    'x-baton-access': 'slack-signature',
  });
  const link = `${LINK_PATH}{token}`;
  const page = {
    tags: ['channels'],
    parameters: [token],
    responses: {
      200: html('The confirm page'),
      404: html('No such link'),
      409: html('Already decided'),
      410: html('Used or expired'),
    },
    security: [],
    'x-baton-access': 'link-token',
  };
  return {
    [SLACK_INTERACTIONS]: {
      post: {
        operationId: 'postIntakeSlackInteractions',
        ...slack(
          'Slack interactions: button clicks, modal submissions and message shortcuts (`payload=` form field)',
          'application/x-www-form-urlencoded',
          interactionAnswer,
        ),
      },
    },
    [SLACK_EVENTS]: {
      post: {
        operationId: 'postIntakeSlackEvents',
        ...slack(
          'Slack Events API: url_verification; messages, thread replies and reactions in mapped channels',
          'application/json',
          eventAnswer,
        ),
      },
    },
    ...webhookPaths(error, deliveryAnswer),
    [link]: {
      get: {
        operationId: 'getEmailLink',
        summary: 'The confirm page of an email link: shows, changes nothing',
        ...page,
      },
      head: {
        operationId: 'headEmailLink',
        summary: 'The confirm page’s status and headers, without the page',
        ...page,
      },
      post: {
        operationId: 'postEmailLink',
        tags: ['channels'],
        summary:
          'The confirm page’s form: approve, reject or accept, once, as the person the link was sent to',
        parameters: [token],
        requestBody: {
          required: true,
          content: {
            'application/x-www-form-urlencoded': {
              schema: {
                type: 'object',
                required: ['token', 'decision'],
                properties: {
                  token: { type: 'string' },
                  decision: { enum: ['approve', 'reject', 'accept'] },
                  comment: { type: 'string', maxLength: 2000 },
                },
              },
            },
          },
        },
        responses: {
          200: html('Done'),
          403: html('The person may not, or a cross-site POST'),
          404: html('No such link'),
          409: html('Already decided'),
          410: html('Used or expired'),
          413: error('too_large: the form is over the limit'),
          415: error('unsupported_media_type: not a form (application/x-www-form-urlencoded)'),
          422: html('No token in the form, or a choice the link cannot make'),
        },
        security: [],
        'x-baton-access': 'link-token',
      },
    },
  };
}
