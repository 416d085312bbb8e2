// Every connector type Baton ships, by `type` (baton.yaml `connectors.NAME.type`, default NAME).
// `email` and `slack` are also channels (src/channels/): their settings are read there too.
import type { ConnectorDefinition } from './define.ts';
import { email } from './email/connector.ts';
import { freshdesk } from './freshdesk/connector.ts';
import { httpConnector } from './http/connector.ts';
import { hubspot } from './hubspot/connector.ts';
import { jira } from './jira/connector.ts';
import { mcpConnector } from './mcp/connector.ts';
import { notion } from './notion/connector.ts';
import { salesforce } from './salesforce/connector.ts';
import { sheets } from './sheets/connector.ts';
import { slack } from './slack/connector.ts';
import { sql } from './sql/connector.ts';
import { webhookConnector } from './webhook/connector.ts';
import { zendesk } from './zendesk/connector.ts';

export const CONNECTOR_TYPES: ReadonlyMap<string, ConnectorDefinition<never>> = new Map(
  (
    [
      email,
      freshdesk,
      httpConnector,
      hubspot,
      jira,
      mcpConnector,
      notion,
      salesforce,
      sheets,
      slack,
      sql,
      webhookConnector,
      zendesk,
    ] as ConnectorDefinition<never>[]
  ).map((d) => [d.type, d]),
);

/** Types that are channels only: configured under `connectors`, but they add no actions. */
export const CHANNEL_ONLY_TYPES: ReadonlySet<string> = new Set<string>();
