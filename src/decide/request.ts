// Turns a flow and a context snapshot into the exact request a model gets. The engine and
// `baton replay` both build requests here, so a replay with the same flow and model sends the
// same prompt the decision saw.
import type { ModelsDef } from '../core/project-schema.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import type { Registry } from '../actions/registry.ts';
import { modelsOf, paramsOf } from './settings.ts';
import type { DecisionRequest } from './port.ts';
import { buildPrompt, dataSection, type ContextField } from './prompt.ts';
import type { Redactor } from './redact.ts';

/** The owners and actions the model may choose: the flow's `decide.llm` and its allowlist. */
export function allowedFor(flow: CompiledFlow): { owners: string[]; actions: string[] } {
  const llm = flow.def.decide.llm;
  const all = flow.def.actions.map((a) => a.id);
  return { owners: [...(llm?.owners ?? [])], actions: llm?.actions ? [...llm.actions] : all };
}

export function requestFor(
  flow: CompiledFlow,
  settings: ModelsDef,
  registry: Registry,
  redactor: Redactor,
  fields: readonly ContextField[],
  salt: string,
  modelOverride?: string,
): DecisionRequest {
  const { model, fallback } = modelsOf(flow, settings);
  const chosen = modelOverride ?? model;
  if (!chosen) throw new Error(`flow ${flow.def.id} names no model and baton.yaml has no models.default`);
  const allowed = allowedFor(flow);
  const { system, prompt } = buildPrompt(
    {
      flow: {
        id: flow.def.id,
        name: flow.def.name,
        from: flow.def.boundary.from,
        to: flow.def.boundary.to,
      },
      instructions: flow.def.decide.llm?.instructions ?? '',
      owners: allowed.owners,
      actions: flow.def.actions
        .filter((a) => allowed.actions.includes(a.id))
        .map((a) => {
          const def = registry.action(a.use);
          return {
            id: a.id,
            use: a.use,
            risk: a.risk ?? def?.risk ?? 'high',
            ...(def?.description ? { description: def.description } : {}),
          };
        }),
      fields,
      salt,
    },
    redactor,
  );
  return {
    flow: flow.def.id,
    model: chosen,
    ...(fallback && !modelOverride ? { fallbackModel: fallback } : {}),
    system,
    prompt,
    owners: allowed.owners,
    actions: allowed.actions,
    params: paramsOf(settings),
  };
}

/**
 * A reply draft: free text a person reviews and sends. The action's `body` is the guidance (it
 * is also the template used when no model is configured).
 */
export function draftRequestFor(
  flow: CompiledFlow,
  settings: ModelsDef,
  redactor: Redactor,
  fields: readonly ContextField[],
  salt: string,
  guidance: { body: string; to?: string | undefined; subject?: string | undefined },
): DecisionRequest {
  const { model, fallback } = modelsOf(flow, settings);
  if (!model) throw new Error(`flow ${flow.def.id} names no model and baton.yaml has no models.default`);
  const data = dataSection(fields, salt);
  const system = [
    `You draft a reply for a person to review and send, for "${flow.def.name}".`,
    'Write only the reply text: no subject line, no notes to the reviewer.',
    data.rule,
    '',
    "What the reply should say (the flow's template):",
    guidance.body,
    ...(guidance.to ? ['', `It goes to: ${guidance.to}`] : []),
    ...(guidance.subject ? [`Subject: ${guidance.subject}`] : []),
  ].join('\n');
  return {
    kind: 'draft',
    flow: flow.def.id,
    model,
    ...(fallback ? { fallbackModel: fallback } : {}),
    system: redactor.text(system),
    prompt: redactor.text(data.text),
    owners: [],
    actions: [],
    params: paramsOf(settings),
  };
}
