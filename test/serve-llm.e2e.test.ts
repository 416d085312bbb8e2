// `baton serve` with a model: the real server process (HTTP thread, engine thread, writer thread)
// decides a handoff through the AI SDK against the local model server, over HTTP end to end.
import { afterEach, describe, expect, it } from 'vitest';
import { startModelServer } from './support/model-server.ts';
import { freePort, kill, startServe, type ServerProcess } from './support/server.ts';
import { answer, projectFiles, ticket } from './support/llm-project.ts';
import { tempProject } from './support/project.ts';

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

describe('baton serve with decide.llm', () => {
  it('takes a handoff over HTTP, lets the model decide, and reports the cost', async () => {
    const models = await startModelServer(() => ({ object: answer(), usage: { input: 1000, output: 100 } }));
    closers.push(() => models.close());
    const project = tempProject(projectFiles());
    closers.push(() => project.cleanup());
    const server: ServerProcess = await startServe(project.dir, await freePort(), {
      BATON_DATABASE_URL: `sqlite:${project.dir}/data/baton.db`,
      OPENAI_BASE_URL: `${models.url}/v1`,
      OPENAI_API_KEY: 'sk-serve-test-key-123',
    });
    closers.push(() => kill(server));
    const r = await fetch(`${server.url}/v1/flows/triage/handoffs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ticket()),
    });
    expect(r.status).toBe(202);
    const { id } = (await r.json()) as { id: string };
    let view: { state: string; decision: Record<string, unknown> | null; costUsd: number } | undefined;
    for (let i = 0; i < 200; i++) {
      view = (await (await fetch(`${server.url}/v1/handoffs/${id}`)).json()) as typeof view;
      if (view && !['received', 'building_context', 'deciding', 'acting'].includes(view.state)) break;
      await new Promise((res) => setTimeout(res, 25));
    }
    expect(view!.state).toBe('handed_off');
    expect(view!.decision).toMatchObject({ by: 'llm', owner: 'team:eng-oncall', model: 'openai:gpt-test' });
    expect(view!.costUsd).toBeCloseTo(0.0028, 9);
    expect(models.requests).toHaveLength(1);
    expect(models.requests[0]!.headers.authorization).toBe('Bearer sk-serve-test-key-123');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('baton_cost_usd_total{flow="triage"} 0.0028');
    expect(server.output()).not.toContain('sk-serve-test-key-123');
  });
});
