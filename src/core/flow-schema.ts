// The flow file format (SPEC §2) as zod schemas. The same schemas validate flow files and
// produce the published JSON Schema (`baton schema flow`), so the two never disagree.
import { z } from 'zod';
import { isDuration, parseDuration } from './duration.ts';
import { isOwnerRef } from './owner.ts';
import { triggerSchema } from './trigger-schema.ts';

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lower-case letters, digits, "-" and "_" (e.g. lead-to-owner)');
const cel = z.string().min(1).describe('A CEL expression');
const duration = z.string().refine(isDuration, 'a duration like 90s, 15m, 4h or 2d');
const ownerRef = z
  .string()
  .refine(isOwnerRef, 'an owner like user:dana, team:sales, role:cfo')
  .describe('user:<id> | team:<id> | role:<id>');
const ownerTemplate = z
  .string()
  .min(1)
  .describe('An owner (user:<id>, team:<id>, role:<id>), possibly with ${…} interpolation');

export const riskLevel = z.enum(['low', 'medium', 'high']);
export type RiskLevel = z.infer<typeof riskLevel>;

export const modeSchema = z.enum(['shadow', 'suggest', 'auto']);
export type FlowMode = z.infer<typeof modeSchema>;

const withParams = z
  .record(z.string(), z.unknown())
  .describe('Parameters; strings may use ${…} interpolation');

export const approvalLevelSchema = z.strictObject({
  name: z.string().optional(),
  approvers: z.array(ownerRef).min(1).describe('Who may approve at this level: users, teams, roles'),
  quorum: z.int().min(1).default(1).describe('How many distinct approvers must approve'),
  when: cel.optional().describe('The level applies only when this holds'),
});

export const approvalSchema = z
  .strictObject({
    when: cel.optional().describe('Approval is required when this holds (default: always)'),
    levels: z.array(approvalLevelSchema).min(1),
    timeout: duration.optional(),
    remindBefore: z
      .array(duration)
      .min(1)
      .optional()
      .describe(
        'Remind the approvers who have not voted this long before the timeout, e.g. [1h, 15m] (Baton inbox); needs `timeout`',
      ),
    onTimeout: z
      .enum(['escalate', 'approve', 'approve-all', 'reject'])
      .default('escalate')
      .describe(
        'When the timeout passes: escalate (to the fallback owner), reject, approve (that level only: each later level is still asked, with a timeout of its own) or approve-all (the whole gate at once)',
      ),
    onReject: z.enum(['stop', 'skip']).default('stop'),
  })
  .superRefine((a, ctx) => {
    if (!a.remindBefore) return;
    if (a.timeout === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['remindBefore'],
        message: 'reminders come before the `timeout`: set one',
      });
      return;
    }
    const timeout = parseDuration(a.timeout);
    a.remindBefore.forEach((r, i) => {
      const before = parseDuration(r);
      if (before === undefined || timeout === undefined) return; // the duration check reports it
      if (before >= timeout)
        ctx.addIssue({
          code: 'custom',
          path: ['remindBefore', i],
          message: `must be shorter than the timeout (${a.timeout})`,
        });
    });
  });
export type ApprovalDef = z.infer<typeof approvalSchema>;

/**
 * Risk levels that require approval by themselves: an action of this risk or higher waits for
 * a person even when it has no `approval:` block (or its `when` does not hold). In baton.yaml
 * for every flow, or in a flow's guardrails (which wins).
 */
export const riskApprovalSchema = z.strictObject({
  atLeast: z.enum(['medium', 'high']).describe('Actions of this risk or higher need approval'),
  approvers: z
    .array(ownerRef)
    .min(1)
    .optional()
    .describe("Who may approve (default: the flow's fallback owner, and the decision is labelled fallback)"),
  quorum: z.int().min(1).default(1),
  timeout: duration.optional(),
  onTimeout: z.enum(['escalate', 'approve', 'reject']).default('escalate'),
  onReject: z.enum(['stop', 'skip']).default('stop'),
});
export type RiskApprovalDef = z.infer<typeof riskApprovalSchema>;

const actionUse = z
  .string()
  .regex(/^[a-z][a-z0-9_-]*\.[A-Za-z][A-Za-z0-9_-]*$/, 'connector.action, e.g. builtin.create_task');
const sourceUse = z
  .string()
  .regex(/^[a-z][a-z0-9_-]*\.[A-Za-z][A-Za-z0-9_-]*$/, 'connector.source, e.g. builtin.lookup');

/** What runs instead when the connector of `use` is not configured (a project without it). */
const fallbackOf = (use: z.ZodString) =>
  z
    .strictObject({ use, with: withParams.default({}) })
    .describe('Used instead of `use` when its connector is not configured in baton.yaml (e.g. a built-in)');

export const actionSchema = z.strictObject({
  id,
  use: actionUse,
  with: withParams.default({}),
  fallback: fallbackOf(actionUse).optional(),
  when: cel.optional().describe('The action runs only when this holds'),
  risk: riskLevel.optional().describe("Overrides the action's declared risk level"),
  idempotencyKey: cel.optional().describe('CEL; default: handoff id and action id'),
  approval: approvalSchema.optional(),
  cost: z
    .union([z.number().min(0), cel])
    .optional()
    .describe(
      'USD per call, reserved before the call under the cost caps: a number, or CEL over `params` (e.g. params.cents * 0.00001)',
    ),
  rollback: z
    .union([z.string(), z.strictObject({ use: z.string(), with: withParams.default({}) })])
    .optional()
    .describe('The compensating action that undoes this one'),
  retry: z
    .strictObject({
      attempts: z.int().min(1).max(20).default(3),
      backoff: duration.default('1s'),
    })
    .optional(),
});
export type ActionDef = z.infer<typeof actionSchema>;

export const ruleSchema = z.strictObject({
  name: z.string().optional(),
  when: cel,
  owner: ownerTemplate,
  actions: z.array(id).optional().describe('Which allowlisted actions run (default: all)'),
});

export const llmSchema = z.strictObject({
  model: z.string().optional().describe("provider:model (default: baton.yaml's models.default)"),
  fallback: z.string().optional().describe('Tried when the main model cannot be reached'),
  instructions: z.string().default(''),
  owners: z.array(ownerRef).min(1),
  actions: z.array(id).optional(),
  minConfidence: z.number().min(0).max(1).default(0.7),
});

export const decideSchema = z.strictObject({
  rules: z.array(ruleSchema).default([]),
  llm: llmSchema.optional(),
  otherwise: z.strictObject({ owner: ownerTemplate, actions: z.array(id).optional() }),
});

export const contextSourceSchema = z.strictObject({
  name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a CEL identifier'),
  use: sourceUse,
  with: withParams.default({}),
  fallback: fallbackOf(sourceUse).optional(),
  when: cel.optional(),
  trust: z.enum(['trusted', 'untrusted']).optional(),
});

/** The ladder's last rung: nobody accepted, so Baton decides (recorded with the label `timeout`). */
export const ladderDecisionSchema = z
  .union([z.enum(['complete', 'cancel']), z.strictObject({ reassign: ownerRef })])
  .describe('complete | cancel | {reassign: owner}: the default decision when nobody accepted');

export const ladderStepSchema = z
  .strictObject({
    after: duration,
    remind: z.literal('owner').optional(),
    to: z.union([ownerRef, z.literal('manager')]).optional(),
    decide: ladderDecisionSchema.optional(),
  })
  .refine(
    (s) => (s.remind ? 1 : 0) + (s.to ? 1 : 0) + (s.decide ? 1 : 0) === 1,
    'each step either `remind: owner`, `to: …` or `decide: complete | cancel | {reassign: …}`',
  );

const ladderSchema = z
  .array(ladderStepSchema)
  .default([])
  .superRefine((steps, ctx) => {
    steps.forEach((s, i) => {
      if (s.decide && i !== steps.length - 1)
        ctx.addIssue({
          code: 'custom',
          path: [i, 'decide'],
          message: 'a `decide` step ends the ladder: it must be the last step',
        });
    });
  });

export const flowSchema = z.strictObject({
  id,
  name: z.string().min(1),
  description: z.string().optional(),
  boundary: z.strictObject({ from: ownerRef, to: ownerRef }),
  trigger: triggerSchema,
  input: z
    .looseObject({ type: z.literal('object') })
    .describe('JSON Schema for the intake payload (integer fields are CEL int, number fields CEL double)'),
  idempotencyKey: cel.optional().describe('CEL; the same key twice gives the same handoff'),
  context: z.array(contextSourceSchema).default([]),
  decide: decideSchema,
  actions: z.array(actionSchema).default([]).describe('The allowlist'),
  mode: modeSchema.default('auto'),
  contract: z.strictObject({ required: z.array(z.string()) }).optional(),
  requester: cel.optional().describe('Who asked (no self-approval)'),
  handoff: z
    .strictObject({
      to: ownerTemplate.default('${decision.owner}'),
      acceptWithin: duration.optional(),
      fallbackOwner: ownerRef.optional(),
      escalate: ladderSchema,
    })
    .default({ to: '${decision.owner}', escalate: [] }),
  guardrails: z
    .strictObject({
      costCap: z
        .strictObject({ perHandoff: z.number().optional(), perDay: z.number().optional() })
        .optional(),
      maxActions: z.int().min(0).optional(),
      maxModelCalls: z.int().min(0).optional().describe('Model calls per handoff'),
      riskApproval: riskApprovalSchema.optional(),
    })
    .default({}),
});

export type FlowDef = z.infer<typeof flowSchema>;
export type FlowInputDef = z.input<typeof flowSchema>;
