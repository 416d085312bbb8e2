// The decider port: how the engine asks a model to choose among a flow's allowed owners and
// actions. Providers (providers.ts, through the Vercel AI SDK) and the scripted decider for tests
// (scripted.ts) implement it. The engine never sees a provider SDK.

/** Everything a model call is made of: stored verbatim as the decision's frozen inputs. */
export interface DecisionRequest {
  /** `decision` (default): a structured answer; `draft`: free text (a reply draft). */
  kind?: 'decision' | 'draft';
  /** The flow deciding (for messages and metrics). */
  flow: string;
  /** `provider:model`, e.g. `openai:gpt-4.1-mini`. */
  model: string;
  /** Tried when the main model cannot be reached (after its retries). */
  fallbackModel?: string;
  /** The fixed instructions: Baton's rules of the game, then the flow's instructions. */
  system: string;
  /** The user message: the handoff's fields, untrusted text only inside delimiters. */
  prompt: string;
  /** The owners the model may choose (an enum in the answer schema). */
  owners: string[];
  /** The actions the model may choose (an enum in the answer schema). */
  actions: string[];
  params: ModelParams;
}

export interface ModelParams {
  temperature: number;
  maxOutputTokens: number;
  timeoutMs: number;
  /** Retries of one model on errors the provider marks retryable (429, 5xx, connection). */
  retries: number;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  /** Input tokens read from the provider's prompt cache (priced apart). */
  cachedInputTokens: number;
}

/** What came back: the raw answer as the model gave it (validated later, never trusted). */
export interface ModelAnswer {
  /** The model that answered (the fallback model when the main one failed). */
  model: string;
  /** The parsed JSON object, or undefined when the text was not JSON of the right shape (or a draft). */
  object: unknown;
  /** The answer's text as received. */
  text: string;
  usage: TokenUsage;
  /** Why the answer could not be parsed into the schema, when it could not. */
  parseError?: string;
  /** Errors of models tried before the one that answered (fallback). */
  attempts?: Array<{ model: string; error: string }>;
}

export interface Decider {
  decide(request: DecisionRequest, signal: AbortSignal): Promise<ModelAnswer>;
}

/** A model call failed with no answer (after retries and fallback); `usage` is what was billed. */
export class ModelUnavailableError extends Error {
  readonly attempts: Array<{ model: string; error: string }>;
  constructor(attempts: Array<{ model: string; error: string }>) {
    super(`no model answered: ${attempts.map((a) => `${a.model}: ${a.error}`).join('; ')}`);
    this.name = 'ModelUnavailableError';
    this.attempts = attempts;
  }
}
