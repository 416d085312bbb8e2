// Request and response schemas of the HTTP API. Requests are validated with these (built once,
// at import); the OpenAPI document is generated from the same objects.
import { triggerList } from './intake-schemas.ts';
import { z } from 'zod';
import { ACTION_STATES, HANDOFF_STATES, RETURN_REASONS } from '../core/types.ts';
import { isOwnerRef } from '../core/owner.ts';
import { parseDuration } from '../core/duration.ts';
import { BOARD_QUEUES } from '../store/port.ts';
import { AUDIT_PROBLEM_KINDS } from '../audit/verify.ts';

// ---- shared pieces

const comment = z.string().max(10_000).describe('Free text, kept in the audit log');
const ownerRef = z
  .string()
  .refine(isOwnerRef, 'must be an owner like user:dana, team:sales or role:cfo')
  .describe('user:<id>, team:<id> or role:<id>');
const assignableOwner = ownerRef.refine((o) => !o.startsWith('agent:'), 'must be a person, team or role');

const ISO_START = /^\d{4}-\d{2}-\d{2}/;

/** A time: an ISO date/time, or a duration back from now (`7d`, `36h`, `1h30m`). Epoch ms out. */
const timeParam = () =>
  z.string().transform((text, ctx) => {
    const d = parseDuration(text);
    if (d !== undefined) return Date.now() - d;
    const t = ISO_START.test(text) ? Date.parse(text) : Number.NaN;
    if (Number.isNaN(t)) {
      ctx.addIssue({ code: 'custom', message: 'must be an ISO date/time or a duration like 7d or 12h' });
      return z.NEVER;
    }
    return t;
  });
export const sinceParam = timeParam().describe(
  'An ISO date/time, or a duration back from now such as 7d, 12h or 1h30m',
);
/** `until`: the end of a period (exclusive), in the same forms as `since`. */
export const untilParam = timeParam().describe(
  'The end of the period (exclusive): an ISO date/time, or a duration back from now such as 1d',
);

const bool = z
  .enum(['true', 'false'])
  .transform((v) => v === 'true')
  .describe('true or false');

// ---- requests

export const idParams = z.object({ id: z.string() });
export const flowParams = z.object({ flow: z.string() });
export const actionParams = z.object({ id: z.string(), action: z.string() });
export const keyParams = z.object({
  flow: z.string(),
  key: z
    .string()
    .describe("The flow's idempotency key of the handoff (e.g. the sender's own id), URL-encoded"),
});

/** The intake body is the flow's input: any JSON object, checked against the flow's input schema. */
export const intakeBody = z
  .record(z.string(), z.unknown())
  .describe("The handoff's input; validated against the flow's input schema (GET /v1/flows/{flow})");

export const intakeQuery = z.strictObject({
  trigger: z
    .enum(['webhook', 'manual'])
    .default('webhook')
    .describe(
      'manual: a person hands the work over (baton send does); a flow whose only trigger is manual refuses intake without it (409 trigger_not_enabled)',
    ),
});

/** `from->to`, as flows declare their boundary (`team:support->team:eng-tier2`). */
const boundaryParam = z
  .string()
  .max(500)
  .transform((text, ctx) => {
    const m = /^([^\s>]+)->([^\s]+)$/.exec(text);
    if (!m) {
      ctx.addIssue({ code: 'custom', message: 'must be from->to, like team:support->team:eng-tier2' });
      return z.NEVER;
    }
    return { from: m[1]!, to: m[2]! };
  })
  .describe("A flow boundary as from->to (the flows' `boundary`), e.g. team:support->team:eng-tier2");

/** The filters the board and its lists share (also the console board's URL query). */
const boardFilters = {
  flow: z.string().optional(),
  boundary: boundaryParam.optional(),
  owner: ownerRef.optional(),
  state: z.enum(HANDOFF_STATES).optional(),
};

export const boardQuery = z.strictObject({
  ...boardFilters,
  cards: z.coerce
    .number()
    .int()
    .min(0)
    .max(100)
    .optional()
    .describe(
      'With each column, its first page of this many cards, newest first (0 to 100; default 0: counts only)',
    ),
});

export const listQuery = z.strictObject({
  ...boardFilters,
  open: bool.optional().describe('true: only open handoffs (not completed, rolled back or cancelled)'),
  queue: z
    .enum(BOARD_QUEUES)
    .optional()
    .describe(
      "Only the open handoffs of one of the board's queues: unassigned (held by no person: an agent's, or still being worked on), escalated, failed, outcome_unknown (an action's outcome waits for a person)",
    ),
  breached: bool.optional(),
  since: sinceParam.optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional().describe('Page size, 1 to 1000 (default 100)'),
  cursor: z.string().max(500).optional().describe('nextCursor of the previous page'),
});

export const commentBody = z.strictObject({ comment: comment.optional() });
export const reasonBody = z.strictObject({
  reason: z.enum(RETURN_REASONS).describe('Why the work goes back (rework reason)'),
  comment: comment.optional(),
});
export const reassignBody = z.strictObject({ to: assignableOwner, comment: comment.optional() });
export const amendBody = z.strictObject({
  input: z
    .record(z.string(), z.unknown())
    .describe(
      "A JSON merge patch (RFC 7386) on the handoff's input: fields set replace, null removes; the result is checked against the flow's input schema",
    ),
  comment: comment.optional(),
});
export const resolveBody = z.strictObject({
  outcome: z.enum(['succeeded', 'failed', 'retry']),
  comment: comment.optional(),
});
export const observedBody = z.strictObject({
  owner: ownerRef.describe('Who people actually routed the work to (shadow mode)'),
});

export const approvalsQuery = z.strictObject({
  state: z.enum(['pending', 'approved', 'rejected', 'timed_out', 'voided']).optional(),
  handoff: z.string().optional().describe('Only approvals of this handoff'),
});
export const decideBody = z.strictObject({
  decision: z.enum(['approve', 'reject']),
  comment: comment.optional(),
  edits: z
    .strictObject({
      owner: assignableOwner.optional().describe('Suggest mode: a corrected owner for the decision'),
      params: z
        .record(z.string(), z.unknown())
        .optional()
        .describe(
          'Action approvals: parameters to change (merged over the planned ones, re-validated, re-checked against the policy; recorded as an override)',
        ),
    })
    .optional()
    .describe('Corrections that come with an approval'),
});

export const ownerQuery = z.strictObject({
  owner: z
    .string()
    .optional()
    .describe('A user id (everything the user acts for), or a queue like team:sales; default: the caller'),
});
export const tasksQuery = ownerQuery.extend({ state: z.enum(['open', 'done', 'cancelled']).optional() });

export const summaryQuery = z.strictObject({
  since: sinceParam.optional(),
  until: untilParam.optional(),
  flow: z.string().optional(),
  boundary: z
    .string()
    .regex(/^[^\s>]+->[^\s]+$/, 'must be a boundary like team:marketing->team:sales')
    .optional()
    .describe('Only handoffs across this boundary (from->to)'),
});
export const eventsQuery = z.strictObject({
  handoff: z.string().optional().describe('Only this handoff'),
  actor: z
    .string()
    .min(1)
    .optional()
    .describe('user:dana, engine:lead-to-owner, system:sweep, or a bare id of any kind'),
  type: z.string().min(1).optional().describe('An event type, e.g. escalated or returned'),
  flow: z.string().optional().describe("Only this flow's handoffs"),
  since: sinceParam.optional(),
  until: untilParam.optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional().describe('Page size, 1 to 1000 (default 100)'),
  cursor: z.string().max(500).optional().describe('nextCursor of the previous page'),
});
export const exportQuery = z.strictObject({ handoff: z.string().optional().describe('Only this handoff') });
export const streamQuery = z.strictObject({ flow: z.string().optional().describe('Only this flow') });

// ---- responses (documentation; not checked at run time)

const iso = z.string().describe('ISO 8601 time');
const json = z.record(z.string(), z.unknown());

export const errorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ path: z.string(), message: z.string() }).catchall(z.unknown())),
  }),
});

export const intakeResponse = z.object({
  id: z.string(),
  state: z.enum(HANDOFF_STATES),
  created: z.boolean().describe('false when the idempotency key matched an existing handoff'),
});

export const handoffSummary = z.object({
  id: z.string(),
  flow: z.string(),
  flowVersion: z.string(),
  state: z.enum(HANDOFF_STATES),
  owner: z.string(),
  mode: z.enum(['shadow', 'suggest', 'auto']),
  boundary: z.string().describe('from->to'),
  breached: z.boolean(),
  rework: z.number(),
  createdAt: iso,
  updatedAt: iso,
  handedOffAt: iso.optional(),
  acceptedAt: iso.optional(),
  completedAt: iso.optional(),
});

/** A list's items carry a little more than the summary a handoff's own view starts with. */
const handoffListItem = handoffSummary.extend({
  subject: z.string().optional().describe('One line from the input: its subject, or who and how much'),
  slaDueAt: iso
    .optional()
    .describe(
      "While an owner must accept: when the flow's SLA (acceptWithin) runs out, counted from the hand-off",
    ),
});

export const handoffPage = z.object({ items: z.array(handoffListItem), nextCursor: z.string().nullable() });

const count = z.number().int().min(0);

export const boardResponse = z.object({
  columns: z.array(
    z.object({
      owner: z.string().describe('user:, team:, role: or agent: (Baton itself is working on it)'),
      name: z.string().optional().describe("The person's or team's name from the project file"),
      open: count,
      breached: count.describe('Open handoffs past their SLA'),
      oldestSince: iso
        .nullable()
        .describe('When the longest-waiting one started waiting: handed off, or received when not yet'),
      cards: z
        .array(handoffListItem)
        .optional()
        .describe(
          'With `cards`: the first page of this column, as GET /v1/handoffs?owner=O&open=true lists it',
        ),
      nextCursor: z
        .string()
        .nullable()
        .optional()
        .describe(
          'With `cards`: the cursor of the next page (GET /v1/handoffs with the same filters), or null',
        ),
    }),
  ),
  queues: z.object({
    unassigned: count.describe('Held by no person: an agent owns it, or the engine is still working on it'),
    escalated: count,
    failed: count,
    outcome_unknown: count.describe(
      'With an action whose outcome is unknown, waiting for a person to resolve it',
    ),
  }),
  open: count,
  breached: count,
  at: iso.describe('When the counts were taken'),
});

const actor = z.object({
  kind: z.enum(['user', 'engine', 'system']),
  id: z.string(),
  via: z.string().optional(),
});

const approvalLevel = z.object({
  name: z.string().optional(),
  approvers: z.array(z.string()),
  quorum: z.number(),
  fallback: z
    .boolean()
    .optional()
    .describe(
      "The flow's fallback owner approves here (nobody was named): its decisions are labelled fallback",
    ),
});

export const approvalSchema = z.object({
  id: z.string(),
  handoffId: z.string(),
  flow: z.string(),
  kind: z.enum(['action', 'decision']),
  actionId: z.string().optional(),
  state: z.enum(['pending', 'approved', 'rejected', 'timed_out', 'voided']),
  policyVersion: z.string(),
  levels: z.array(approvalLevel),
  level: z.number(),
  votes: z.array(
    z.object({
      user: z.string(),
      for: z.string().optional().describe('The approver this vote stood in for (a delegation)'),
      decision: z.enum(['approve', 'reject']),
      level: z.number(),
      at: iso,
      comment: z.string().optional(),
      via: z.string().optional(),
    }),
  ),
  requester: z.string().optional(),
  requesters: z
    .array(z.string())
    .optional()
    .describe(
      "Who asked (the flow's requester, the person whose token sent the intake): none of them may vote",
    ),
  timedOutLevels: z
    .array(z.number())
    .optional()
    .describe('Levels (from 0) a timeout decided under onTimeout approve'),
  timeoutMs: z.number().optional(),
  requestedAt: iso,
  timeoutAt: iso.optional(),
  remindAt: z.array(iso).optional().describe('Reminders still to come before the timeout'),
  remindersSent: z.number().optional(),
  onTimeout: z.enum(['escalate', 'approve', 'approve-all', 'reject']),
  onReject: z.enum(['stop', 'skip']),
  decidedAt: iso.optional(),
  decidedBy: z
    .object({
      label: z.enum(['human', 'rule', 'fallback', 'timeout']),
      user: z.string().optional(),
      for: z.string().optional(),
      via: z.string().optional(),
    })
    .optional(),
  comment: z.string().optional(),
  summary: z.string(),
  params: json.optional(),
  binding: z
    .string()
    .optional()
    .describe('sha256 of (handoff, action, parameters): the approval holds for exactly these parameters'),
  overrides: z
    .array(
      z.object({
        by: z.string(),
        for: z.string().optional(),
        at: iso,
        level: z.number(),
        previous: json,
        params: json,
        binding: z.string(),
        addedLevels: z.array(approvalLevel).optional(),
      }),
    )
    .optional()
    .describe("Approvers' edits of the parameters"),
});

export const handoffView = handoffSummary.extend({
  idempotencyKey: z.string(),
  input: json,
  context: json.nullable(),
  decision: json
    .nullable()
    .describe(
      'owner, actions, by (rule | otherwise | llm | human), reads, evidence; for llm: model, confidence, rationale, untrusted',
    ),
  provenance: z
    .array(
      z.object({
        name: z.string(),
        use: z.string(),
        trust: z.enum(['trusted', 'untrusted']),
        at: iso,
        found: z.boolean(),
      }),
    )
    .nullable()
    .describe('Where each context field came from and how far it is trusted'),
  costUsd: z.number().describe('Model and paid API cost of this handoff, USD'),
  requester: z.string().nullable(),
  submittedBy: z
    .string()
    .nullable()
    .describe('The person whose token (or --as) sent the intake: a requester too'),
  observed: z
    .object({ owner: z.string(), agreed: z.boolean(), at: iso, by: z.string().optional() })
    .nullable()
    .describe('Shadow mode: where people routed the work (recorded once) and whether the flow agreed'),
  actions: z.array(
    z.object({
      id: z.string(),
      use: z.string(),
      state: z.enum(ACTION_STATES),
      risk: z.string(),
      idempotencyKey: z.string(),
      params: json,
      result: z.unknown(),
      undo: z
        .unknown()
        .describe(
          'What the action read before its call (the values it overwrote): what `rollback` restores; null when nothing',
        ),
      error: z.string().nullable(),
      calls: z.number(),
      approvalId: z.string().nullable(),
    }),
  ),
  approvals: z.array(approvalSchema),
  ledger: z.array(
    z.object({
      seq: z.number(),
      owner: z.string(),
      from: iso,
      to: iso.nullable(),
      reason: z.string(),
      status: z.enum(['pending', 'accepted', 'declined', 'returned', 'reassigned', 'completed', 'released']),
      by: z.string().optional(),
    }),
  ),
  events: z.array(
    z.object({ seq: z.number(), at: iso, type: z.string(), actor, data: json, hash: z.string() }),
  ),
  notices: z
    .array(
      z.object({
        id: z.string(),
        kind: z.string(),
        owner: z.string(),
        state: z.enum(['pending', 'done', 'failed']),
        attempts: z.number(),
        createdAt: iso,
        error: z.string().optional(),
        deliveries: z.array(
          z.object({
            channel: z.enum(['slack', 'email']),
            recipient: z.string(),
            state: z.enum(['sending', 'sent', 'failed']),
            attempts: z.number(),
            error: z.string().optional(),
          }),
        ),
      }),
    )
    .optional()
    .describe('Slack and email notices of this handoff with their deliveries (when channels are configured)'),
});

export const approvalList = z.object({ items: z.array(approvalSchema) });
export const decideResponse = z.object({
  approval: approvalSchema,
  handoff: z.object({ id: z.string(), state: z.enum(HANDOFF_STATES), owner: z.string() }),
});

export const flowList = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      mode: z.enum(['shadow', 'suggest', 'auto']),
      version: z.string().describe('Content hash of the published flow'),
      boundary: z.string(),
      trigger: z.array(z.string()),
      actions: z.array(z.string()),
    }),
  ),
});
export const flowDetail = z.object({
  id: z.string(),
  version: z
    .string()
    .describe('The live version: the content hash new handoffs pin (a reload of the flow file changes it)'),
  file: z.string(),
  definition: json.describe('The flow definition (see `baton schema flow`)'),
  triggers: triggerList.shape.items.element.shape.triggers.describe(
    'How work arrives: each trigger, whether it is live, where it listens and when it last fired',
  ),
});

export const flowReload = z.object({
  flows: z.array(
    z.object({
      id: z.string(),
      version: z.string().describe('The live version after the reload (removed: the one that was live)'),
      previous: z.string().optional().describe('The version live before, when it changed'),
      file: z.string(),
      change: z
        .enum(['added', 'updated', 'unchanged', 'removed', 'kept'])
        .describe('kept: the file did not load, the version before stays live'),
    }),
  ),
  errors: z
    .array(z.object({ path: z.string(), message: z.string() }).catchall(z.unknown()))
    .describe('Why a file did not load, each with file, line and field'),
});

export const taskList = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      handoffId: z.string(),
      kind: z.enum(['task', 'ticket', 'draft']),
      title: z.string(),
      body: z.string().optional(),
      assignee: z.string(),
      state: z.enum(['open', 'done', 'cancelled']),
      createdAt: iso,
      data: json.optional(),
    }),
  ),
});
export const inboxList = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      owner: z.string(),
      handoffId: z.string(),
      kind: z.enum(['handoff', 'reminder', 'notification', 'approval', 'escalation']),
      text: z.string(),
      createdAt: iso,
    }),
  ),
});

export const auditVerify = z.object({
  ok: z.boolean(),
  checked: z.number(),
  problems: z.array(
    z.object({
      kind: z.enum(AUDIT_PROBLEM_KINDS).describe('What kind of damage (stable); problem says it in words'),
      handoffId: z.string().optional(),
      seq: z.number().optional(),
      checkpoint: z.number().optional(),
      eventType: z.string().optional().describe('The type of the event concerned, when one is'),
      problem: z.string(),
    }),
  ),
  handoffs: z.number().describe('Handoffs read'),
  checkpoints: z.number().describe('Checkpoints read'),
  head: z
    .object({ seq: z.number(), hash: z.string() })
    .nullable()
    .describe('The last checkpoint: keep its hash elsewhere to detect a rewrite of the whole log'),
});

export const eventPage = z.object({
  items: z.array(
    z.object({
      handoffId: z.string(),
      seq: z.number(),
      at: iso,
      type: z.string(),
      actor,
      data: json,
      prevHash: z.string(),
      hash: z.string(),
    }),
  ),
  nextCursor: z.string().optional(),
});

export const okResponse = z.object({ ok: z.boolean() });

export const readyResponse = z.object({
  ok: z.boolean(),
  store: z.object({
    kind: z.enum(['sqlite', 'postgres']),
    ms: z.number().describe('How long the store took to answer a trivial query'),
  }),
});
export { metricsSummaryResponse } from './summary-schema.ts';
export const streamEvent = z.object({
  id: z.string(),
  flow: z.string(),
  state: z.enum(HANDOFF_STATES),
  owner: z.string(),
  events: z.array(z.string()).describe('Types of the events this commit appended'),
  updatedAt: iso,
});

export const connectorParams = z.object({ name: z.string() });

export const connectorList = z.object({
  items: z.array(
    z.object({
      name: z.string().describe('The entry under `connectors:` in baton.yaml; its actions are NAME.action'),
      type: z.string(),
      description: z.string(),
      settings: z.record(z.string(), z.unknown()).describe('As configured, with secrets shown as ***'),
      actions: z.array(
        z.object({
          id: z.string(),
          description: z.string().nullable(),
          risk: z.string(),
          idempotent: z.boolean(),
          idempotency: z.string().nullable().describe('native-key | lookup | natural'),
          undo: z.string().describe('`rollback`, or why the action cannot be undone'),
        }),
      ),
      sources: z.array(
        z.object({
          id: z.string(),
          description: z.string().nullable(),
          trust: z.string(),
          untrustedFields: z.array(z.string()),
        }),
      ),
    }),
  ),
  fallbacks: z
    .array(z.object({ flow: z.string(), entry: z.string(), use: z.string(), fallback: z.string() }))
    .describe('Flow entries whose connector is not configured: they run their fallback'),
  types: z.array(z.string()).describe('The connector types Baton ships'),
});

export const connectorChecks = z.object({
  items: z.array(
    z.object({
      name: z.string(),
      type: z.string(),
      ok: z.boolean(),
      message: z.string().describe('What the read call found, or what to fix'),
      ms: z.number(),
    }),
  ),
});

const verdict = z.object({
  allowed: z.boolean(),
  why: z.string().optional().describe('Why not: the message the command itself would answer with'),
});

export const handoffCommands = z.object({
  id: z.string(),
  state: z.enum(HANDOFF_STATES),
  commands: z
    .object({
      accept: verdict,
      decline: verdict,
      return: verdict,
      reassign: verdict,
      complete: verdict,
      cancel: verdict,
      rollback: verdict,
      retry: verdict,
    })
    .describe('Each command of POST /v1/handoffs/{id}/…: whether the caller may send it now'),
  resolve: z
    .array(verdict.extend({ action: z.string(), state: z.enum(['outcome_unknown', 'failed']) }))
    .describe('Actions to settle (outcome unknown or failed): whether the caller may resolve each'),
  votes: z
    .array(verdict.extend({ approval: z.string() }))
    .describe('Pending approvals of this handoff: whether the caller may vote on each now'),
  actions: z
    .array(
      z.object({
        action: z.string(),
        state: z.enum(ACTION_STATES),
        reversible: z.boolean().describe('Whether a rollback can undo it'),
        how: z.string().describe('undo, the rollback action it runs, or why it cannot be undone'),
      }),
    )
    .describe('Each action and whether a rollback can undo it'),
  reassignTo: z.array(z.string()).describe('The owners work may be reassigned to: people, teams, roles'),
});

export const waitingList = z.object({
  user: z.string().nullable().describe("The caller's person (null for an anonymous caller: nothing waits)"),
  owners: z.array(z.string()).describe('The owners the caller acts for: itself, its teams, its roles'),
  approvals: z
    .array(
      approvalSchema.extend({
        as: z.string().describe('The approver of the current level the caller votes as'),
        for: z.string().optional().describe('The person the caller stands in for (a delegation)'),
        needed: z.number().describe('Approvals the current level still needs'),
        others: z.array(z.string()).describe('Who else could still give them'),
      }),
    )
    .describe('Pending approvals the caller may vote on now, oldest first'),
  handoffs: z
    .array(
      handoffSummary.extend({
        as: z.string().describe('The owner the work waits with: the caller, one of its teams or roles'),
        for: z.string().optional().describe('The person the caller stands in for (a delegation)'),
      }),
    )
    .describe('Work handed to the caller that waits for acceptance, longest waiting first'),
});
