// Jira Cloud (and Jira Service Management on the same site), through jira.js. The modules that
// use jira.js load when a jira connector opens: its cloud API takes about a second to import,
// which every CLI command that reads the catalog would pay otherwise.
import { z } from 'zod';
import { defineConnector } from '../define.ts';
import { jiraClient } from './client.ts';

const settings = z
  .strictObject({
    host: z.url({ protocol: /^https?$/ }).describe('the site, e.g. https://acme.atlassian.net'),
    email: z.string().min(1).optional().describe('basic auth: the account e-mail (with apiToken)'),
    apiToken: z.string().min(1).optional(),
    token: z.string().min(1).optional().describe('bearer auth: an access token, instead of email + apiToken'),
    timeoutMs: z.int().min(100).max(60_000).default(10_000).describe('one request'),
    webhookSecret: z
      .string()
      .min(1)
      .optional()
      .describe("the webhook's secret: HMAC of the body (X-Hub-Signature) or the JWT's shared secret"),
    webhookAuth: z
      .enum(['hmac', 'jwt'])
      .default('hmac')
      .describe('hmac: a webhook with a secret (X-Hub-Signature); jwt: a Connect app (Authorization: JWT)'),
  })
  .refine((s) => (s.token !== undefined) !== (s.email !== undefined && s.apiToken !== undefined), {
    message: 'give either email and apiToken (basic auth) or token (bearer), not both',
  })
  .refine((s) => s.token === undefined || (s.email === undefined && s.apiToken === undefined), {
    message: 'give either email and apiToken (basic auth) or token (bearer), not both',
  });
export type JiraSettings = z.infer<typeof settings>;

export const jira = defineConnector({
  type: 'jira',
  description: 'Jira Cloud and Jira Service Management (issues, comments, transitions, remote links)',
  settings,
  secrets: ['apiToken', 'token', 'webhookSecret'],
  baseUrls: ['host'],
  async open(s) {
    const [{ getCurrentUser }, { jiraActions }, { getRequestSource, jsmCommentAction }, { getIssueSource }] =
      await Promise.all([
        import('jira.js/cloud'),
        import('./actions.ts'),
        import('./service-desk.ts'),
        import('./sources.ts'),
      ]);
    const client = (signal: AbortSignal) =>
      jiraClient({ host: s.host, auth: s, timeoutMs: s.timeoutMs }, signal);
    return {
      actions: [...jiraActions(client), jsmCommentAction(client)],
      sources: [getIssueSource(client), getRequestSource(client)],
      async check(signal) {
        const me = await getCurrentUser(client(signal));
        return `authenticated as ${me.displayName ?? me.accountId ?? 'an unnamed user'}${me.accountId ? ` (${me.accountId})` : ''}`;
      },
    };
  },
});
