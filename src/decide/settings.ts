// baton.yaml's `models:` seen from a flow: which model decides, its fallback, its price, and the
// call parameters.
import type { ModelsDef, PriceDef } from '../core/project-schema.ts';
import { parseDuration } from '../core/duration.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import type { ModelParams } from './port.ts';

/** The model a flow's `decide.llm` uses (else `models.default`), and its fallback. */
export function modelsOf(flow: CompiledFlow, settings: ModelsDef): { model?: string; fallback?: string } {
  const llm = flow.def.decide.llm;
  const model = llm?.model ?? settings.default;
  const fallback = llm?.fallback ?? settings.fallback;
  return {
    ...(model ? { model } : {}),
    ...(fallback && fallback !== model ? { fallback } : {}),
  };
}

export function priceOf(settings: ModelsDef, model: string): PriceDef | undefined {
  return settings.prices[model];
}

export function paramsOf(settings: ModelsDef): ModelParams {
  return {
    temperature: settings.temperature,
    maxOutputTokens: settings.maxOutputTokens,
    timeoutMs: parseDuration(settings.timeout) ?? 30_000,
    retries: settings.retries,
  };
}
