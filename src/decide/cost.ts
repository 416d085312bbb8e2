// Model cost from the price table in baton.yaml (USD per million tokens): an estimate reserved
// before a call, and the cost settled from the usage the provider reported.
import type { PriceDef } from '../core/project-schema.ts';
import type { DecisionRequest, TokenUsage } from './port.ts';

/** Characters per token assumed for the estimate: low on purpose, so the estimate runs high. */
const CHARS_PER_TOKEN = 3;

export function estimateUsd(price: PriceDef, request: DecisionRequest): number {
  const inputTokens = Math.ceil((request.system.length + request.prompt.length) / CHARS_PER_TOKEN) + 200;
  return round((inputTokens * price.input + request.params.maxOutputTokens * price.output) / 1e6);
}

export function costUsd(price: PriceDef, usage: TokenUsage): number {
  return round(
    (usage.inputTokens * price.input +
      usage.cachedInputTokens * (price.cached ?? price.input) +
      usage.outputTokens * price.output) /
      1e6,
  );
}

/** Micro-dollar precision keeps sums stable across the two stores. */
const round = (usd: number): number => Math.round(usd * 1e9) / 1e9;

/** The UTC day a cost counts against. */
export const utcDay = (at: number): string => new Date(at).toISOString().slice(0, 10);
