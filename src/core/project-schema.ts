// The project file `baton.yaml` (SPEC §2) as zod schemas.
import { z } from 'zod';
import { isOwnerRef } from './owner.ts';
import { riskApprovalSchema } from './flow-schema.ts';
import { isDuration } from './duration.ts';
import { isInstant } from './delegation.ts';
import { byteSize } from './trigger-schema.ts';

const personId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'letters, digits, ".", "_", "@", "-"');

export const accessLevel = z.enum(['admin', 'operator', 'viewer', 'intake']);
export type AccessLevel = z.infer<typeof accessLevel>;

/** What anonymous loopback callers may do: `intake` (create handoffs) and `read`. */
export const anonymousRight = z.enum(['intake', 'read']);

export const personSchema = z.strictObject({
  id: personId,
  name: z.string().optional(),
  email: z.string().optional(),
  slack: z.string().optional(),
  roles: z.array(z.string()).default([]),
  admin: z
    .boolean()
    .optional()
    .describe('Receives the first-run admin token (default: the first person listed)'),
});
export type Person = z.infer<typeof personSchema>;

export const teamSchema = z.strictObject({
  id: personId,
  name: z.string().optional(),
  members: z.array(personId).default([]),
  manager: personId.optional(),
});
export type Team = z.infer<typeof teamSchema>;

const modelRef = z
  .string()
  .regex(/^[a-z][a-z0-9_-]*:.+$/, 'provider:model, e.g. openai:gpt-4.1-mini')
  .describe('provider:model');

export const providerSchema = z.strictObject({
  type: z.enum(['openai', 'openai-chat', 'anthropic', 'openai-compatible']),
  baseURL: z.string().optional(),
  apiKeyEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .optional()
    .describe('The environment variable that holds the API key (never the key itself)'),
});
export type ProviderDef = z.infer<typeof providerSchema>;

/** USD per million tokens. */
export const priceSchema = z.strictObject({
  input: z.number().min(0),
  output: z.number().min(0),
  cached: z.number().min(0).optional().describe('Cached input tokens (default: the input price)'),
});
export type PriceDef = z.infer<typeof priceSchema>;

export const costCapSchema = z.strictObject({
  perHandoff: z.number().min(0).optional().describe('USD per handoff'),
  perDay: z.number().min(0).optional().describe('USD per flow per UTC day'),
});

export const modelsSchema = z
  .strictObject({
    default: modelRef.optional().describe('The model of flows whose decide.llm names none'),
    fallback: modelRef.optional().describe('Tried when the main model cannot be reached'),
    timeout: z.string().refine(isDuration, 'a duration like 30s or 2m').default('30s'),
    retries: z.int().min(0).max(10).default(2),
    maxOutputTokens: z.int().min(16).max(100_000).default(1024),
    temperature: z.number().min(0).max(2).default(0),
    prices: z.record(z.string(), priceSchema).default({}),
    providers: z
      .record(
        // `action:` marks paid actions' budget reservations: no model may look like one.
        z.string().refine((k) => k !== 'action', '"action" is reserved: choose another provider name'),
        providerSchema,
      )
      .default({}),
  })
  .default({ timeout: '30s', retries: 2, maxOutputTokens: 1024, temperature: 0, prices: {}, providers: {} });
export type ModelsDef = z.infer<typeof modelsSchema>;
const instant = z
  .string()
  .refine(isInstant, 'a date like 2026-12-24 (the whole day, UTC) or an ISO time like 2026-12-24T18:00:00Z');

/** Who stands in for whom while away (see delegation.ts). */
export const delegationSchema = z.strictObject({
  from: personId.describe('The person who is away'),
  to: personId.describe('Who approves and accepts in their place'),
  since: instant.optional().describe('From when (default: now)'),
  until: instant.describe('Until when (a date: through that day, UTC)'),
  flows: z.array(z.string()).min(1).optional().describe('Only for these flows (default: every flow)'),
});
export type Delegation = z.infer<typeof delegationSchema>;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HOST_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;

const isIpv6 = (s: string): boolean => s.includes(':') && URL.canParse(`http://[${s}]/`);

/** An `outbound.allowHosts` entry: a host name (`*.` for its subdomains), an IP address or a CIDR range. */
export function isAllowHost(entry: string): boolean {
  const bare = entry.startsWith('[') && entry.endsWith(']') ? entry.slice(1, -1) : entry;
  const slash = bare.indexOf('/');
  if (slash >= 0) {
    const [net, bits] = [bare.slice(0, slash), bare.slice(slash + 1)];
    if (!/^\d{1,3}$/.test(bits)) return false;
    if (IPV4.test(net)) return Number(bits) <= 32;
    return isIpv6(net) && Number(bits) <= 128;
  }
  return IPV4.test(bare) || isIpv6(bare) || (HOST_NAME.test(bare) && !/^[\d.]+$/.test(bare));
}

/**
 * Where outbound calls (the HTTP actions, and connectors) may go besides the public internet.
 * Loopback, private, link-local, metadata and other non-public addresses are refused unless
 * listed here.
 */
export const outboundSchema = z
  .strictObject({
    allowHosts: z
      .array(
        z
          .string()
          .refine(
            isAllowHost,
            'a host name (billing.internal, *.corp.example), an IP address (10.0.0.5, ::1) or a CIDR range (10.0.0.0/8)',
          ),
      )
      .default([])
      .describe('Hosts, addresses and ranges outbound calls may reach although they are not public'),
  })
  .default({ allowHosts: [] });
export type OutboundDef = z.infer<typeof outboundSchema>;

/** The built-in SMTP listener (`trigger.email.to` of the flows says which recipients it takes). */
export const smtpIntakeSchema = z.strictObject({
  port: z.int().min(0).max(65535).describe('The port it listens on (0 picks a free one)'),
  host: z.string().min(1).default('127.0.0.1'),
  maxBytes: byteSize
    .default(25 * 1024 * 1024)
    .describe('Larger mail is refused (552) and kept in the dead-letter list'),
  tls: z
    .strictObject({
      key: z.string().min(1).describe('A PEM private key (a file path, relative to baton.yaml)'),
      cert: z.string().min(1).describe('The PEM certificate chain (a file path, relative to baton.yaml)'),
    })
    .optional()
    .describe('Offers STARTTLS with this key and certificate (off when absent)'),
});
export type SmtpIntakeDef = z.infer<typeof smtpIntakeSchema>;

/** A mailbox polled over IMAP (`trigger.email.imap: NAME` of a flow). */
export const imapMailboxSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'a name like support or billing-inbox'),
  host: z.string().min(1),
  port: z.int().min(1).max(65535).default(993),
  secure: z.boolean().default(true).describe('TLS from the start (993); false: plain, STARTTLS when offered'),
  user: z.string().min(1),
  password: z.string().min(1).describe('Write it as ${ENV_VAR} (the environment or the secrets file)'),
  mailbox: z.string().min(1).default('INBOX'),
  processed: z
    .union([
      z.strictObject({ move: z.string().min(1).describe('Moved to this folder once delivered') }),
      z.strictObject({ flag: z.string().regex(/^\$?[A-Za-z][A-Za-z0-9_-]*$/, 'a keyword like $Baton') }),
    ])
    .default({ flag: '$Baton' })
    .describe('How a delivered message is marked, so nothing is read twice'),
  pollMs: z.int().min(100).default(60_000).describe('How often to look when the server has no IDLE'),
  idle: z.boolean().default(true).describe('Wait with IDLE where the server supports it'),
  maxBytes: byteSize
    .default(25 * 1024 * 1024)
    .describe('Larger messages are kept in the dead-letter list as too_large (their first 64 KB)'),
});
export type ImapMailboxDef = z.infer<typeof imapMailboxSchema>;

export const intakeSchema = z
  .strictObject({
    smtp: smtpIntakeSchema.optional(),
    imap: z.array(imapMailboxSchema).default([]),
  })
  .default({ imap: [] });
export type IntakeDef = z.infer<typeof intakeSchema>;

export const projectSchema = z.strictObject({
  storage: z.string().default('sqlite:./data/baton.db'),
  server: z
    .strictObject({
      port: z.int().min(0).max(65535).default(3000),
      host: z.string().default('127.0.0.1'),
      publicUrl: z.string().optional(),
      bodyLimit: z
        .int()
        .min(1024)
        .default(1024 * 1024),
      auth: z.strictObject({ anonymous: z.array(anonymousRight).default(['intake', 'read']) }).default({
        anonymous: ['intake', 'read'],
      }),
      headersTimeoutMs: z
        .int()
        .min(100)
        .default(10_000)
        .describe('How long a client may take to send the request line and headers (then 408)'),
      requestTimeoutMs: z
        .int()
        .min(100)
        .default(30_000)
        .describe('How long a client may take to send a whole request, headers and body (then 408)'),
      idleTimeoutMs: z
        .int()
        .min(100)
        .default(65_000)
        .describe('How long a kept-alive connection may sit idle between requests before it is closed'),
    })
    .refine((s) => s.headersTimeoutMs <= s.requestTimeoutMs, {
      path: ['headersTimeoutMs'],
      message: 'must not be longer than server.requestTimeoutMs (the headers are part of the request)',
    })
    .default({
      port: 3000,
      host: '127.0.0.1',
      bodyLimit: 1024 * 1024,
      auth: { anonymous: ['intake', 'read'] },
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      idleTimeoutMs: 65_000,
    }),
  people: z.array(personSchema).default([]),
  teams: z.array(teamSchema).default([]),
  delegations: z.array(delegationSchema).default([]),
  fallbackOwner: z.string().refine(isOwnerRef, 'an owner like team:ops').default('team:ops'),
  flows: z.string().default('flows').describe('Folder of flow files, relative to baton.yaml'),
  tables: z.string().default('tables').describe('Folder of lookup tables (CSV or YAML)'),
  actions: z.string().default('actions').describe('Folder of TypeScript files that define actions'),
  secrets: z
    .string()
    .optional()
    .describe(
      'A file of NAME=value lines (relative to baton.yaml) that ${NAME} references and provider keys read; the environment wins',
    ),
  models: modelsSchema,
  connectors: z.record(z.string(), z.unknown()).default({}),
  outbound: outboundSchema,
  intake: intakeSchema.describe('Triggers that listen or poll: the SMTP listener, IMAP mailboxes'),
  guardrails: z
    .strictObject({
      maxActions: z.int().min(0).default(20),
      maxModelCalls: z.int().min(0).default(3).describe('Model calls per handoff'),
      costCap: costCapSchema.optional(),
      riskApproval: riskApprovalSchema.optional(),
    })
    .default({ maxActions: 20, maxModelCalls: 3 }),
  worker: z
    .strictObject({
      leaseMs: z.int().min(1000).default(30_000),
      batchSize: z.int().min(1).max(5000).default(200),
      pollMs: z.int().min(10).default(1000),
      shutdownGraceMs: z
        .int()
        .min(0)
        .default(10_000)
        .describe('On SIGTERM, how long running steps may finish before their leases are released'),
    })
    .default({ leaseMs: 30_000, batchSize: 200, pollMs: 1000, shutdownGraceMs: 10_000 }),
});
export type ProjectDef = z.infer<typeof projectSchema>;
