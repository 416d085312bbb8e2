// A scripted decider for tests, exported for users' own tests: it answers from a list or a
// function instead of calling a model, and keeps every request it was sent.
//
//   const decider = scriptedDecider([{ object: { owner: 'team:smb', actions: [], confidence: 0.9,
//     rationale: 'small deal', evidence: ['input.amount'] } }]);
import {
  ModelUnavailableError,
  type Decider,
  type DecisionRequest,
  type ModelAnswer,
  type TokenUsage,
} from './port.ts';

export interface ScriptedAnswer {
  /** The answer as a JSON value (sent as its JSON text). */
  object?: unknown;
  /** The answer as raw text (for unparseable answers); used when `object` is absent. */
  text?: string;
  usage?: Partial<TokenUsage>;
  /** Fail the call as if no model answered. */
  error?: string;
  /** Answer after this many milliseconds (honours the abort signal). */
  delayMs?: number;
}

export type Script =
  ScriptedAnswer[] | ((request: DecisionRequest, call: number) => ScriptedAnswer | Promise<ScriptedAnswer>);

export class ScriptedDecider implements Decider {
  /** Every request, in order: assert on the exact prompt a model would have seen. */
  readonly requests: DecisionRequest[] = [];
  private readonly script: Script;

  constructor(script: Script) {
    this.script = script;
  }

  async decide(request: DecisionRequest, signal: AbortSignal): Promise<ModelAnswer> {
    const call = this.requests.length;
    this.requests.push(request);
    const s = typeof this.script === 'function' ? await this.script(request, call) : this.script[call];
    if (!s)
      throw new ModelUnavailableError([
        { model: request.model, error: `the script has no answer #${call + 1}` },
      ]);
    if (s.delayMs) await sleep(s.delayMs, signal);
    signal.throwIfAborted();
    if (s.error !== undefined) throw new ModelUnavailableError([{ model: request.model, error: s.error }]);
    const text = s.object !== undefined ? JSON.stringify(s.object) : (s.text ?? '');
    const usage: TokenUsage = {
      inputTokens: s.usage?.inputTokens ?? Math.ceil((request.system.length + request.prompt.length) / 4),
      outputTokens: s.usage?.outputTokens ?? Math.ceil(text.length / 4),
      cachedInputTokens: s.usage?.cachedInputTokens ?? 0,
    };
    if (request.kind === 'draft') return { model: request.model, object: undefined, text, usage };
    let object: unknown;
    let parseError: string | undefined;
    try {
      object = JSON.parse(text);
    } catch (e) {
      parseError = e instanceof Error ? e.message : String(e);
    }
    return { model: request.model, object, text, usage, ...(parseError ? { parseError } : {}) };
  }
}

export function scriptedDecider(script: Script): ScriptedDecider {
  return new ScriptedDecider(script);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      },
      { once: true },
    );
  });
}
