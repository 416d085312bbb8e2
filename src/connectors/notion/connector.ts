// Notion (API version 2025-09-03, data sources), through @notionhq/client.
import { z } from 'zod';
import { defineConnector } from '../define.ts';
import { notionActions } from './actions.ts';
import { NOTION_VERSION, notionClient } from './client.ts';
import { notionSources } from './sources.ts';

const settings = z.strictObject({
  token: z.string().min(1).describe('an integration token (ntn_… or secret_…)'),
  baseUrl: z
    .url({ protocol: /^https?$/ })
    .default('https://api.notion.com')
    .describe('without /v1'),
  notionVersion: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .default(NOTION_VERSION),
  timeoutMs: z.int().min(100).max(60_000).default(10_000).describe('one request'),
  trust: z
    .enum(['trusted', 'untrusted'])
    .default('untrusted')
    .describe('trusted only if no form, guest or public page lets outsiders write the pages read'),
});

export const notion = defineConnector({
  type: 'notion',
  description: 'Notion pages and databases (data sources)',
  settings,
  secrets: ['token'],
  baseUrls: ['baseUrl'],
  open(s) {
    const client = (signal: AbortSignal) => notionClient(s, signal);
    return {
      actions: notionActions(client),
      sources: notionSources(client, s.trust),
      async check(signal) {
        const me = await client(signal).users.me({});
        return `authenticated as ${me.name ?? 'the integration'} (${me.id})`;
      },
    };
  },
});
