// The connector types whose webhooks Baton verifies, by type.
import { genericVendor } from './generic.ts';
import { hubspotVendor } from './hubspot.ts';
import { jiraVendor } from './jira.ts';
import type { WebhookVendor } from './vendor.ts';
import { zendeskVendor } from './zendesk.ts';

export const WEBHOOK_VENDORS: ReadonlyMap<string, WebhookVendor> = new Map(
  [hubspotVendor, zendeskVendor, jiraVendor, genericVendor].map((v) => [v.type, v]),
);
