// How work arrives at a flow (SPEC §2 `trigger:`). `webhook` and `manual` take the input as it is
// (POST /v1/flows/{flow}/handoffs, baton send); every other trigger turns what arrived (a mail, a
// Slack event, a schedule's slot or row, a vendor's webhook body) into the input through `map:`,
// one CEL expression per input field, checked against the input schema when the flow loads.
//
// What each trigger's map can read (all maps, CEL `dyn`):
//   email      mail      {messageId, inReplyTo, references, from: {address, name}, to, cc, replyTo:
//                        [{address, name}], subject, text, html, date, headers, attachments:
//                        [{filename, contentType, size, ref}]}; recipient (the address or mailbox
//                        it came through)
//   slack      slack     {kind: message | reaction | shortcut, channel, user, person, text, ts,
//                        threadTs, reaction, permalink}; event (Slack's event or shortcut as sent)
//   schedule   slot      {at (ISO time of the slot), cron, timezone}; row (one row of the query)
//   webhooks   body      the vendor's JSON (one event of a batch); headers (lower-case names)
import { z } from 'zod';

const cel = z.string().min(1).describe('A CEL expression');
const name = z.string().regex(/^[a-z][a-z0-9_-]*$/, 'a connector name like zendesk or support-desk');

export const triggerMapSchema = z
  .record(z.string().min(1), cel)
  .describe('Input field → CEL expression over what arrived (see the trigger for its variables)');

/** Sizes like 25MB, 512KB or a number of bytes. */
export const byteSize = z
  .union([z.int().positive(), z.string().regex(/^\d+(\.\d+)?\s*(B|KB|MB|GB)$/i, 'a size like 512KB or 25MB')])
  .transform((v) => (typeof v === 'number' ? v : parseBytes(v)));

export function parseBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)$/i.exec(text.trim());
  if (!m) return Number.NaN;
  const unit = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[m[2]!.toUpperCase() as 'B'];
  return Math.round(Number(m[1]) * unit);
}

export const emailTriggerSchema = z
  .strictObject({
    to: z
      .array(z.string().min(3))
      .min(1)
      .optional()
      .describe('The SMTP listener takes mail for these recipients only (addresses, or @domain)'),
    imap: name.optional().describe('A mailbox of `intake.imap` in baton.yaml to poll'),
    map: triggerMapSchema.describe('Input field → CEL over `mail` and `recipient`'),
    replies: z
      .enum(['comment', 'new'])
      .default('comment')
      .describe(
        "A reply to a handoff's mail (In-Reply-To/References) comments on it (default) or starts a new one",
      ),
    attachments: z
      .strictObject({
        maxBytes: byteSize
          .default(10 * 1024 * 1024)
          .describe('Per attachment; larger ones are left out and named'),
        maxCount: z.int().min(0).default(20),
      })
      .default({ maxBytes: 10 * 1024 * 1024, maxCount: 20 }),
  })
  .refine((e) => e.to !== undefined || e.imap !== undefined, {
    message: 'say where mail comes from: `to: [address]` (the SMTP listener) or `imap: MAILBOX`',
  });

export const slackTriggerSchema = z.strictObject({
  channels: z.array(z.string().regex(/^[CGD][A-Z0-9]{2,}$/, 'a Slack channel id like C0123ABCD')).min(1),
  on: z
    .array(z.enum(['message', 'reaction', 'shortcut']))
    .min(1)
    .default(['message'])
    .describe(
      'message: a new message in the channel; reaction: an emoji on one; shortcut: a message shortcut',
    ),
  reaction: z.string().min(1).optional().describe('Only this emoji (name without colons) starts a handoff'),
  shortcut: z.string().min(1).optional().describe("The message shortcut's callback id"),
  map: triggerMapSchema.describe('Input field → CEL over `slack` and `event`'),
});

export const scheduleQuerySchema = z.strictObject({
  use: z.string().min(1).describe('A context source (CONNECTOR.source) whose answer holds the rows'),
  with: z.record(z.string(), z.unknown()).default({}).describe('Its parameters (may read `slot`)'),
  rows: cel
    .optional()
    .describe(
      'CEL over `result`: the list of rows (default: result itself, or result.rows / items / results)',
    ),
  key: cel.describe(
    "CEL over `row`: the row's id; one handoff per key, so a row seen again is the same handoff",
  ),
});

export const scheduleTriggerSchema = z.strictObject({
  cron: z.string().min(1).describe('Five fields (minute hour day month weekday) or six with seconds first'),
  timezone: z.string().min(1).default('UTC').describe('An IANA time zone, e.g. Europe/Paris'),
  missed: z
    .enum(['last', 'all', 'skip'])
    .default('last')
    .describe('Slots missed while no worker ran: fire the last one (default), every one, or none'),
  query: scheduleQuerySchema.optional().describe('A lookup run at each slot: one handoff per row'),
  map: triggerMapSchema
    .optional()
    .describe('Input field → CEL over `slot` and `row` (default: the row, or {})'),
});

export const vendorHookSchema = z.strictObject({
  events: z.array(z.string().min(1)).min(1).optional().describe("Only these of the vendor's event types"),
  map: triggerMapSchema
    .optional()
    .describe('Input field → CEL over `body` and `headers` (default: the body is the input)'),
});

export const triggerSchema = z
  .strictObject({
    webhook: z.strictObject({}).optional().describe('POST /v1/flows/{flow}/handoffs: the body is the input'),
    manual: z.strictObject({}).optional().describe('A person hands the work over (baton send)'),
    email: emailTriggerSchema.optional(),
    slack: slackTriggerSchema.optional(),
    schedule: scheduleTriggerSchema.optional(),
    webhooks: z
      .record(name, vendorHookSchema)
      .optional()
      .describe("A connector's own webhooks at POST /v1/intake/{connector}/{flow}, its signature checked"),
  })
  .default({ webhook: {} });

export type TriggerDef = z.infer<typeof triggerSchema>;
export type EmailTrigger = z.infer<typeof emailTriggerSchema>;
export type SlackTrigger = z.infer<typeof slackTriggerSchema>;
export type ScheduleTrigger = z.infer<typeof scheduleTriggerSchema>;
export type VendorHook = z.infer<typeof vendorHookSchema>;

/** The triggers that run a map: what a dead-letter entry and the metrics name. */
export type MappedTrigger = 'email' | 'slack' | 'schedule' | `webhooks.${string}`;
