// The project file `baton.yaml` (SPEC §2) as zod schemas.
import { z } from 'zod';
import { isOwnerRef } from './owner.ts';
import { isInstant } from './delegation.ts';

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
    })
    .default({
      port: 3000,
      host: '127.0.0.1',
      bodyLimit: 1024 * 1024,
      auth: { anonymous: ['intake', 'read'] },
    }),
  people: z.array(personSchema).default([]),
  teams: z.array(teamSchema).default([]),
  delegations: z.array(delegationSchema).default([]),
  fallbackOwner: z.string().refine(isOwnerRef, 'an owner like team:ops').default('team:ops'),
  flows: z.string().default('flows').describe('Folder of flow files, relative to baton.yaml'),
  tables: z.string().default('tables').describe('Folder of lookup tables (CSV or YAML)'),
  actions: z.string().default('actions').describe('Folder of TypeScript files that define actions'),
  models: z.record(z.string(), z.unknown()).default({}),
  connectors: z.record(z.string(), z.unknown()).default({}),
  guardrails: z.strictObject({ maxActions: z.int().min(0).default(20) }).default({ maxActions: 20 }),
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
