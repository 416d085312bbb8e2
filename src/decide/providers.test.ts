import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModelServer, type ModelServer } from '../../test/support/model-server.ts';
import { SdkDecider } from './providers.ts';
import { ModelUnavailableError, type DecisionRequest } from './port.ts';
import { checkAnswer } from './answer.ts';

const good = {
  owner: 'team:smb',
  actions: ['task'],
  confidence: 0.9,
  rationale: 'small deal',
  evidence: ['input.amount'],
};

function request(model: string, extra: Partial<DecisionRequest> = {}): DecisionRequest {
  return {
    flow: 'f',
    model,
    system: 'route it',
    prompt: 'amount 100',
    owners: ['team:smb', 'team:ent'],
    actions: ['task', 'tell'],
    params: { temperature: 0, maxOutputTokens: 256, timeoutMs: 2000, retries: 0 },
    ...extra,
  };
}

let server: ModelServer;
let decider: SdkDecider;
beforeAll(async () => {
  server = await startModelServer();
  decider = new SdkDecider(
    { local: { type: 'openai-compatible', baseURL: `${server.url}/v1`, apiKeyEnv: 'LOCAL_KEY' } },
    {
      OPENAI_BASE_URL: `${server.url}/v1`,
      OPENAI_API_KEY: 'sk-test-openai',
      ANTHROPIC_BASE_URL: `${server.url}/v1`,
      ANTHROPIC_API_KEY: 'sk-ant-test',
      LOCAL_KEY: 'local-key',
    },
  );
});
afterAll(() => server.close());

const signal = () => new AbortController().signal;

describe('providers through the AI SDK against a local server', () => {
  it.each([
    ['openai:gpt-test', 'responses', 'sk-test-openai'],
    ['openai-chat:gpt-test', 'chat', 'sk-test-openai'],
    ['anthropic:claude-test', 'messages', undefined],
    ['local:llama-test', 'chat', 'local-key'],
  ] as const)('%s speaks the %s API and returns the structured answer', async (model, api, bearer) => {
    server.script([{ object: good, usage: { input: 120, output: 30, cached: 20 } }]);
    const before = server.requests.length;
    const answer = await decider.decide(request(model), signal());
    const sent = server.requests[before]!;
    expect(sent.api).toBe(api);
    if (bearer) expect(sent.headers.authorization).toBe(`Bearer ${bearer}`);
    else expect(sent.headers['x-api-key']).toBe('sk-ant-test');
    expect(JSON.stringify(sent.body)).toContain('team:ent'); // the owner enum reached the provider
    expect(answer.object).toEqual(good);
    expect(answer.model).toBe(model);
    expect(answer.usage.outputTokens).toBe(30);
    expect(answer.usage.inputTokens + answer.usage.cachedInputTokens).toBe(120);
    const v = checkAnswer(answer, request(model), { input: { amount: 100 }, context: {} }, 0.7);
    expect(v.ok).toBe(true);
  });

  it('an answer outside the schema comes back unparsed, for the check to refuse', async () => {
    server.script([{ object: { ...good, owner: 'team:attacker' } }]);
    const answer = await decider.decide(request('openai:gpt-test'), signal());
    expect(answer.parseError).toBeDefined();
    const v = checkAnswer(answer, request('openai:gpt-test'), { input: { amount: 1 }, context: {} }, 0.5);
    expect(v).toMatchObject({ ok: false, reason: 'invalid_model_answer' });
    if (!v.ok) expect(v.problem).toMatch(/owner/);
  });

  it('fenced or non-JSON text is an invalid answer, not an outage', async () => {
    server.script([{ text: '```json\n{"owner":"team:smb"}\n```' }]);
    const answer = await decider.decide(request('openai-chat:gpt-test'), signal());
    expect(answer.object).toBeUndefined();
    expect(checkAnswer(answer, request('x:y'), { input: {}, context: {} }, 0)).toMatchObject({
      ok: false,
      reason: 'invalid_model_answer',
    });
  });

  it('retries a 503 and then answers', async () => {
    server.script([{ status: 503 }, { object: good }]);
    const before = server.requests.length;
    const answer = await decider.decide(
      request('openai:gpt-test', {
        params: { temperature: 0, maxOutputTokens: 64, timeoutMs: 5000, retries: 2 },
      }),
      signal(),
    );
    expect(answer.object).toEqual(good);
    expect(server.requests.length - before).toBe(2);
  });

  it('falls back to the fallback model when the main one fails, and says so', async () => {
    server.script((r) => (r.api === 'responses' ? { status: 500 } : { object: good }));
    const answer = await decider.decide(
      request('openai:gpt-test', { fallbackModel: 'anthropic:claude-test' }),
      signal(),
    );
    expect(answer.model).toBe('anthropic:claude-test');
    expect(answer.attempts?.[0]?.model).toBe('openai:gpt-test');
  });

  it('times out a slow model and reports no answer', async () => {
    server.script([{ delayMs: 1500, object: good }]);
    const started = Date.now();
    const err = await decider
      .decide(
        request('openai:gpt-test', {
          params: { temperature: 0, maxOutputTokens: 64, timeoutMs: 200, retries: 0 },
        }),
        signal(),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelUnavailableError);
    expect((err as ModelUnavailableError).attempts[0]!.error).toMatch(/timed out after 200 ms/);
    expect(Date.now() - started).toBeLessThan(1400);
  });

  it('refuses an unknown provider by name', () => {
    expect(() => decider.check('nowhere:m')).toThrow(/unknown provider nowhere/);
    expect(() => decider.check('nocolon')).toThrow(/provider:model/);
  });
});
