// `baton replay`: re-deciding past handoffs from their frozen inputs, in the service and through
// the real CLI against the local model server.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scriptedDecider } from '../src/decide/scripted.ts';
import { Replayer } from '../src/service/replay.ts';
import { startModelServer } from './support/model-server.ts';
import { answer, openLlm, projectFiles, ticket, TRIAGE_FLOW } from './support/llm-project.ts';
import { intakeActor } from './support/project.ts';
import { cliProject } from './cli/run.ts';

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

describe('Replayer', () => {
  it('reuses the stored answer when nothing changed, and calls no context source or action', async () => {
    const decider = scriptedDecider((_r, n) => ({ object: answer({ confidence: n === 0 ? 0.9 : 0.95 }) }));
    const t = await openLlm({ decider });
    closers.push(() => t.close());
    const { id } = await t.baton.send('triage', ticket(), intakeActor);
    await t.baton.engine.drain();
    const eventsBefore = (await t.baton.store.events(id)).length;
    const tasksBefore = (await t.baton.tasks()).length;
    const item = await new Replayer(t.baton, {}).one(id);
    expect(item).toMatchObject({ changed: false, answer: 'stored', costUsd: 0, differences: [] });
    expect(item.after).toMatchObject({ owner: 'team:eng-oncall', by: 'llm', confidence: 0.9 });
    expect(decider.requests).toHaveLength(1);
    // Nothing written, nothing run.
    expect((await t.baton.store.events(id)).length).toBe(eventsBefore);
    expect((await t.baton.tasks()).length).toBe(tasksBefore);
  });

  it('a changed prompt calls the model again and prints the difference', async () => {
    const decider = scriptedDecider((_r, n) =>
      n === 0
        ? { object: answer() }
        : { object: answer({ owner: 'team:eng-tier2', actions: ['ticket', 'reply'] }) },
    );
    const t = await openLlm({ decider });
    closers.push(() => t.close());
    const { id } = await t.baton.send('triage', ticket(), intakeActor);
    await t.baton.engine.drain();
    const file = path.join(t.dir, 'triage-v2.yaml');
    writeFileSync(file, TRIAGE_FLOW.replace('outages go to on-call', 'only outages go to on-call'));
    const item = await new Replayer(t.baton, { flowFile: file }).one(id);
    expect(item.answer).toBe('called');
    expect(decider.requests[1]!.system).toContain('only outages go to on-call');
    // The second request saw the same frozen context.
    expect(decider.requests[1]!.prompt).toBe(decider.requests[0]!.prompt);
    expect(item.changed).toBe(true);
    expect(item.differences).toEqual([
      'owner: team:eng-oncall -> team:eng-tier2',
      'actions: [ticket] -> [reply, ticket]',
    ]);
  });

  it('a changed rule decides without a model; --since counts the decisions that would change', async () => {
    const decider = scriptedDecider(() => ({ object: answer() }));
    const t = await openLlm({ decider });
    closers.push(() => t.close());
    for (const [i, amount] of [10, 60000, 500000].entries()) {
      await t.baton.send('triage', ticket({ id: `T-${i}`, amount }), intakeActor);
    }
    await t.baton.engine.drain();
    const file = path.join(t.dir, 'triage-v2.yaml');
    writeFileSync(
      file,
      TRIAGE_FLOW.replace('input.amount > 100000.0', 'input.amount > 50000.0').replace(
        'owner: team:eng-oncall, actions: [ticket] }',
        'owner: team:eng-tier2, actions: [ticket] }',
      ),
    );
    const summary = await new Replayer(t.baton, { flowFile: file }).since(Date.now() - 3600_000);
    expect(summary.replayed).toBe(3);
    // 60000: model → rule (tier2); 500000: rule on-call → rule tier2; 10: unchanged (stored answer).
    expect(summary.changed).toBe(2);
    expect(decider.requests).toHaveLength(2);
  });

  it('refuses a flow file of another flow and a handoff not decided yet', async () => {
    const t = await openLlm({ decider: scriptedDecider([]) });
    closers.push(() => t.close());
    const { id } = await t.baton.send('triage', ticket(), intakeActor);
    await expect(new Replayer(t.baton, {}).one(id)).rejects.toThrow(/no decision to replay/);
    const file = path.join(t.dir, 'flows', 'lead-to-owner.yaml');
    await expect(new Replayer(t.baton, { flowFile: file }).one(id)).rejects.toThrow(/belongs to flow triage/);
  });
});

describe('baton replay (CLI)', () => {
  it('re-decides with another model over HTTP to the model server and prints the difference', async () => {
    const server = await startModelServer((req) =>
      req.api === 'messages'
        ? { object: answer({ owner: 'team:eng-tier2', confidence: 0.8 }) }
        : { object: answer(), usage: { input: 500, output: 40 } },
    );
    closers.push(() => server.close());
    const p = cliProject(projectFiles());
    closers.push(() => p.cleanup());
    const env = {
      OPENAI_BASE_URL: `${server.url}/v1`,
      OPENAI_API_KEY: 'sk-cli-test-key',
      ANTHROPIC_BASE_URL: `${server.url}/v1`,
      ANTHROPIC_API_KEY: 'sk-ant-cli-test-key',
    };
    const sent = await p.json<{ id: string }>(['send', 'triage', JSON.stringify(ticket())], { env });
    const shown = await p.run(['show', sent.id], { env });
    expect(shown.stdout).toContain('decision  team:eng-oncall by llm openai:gpt-test, confidence 0.9');
    expect(shown.stdout).toContain('evidence input.body');
    expect(shown.stdout).toMatch(/cost +\$0\.\d{4}/);
    const same = await p.run(['replay', sent.id], { env });
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('no change');
    expect(same.stdout).toContain('[stored answer: request unchanged]');
    const other = await p.run(['replay', sent.id, '--model', 'anthropic:claude-test'], { env });
    expect(other.stderr).toBe('');
    expect(other.stdout).toContain('changed owner: team:eng-oncall -> team:eng-tier2');
    expect(other.stdout).toMatch(/\[model called: \$0\.\d{4}\]/);
    const many = await p.run(['replay', '--since', '1d', '--model', 'anthropic:claude-test'], { env });
    expect(many.stdout).toContain('replayed 1 handoff: 1 would change (100%)');
    const bad = await p.run(['replay'], { env });
    expect(bad.code).toBe(2);
    expect(server.requests.map((r) => r.api)).toEqual(['responses', 'messages', 'messages']);
  });
});
