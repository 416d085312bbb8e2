// Opening one connector as Baton does (settings read as from baton.yaml, actions wrapped and
// named NAME.id) and calling its actions and sources the way the engine would: parameters
// parsed by the action's schema, capture before run, rollback with what capture read.
import { expect } from 'vitest';
import { Registry } from '../../src/actions/registry.ts';
import { Tables } from '../../src/actions/tables.ts';
import type { ActionContext } from '../../src/actions/define.ts';
import type { ConnectorDefinition, ConnectorInstance } from '../../src/connectors/define.ts';
import { openConnectors, readConnectors } from '../../src/connectors/configure.ts';
import { OutboundPolicy } from '../../src/outbound/policy.ts';
import { ROOT } from './project.ts';

export async function openConnector(
  name: string,
  definition: ConnectorDefinition<never>,
  settings: Record<string, unknown>,
): Promise<ConnectorInstance> {
  const { configured, problems } = readConnectors({ [name]: { type: definition.type, ...settings } });
  expect(problems).toEqual([]);
  const registry = new Registry(new Tables(new Map()));
  const [opened] = await openConnectors(configured, registry, {
    outbound: new OutboundPolicy({ allowHosts: ['127.0.0.1'] }),
    projectDir: ROOT,
    people: { usersOf: () => [], person: () => undefined },
  });
  return opened!.instance;
}

export interface Step {
  params: unknown;
  result: unknown;
  undo: unknown;
  ctx: ActionContext;
}

/** The context the engine gives an action call. */
export const actionContext = (actionId: string, key: string): ActionContext => ({
  handoffId: 'h_test',
  flow: 'test',
  actionId,
  idempotencyKey: key,
  owner: 'ops',
  signal: AbortSignal.timeout(10_000),
  outbound: new OutboundPolicy({ allowHosts: ['127.0.0.1'] }),
});

/** capture → run, as the engine does; `key` is the step's idempotency key. */
export async function runAction(
  inst: ConnectorInstance,
  id: string,
  raw: unknown,
  key: string,
): Promise<Step> {
  const a = inst.actions.find((x) => x.id === id);
  if (!a) throw new Error(`no action ${id}`);
  const params: unknown = a.params.parse(raw);
  const ctx = actionContext(id, key);
  const undo: unknown = a.capture ? await a.capture(params, ctx) : undefined;
  const result: unknown = await a.run(params, { ...ctx, signal: AbortSignal.timeout(10_000) });
  return { params, result, undo, ctx };
}

/** The step's rollback, with what capture read. */
export async function rollback(inst: ConnectorInstance, id: string, step: Step): Promise<unknown> {
  const a = inst.actions.find((x) => x.id === id)!;
  return a.rollback!(step.params, step.result, {
    ...step.ctx,
    signal: AbortSignal.timeout(10_000),
    undo: step.undo,
  });
}

export async function fetchSource(inst: ConnectorInstance, id: string, raw: unknown): Promise<unknown> {
  const s = inst.sources.find((x) => x.id === id);
  if (!s) throw new Error(`no source ${id}`);
  return s.fetch(s.params.parse(raw), {
    handoffId: 'h_test',
    flow: 'test',
    signal: AbortSignal.timeout(10_000),
  });
}
