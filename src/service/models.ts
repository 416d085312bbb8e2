// Opening the model decision layer with a project: the decider (the configured providers, or
// one given by a test), and the checks that make a flow with `decide.llm` fail at load rather
// than at its first handoff: a model is named, its provider is known, and it has a price (budgets
// fail closed: a model without a price cannot be budgeted).
import { BatonError } from '../core/errors.ts';
import type { Project } from '../project/load.ts';
import type { Store } from '../store/port.ts';
import type { Decider } from '../decide/port.ts';
import { SdkDecider } from '../decide/providers.ts';
import { Redactor } from '../decide/redact.ts';
import { modelsOf, priceOf } from '../decide/settings.ts';
import type { ModelRuntime } from '../engine/models.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** The decider for the project's flows, or undefined when no flow decides with a model. */
export function modelDecider(project: Project, given: Decider | undefined, env: Env): Decider | undefined {
  const settings = project.def.models;
  // Flows that ask a model: to decide, or to draft replies with the default model.
  const llmFlows = [...project.flows.values()].filter(
    (f) =>
      f.def.decide.llm ||
      (settings.default !== undefined && f.def.actions.some((a) => a.use === 'builtin.draft_reply')),
  );
  if (llmFlows.length === 0) return given;
  const sdk = given ? undefined : new SdkDecider(settings.providers, env);
  const problems: Array<{ file: string; path: string; message: string }> = [];
  for (const f of llmFlows) {
    const { model, fallback } = modelsOf(f, settings);
    // A flow that only drafts uses baton.yaml's models: problems are found there.
    const decides = !!f.def.decide.llm;
    const file = decides ? f.file : project.file;
    if (!model) {
      problems.push({
        file: f.file,
        path: 'decide.llm.model',
        message: 'no model: name one here or set models.default in baton.yaml',
      });
      continue;
    }
    for (const [ref, path] of [
      [model, decides ? 'decide.llm.model' : 'models.default'],
      ...(fallback ? [[fallback, decides ? 'decide.llm.fallback' : 'models.fallback']] : []),
    ] as Array<[string, string]>) {
      try {
        sdk?.check(ref);
      } catch (e) {
        problems.push({ file, path, message: (e as Error).message });
        continue;
      }
      if (!priceOf(settings, ref)) {
        problems.push({
          file,
          path,
          message: `model ${ref} has no price: add models.prices["${ref}"]: { input, output } (USD per million tokens) to baton.yaml`,
        });
      }
    }
  }
  // Flows that only draft share baton.yaml's models: report each problem there once.
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const k = `${p.file}\0${p.path}\0${p.message}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
  if (unique.length) {
    throw new BatonError('flow_invalid', unique.map((p) => `${p.file}: ${p.path}: ${p.message}`).join('\n'), {
      details: unique,
    });
  }
  return given ?? sdk;
}

export function modelRuntime(project: Project, decider: Decider, store: Store, env: Env): ModelRuntime {
  const g = project.def.guardrails;
  return {
    decider,
    settings: project.def.models,
    redactor: Redactor.fromEnv({ ...process.env, ...env }),
    budget: store,
    costCap: { ...g.costCap },
    maxModelCalls: g.maxModelCalls,
  };
}
