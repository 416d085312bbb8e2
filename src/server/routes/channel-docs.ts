// OpenAPI entries for the channel routes (Slack's requests, email link pages). They are fastify
// plugins with their own body parsers, so they are described here rather than declared with
// defineRoute; `x-baton-access` says what authenticates them.
import { LINK_PATH } from '../../channels/links.ts';
import { SLACK_EVENTS, SLACK_INTERACTIONS } from './slack.ts';

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
const slackResponses: Json = {
  200: { description: 'Verified and handled (a refused click is explained to the person in Slack)' },
  400: { description: 'Verified, but not a payload shaped like Slack’s' },
  401: { description: 'No or a wrong signature, a timestamp more than 300 s away, or a replay' },
  404: { description: 'Slack is not configured' },
};
const token: Json = {
  name: 'token',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^bl_' },
};

export function channelPaths(): Record<string, Record<string, Json>> {
  const slack = (summary: string, contentType: string): Json => ({
    tags: ['channels'],
    summary,
    parameters: slackHeaders,
    requestBody: { required: true, content: { [contentType]: {} } },
    responses: slackResponses,
    security: [],
    'x-baton-access': 'slack-signature',
  });
  const link = `${LINK_PATH}{token}`;
  return {
    [SLACK_INTERACTIONS]: {
      post: {
        operationId: 'postIntakeSlackInteractions',
        ...slack(
          'Slack interactions: button clicks and modal submissions (`payload=` form field)',
          'application/x-www-form-urlencoded',
        ),
      },
    },
    [SLACK_EVENTS]: {
      post: {
        operationId: 'postIntakeSlackEvents',
        ...slack('Slack Events API (answers url_verification)', 'application/json'),
      },
    },
    [link]: {
      get: {
        operationId: 'getEmailLink',
        tags: ['channels'],
        summary: 'The confirm page of an email link: shows, changes nothing (HEAD too)',
        parameters: [token],
        responses: {
          200: html('The confirm page'),
          404: html('No such link'),
          409: html('Already decided'),
          410: html('Used or expired'),
        },
        security: [],
        'x-baton-access': 'link-token',
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
          422: html('No token in the form, or a choice the link cannot make'),
        },
        security: [],
        'x-baton-access': 'link-token',
      },
    },
  };
}
