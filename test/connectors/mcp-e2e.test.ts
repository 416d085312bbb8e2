// The mcp connector through the service: baton.yaml starts server-memory over stdio, a flow
// reads its graph as (untrusted) context and writes an entity with a tool whose name it uses
// as `memory.create_entities`; rollback reports the tool call as not reversible.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLES, asUser, intakeActor, openTemp, settleAll } from '../support/project.ts';

const require = createRequire(import.meta.url);
const memoryJs = require.resolve('@modelcontextprotocol/server-memory/dist/index.js');
const dir = mkdtempSync(path.join(tmpdir(), 'baton-mcp-e2e-'));
let env: Awaited<ReturnType<typeof openTemp>> | undefined;
afterAll(async () => {
  await env?.close();
  rmSync(dir, { recursive: true, force: true });
});

const batonYaml = () => `${readFileSync(path.join(EXAMPLES, 'baton.yaml'), 'utf8')}
connectors:
  memory:
    type: mcp
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(memoryJs)}]
    env: { MEMORY_FILE_PATH: ${JSON.stringify(path.join(dir, 'memory.jsonl'))} }
`;

const flow = `id: remember
name: Remember
boundary: { from: team:ops, to: team:finance }
input: { type: object, required: [id, company], properties: { id: { type: string }, company: { type: string } } }
idempotencyKey: input.id
context:
  - name: graph
    use: memory.read_graph
decide:
  otherwise: { owner: team:finance }
actions:
  - id: note
    use: memory.create_entities
    with:
      entities:
        - { name: "\${input.company}", entityType: company, observations: ["handed to finance"] }
`;

const settle = (ms = 8000): Promise<void> => settleAll(env!.baton, ms);

describe('mcp connector in a flow', () => {
  it('reads a tool as context, calls a tool as an action, and says the call cannot be undone', async () => {
    env = await openTemp({ 'baton.yaml': batonYaml(), 'flows/remember.yaml': flow }, { worker: false });
    const { baton } = env;
    const { id } = await baton.send('remember', { id: 'M1', company: 'Globex' }, intakeActor);
    await settle();
    const h = await baton.get(id);
    expect(h.state).toBe('handed_off');
    expect(h.provenance?.[0]).toMatchObject({ name: 'graph', use: 'memory.read_graph', trust: 'untrusted' });
    expect(h.actions[0]).toMatchObject({ id: 'note', use: 'memory.create_entities', state: 'succeeded' });
    expect(readFileSync(path.join(dir, 'memory.jsonl'), 'utf8')).toContain('Globex');
    const back = await baton.rollback(id, asUser('ari', 'operator'));
    const notReversible = back.events.find((e) => e.type === 'action_not_reversible');
    expect(notReversible?.data).toMatchObject({
      action: 'note',
      reason: expect.stringMatching(/MCP has no undo/),
    });
  });
});
