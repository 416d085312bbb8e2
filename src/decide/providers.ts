// Model providers through the Vercel AI SDK. A model is named `provider:model`:
//   openai:gpt-4.1-mini          OpenAI Responses API     OPENAI_API_KEY, OPENAI_BASE_URL
//   openai-chat:gpt-4.1-mini     OpenAI Chat Completions  (same variables)
//   anthropic:claude-haiku-4-5   Anthropic Messages API   ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL
//   ollama:… lmstudio:… vllm:…   OpenAI-compatible servers OLLAMA_BASE_URL, LMSTUDIO_BASE_URL,
//                                VLLM_BASE_URL (defaults: their usual local ports)
//   NAME:…                       a provider declared in baton.yaml `models.providers.NAME`
// Providers are created from the environment when the project opens (never from the SDK's
// default instances, which read the environment once at import).
import { generateText, NoObjectGeneratedError, Output, type LanguageModel } from 'ai';
import { createOpenAI } from '@ai-sdk/openai';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { BatonError } from '../core/errors.ts';
import type { ProviderDef } from '../core/project-schema.ts';
import { answerSchema } from './answer.ts';
import {
  ModelUnavailableError,
  type Decider,
  type DecisionRequest,
  type ModelAnswer,
  type TokenUsage,
} from './port.ts';

type Env = Readonly<Record<string, string | undefined>>;

// The SDK prints a process warning per call for a parameter a model ignores (e.g. temperature);
// Baton's output stays clean unless the embedding application chose its own logger.
globalThis.AI_SDK_LOG_WARNINGS ??= false;

const LOCAL_SERVERS: Record<string, { env: string; url: string }> = {
  ollama: { env: 'OLLAMA_BASE_URL', url: 'http://127.0.0.1:11434/v1' },
  lmstudio: { env: 'LMSTUDIO_BASE_URL', url: 'http://127.0.0.1:1234/v1' },
  vllm: { env: 'VLLM_BASE_URL', url: 'http://127.0.0.1:8000/v1' },
};

export const BUILTIN_PROVIDERS = ['openai', 'openai-chat', 'anthropic', ...Object.keys(LOCAL_SERVERS)];

/** Splits `provider:model`; throws naming the reference when it is not one. */
export function parseModelRef(ref: string): { provider: string; model: string } {
  const i = ref.indexOf(':');
  if (i <= 0 || i === ref.length - 1) {
    throw new BatonError(
      'validation_failed',
      `model "${ref}" is not provider:model (e.g. openai:gpt-4.1-mini)`,
    );
  }
  return { provider: ref.slice(0, i), model: ref.slice(i + 1) };
}

export class SdkDecider implements Decider {
  private readonly env: Env;
  private readonly declared: Record<string, ProviderDef>;
  private readonly models = new Map<string, LanguageModel>();

  constructor(declared: Record<string, ProviderDef>, env: Env = process.env) {
    this.declared = declared;
    this.env = env;
  }

  /** Throws when the reference names no known provider (checked when flows load). */
  check(ref: string): void {
    this.model(ref);
  }

  async decide(req: DecisionRequest, signal: AbortSignal): Promise<ModelAnswer> {
    const attempts: Array<{ model: string; error: string }> = [];
    for (const ref of req.fallbackModel ? [req.model, req.fallbackModel] : [req.model]) {
      const timeout = AbortSignal.timeout(req.params.timeoutMs);
      try {
        const answer = await this.ask(ref, req, AbortSignal.any([signal, timeout]));
        return attempts.length ? { ...answer, attempts } : answer;
      } catch (e) {
        if (NoObjectGeneratedError.isInstance(e)) {
          // The model answered, but not in the schema: that is the model's answer, not an outage.
          return unparsed(ref, e, attempts);
        }
        if (signal.aborted) throw e;
        attempts.push({
          model: ref,
          error: timeout.aborted ? `timed out after ${req.params.timeoutMs} ms` : errorLine(e),
        });
      }
    }
    throw new ModelUnavailableError(attempts);
  }

  private async ask(ref: string, req: DecisionRequest, abortSignal: AbortSignal): Promise<ModelAnswer> {
    if (req.kind === 'draft') {
      const d = await generateText({
        model: this.model(ref),
        system: req.system,
        prompt: req.prompt,
        temperature: req.params.temperature,
        maxOutputTokens: req.params.maxOutputTokens,
        maxRetries: req.params.retries,
        abortSignal,
      });
      return { model: ref, object: undefined, text: d.text, usage: usageOf(d.usage) };
    }
    const r = await generateText({
      model: this.model(ref),
      system: req.system,
      prompt: req.prompt,
      temperature: req.params.temperature,
      maxOutputTokens: req.params.maxOutputTokens,
      maxRetries: req.params.retries,
      abortSignal,
      output: Output.object({ schema: answerSchema(req.owners, req.actions), name: 'decision' }),
    });
    return { model: ref, object: r.output, text: r.text, usage: usageOf(r.usage) };
  }

  private model(ref: string): LanguageModel {
    const known = this.models.get(ref);
    if (known) return known;
    const { provider, model } = parseModelRef(ref);
    const declared = this.declared[provider];
    const e = this.env;
    let m: LanguageModel;
    if (declared) {
      const apiKey = declared.apiKeyEnv ? e[declared.apiKeyEnv] : undefined;
      m = build(declared.type, model, { baseURL: declared.baseURL, apiKey, name: provider });
    } else if (provider === 'openai' || provider === 'openai-chat') {
      m = build(provider, model, { baseURL: e.OPENAI_BASE_URL, apiKey: e.OPENAI_API_KEY, name: provider });
    } else if (provider === 'anthropic') {
      m = build('anthropic', model, {
        baseURL: e.ANTHROPIC_BASE_URL,
        apiKey: e.ANTHROPIC_API_KEY,
        name: provider,
      });
    } else if (LOCAL_SERVERS[provider]) {
      const s = LOCAL_SERVERS[provider];
      m = build('openai-compatible', model, {
        baseURL: e[s.env] ?? s.url,
        apiKey: undefined,
        name: provider,
      });
    } else {
      throw new BatonError(
        'validation_failed',
        `model "${ref}": unknown provider ${provider} (built in: ${BUILTIN_PROVIDERS.join(', ')}; or declare it under models.providers in baton.yaml)`,
      );
    }
    this.models.set(ref, m);
    return m;
  }
}

function build(
  type: ProviderDef['type'],
  model: string,
  o: { baseURL: string | undefined; apiKey: string | undefined; name: string },
): LanguageModel {
  const baseURL = o.baseURL || undefined;
  switch (type) {
    case 'openai':
      return createOpenAI({ baseURL, apiKey: o.apiKey ?? '' })(model);
    case 'openai-chat':
      return createOpenAI({ baseURL, apiKey: o.apiKey ?? '' }).chat(model);
    case 'anthropic':
      return createAnthropic({ baseURL, apiKey: o.apiKey ?? '' })(model);
    case 'openai-compatible':
      return createOpenAICompatible({
        name: o.name,
        baseURL: baseURL ?? 'http://127.0.0.1:11434/v1',
        ...(o.apiKey ? { apiKey: o.apiKey } : {}),
        supportsStructuredOutputs: true,
      })(model);
  }
}

function usageOf(
  u:
    | {
        inputTokens?: number | undefined;
        outputTokens?: number | undefined;
        inputTokenDetails?: { cacheReadTokens?: number | undefined };
      }
    | undefined,
): TokenUsage {
  const cached = u?.inputTokenDetails?.cacheReadTokens ?? 0;
  return {
    inputTokens: Math.max(0, (u?.inputTokens ?? 0) - cached),
    outputTokens: u?.outputTokens ?? 0,
    cachedInputTokens: cached,
  };
}

function unparsed(
  ref: string,
  e: NoObjectGeneratedError,
  attempts: Array<{ model: string; error: string }>,
): ModelAnswer {
  const text = e.text ?? '';
  let object: unknown;
  try {
    object = JSON.parse(text);
  } catch {
    object = undefined;
  }
  return {
    model: ref,
    object,
    text,
    usage: usageOf(e.usage),
    parseError: errorLine(e.cause ?? e),
    ...(attempts.length ? { attempts } : {}),
  };
}

function errorLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n')[0]!.slice(0, 300);
}
