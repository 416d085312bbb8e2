// The model's answer: the zod schema it must match (owner and actions are enums built from the
// flow's allowlist) and the check every answer passes before it becomes a decision. A model is
// never trusted: an answer outside the allowlist, citing nothing (or paths that do not exist),
// with extra keys, or unparseable goes to a person (`invalid_model_answer`); one below the flow's
// `minConfidence` too (`low_confidence`).
import { z } from 'zod';
import type { ModelAnswer } from './port.ts';

export function answerSchema(owners: readonly string[], actions: readonly string[]) {
  const owner =
    owners.length > 0 ? z.enum(owners as [string, ...string[]]) : z.string().max(0, 'no owner is allowed');
  const action =
    actions.length > 0 ? z.enum(actions as [string, ...string[]]) : z.string().max(0, 'no action is allowed');
  return z.strictObject({
    owner: owner.describe('One of the allowed owners'),
    actions: z.array(action).describe('Allowed action ids to run (may be empty)'),
    confidence: z.number().min(0).max(1).describe('How sure you are, 0 to 1'),
    rationale: z.string().min(1).max(2000).describe('Why, in one or two sentences'),
    evidence: z
      .array(z.string().regex(/^(input|context)\.[A-Za-z0-9_.]+$/, 'an input.* or context.* path'))
      .min(1)
      .describe('The input.* and context.* paths you relied on'),
  });
}

export type Verdict =
  | {
      ok: true;
      owner: string;
      actions: string[];
      confidence: number;
      rationale: string;
      evidence: string[];
      /** The cited paths with their values. */
      reads: Record<string, unknown>;
    }
  | { ok: false; reason: 'invalid_model_answer' | 'low_confidence'; problem: string; confidence?: number };

/** Checks a model's answer against the allowlist, the cited evidence and the confidence floor. */
export function checkAnswer(
  answer: ModelAnswer,
  allowed: { owners: readonly string[]; actions: readonly string[] },
  data: { input: unknown; context: unknown },
  minConfidence: number,
): Verdict {
  if (answer.object === undefined) {
    return {
      ok: false,
      reason: 'invalid_model_answer',
      problem: `not JSON: ${answer.parseError ?? 'no answer'}`,
    };
  }
  const parsed = answerSchema(allowed.owners, allowed.actions).safeParse(answer.object);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'answer';
    return { ok: false, reason: 'invalid_model_answer', problem: `${where}: ${issue?.message ?? 'invalid'}` };
  }
  const a = parsed.data;
  const reads: Record<string, unknown> = {};
  for (const p of a.evidence) {
    const v = lookup(data, p);
    if (v === undefined) {
      return {
        ok: false,
        reason: 'invalid_model_answer',
        problem: `evidence ${p} names no field of the handoff`,
      };
    }
    reads[p] = v;
  }
  if (a.confidence < minConfidence) {
    return {
      ok: false,
      reason: 'low_confidence',
      problem: `confidence ${a.confidence} is below ${minConfidence}`,
      confidence: a.confidence,
    };
  }
  return {
    ok: true,
    owner: a.owner,
    actions: [...new Set(a.actions)],
    confidence: a.confidence,
    rationale: a.rationale,
    evidence: a.evidence,
    reads,
  };
}

function lookup(data: { input: unknown; context: unknown }, path: string): unknown {
  let v: unknown = data;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, part)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}
