// Every action's and context source's parameters as JSON Schema, from the zod schemas that
// validate them: published in `baton schema flow` (so an editor checks a flow's `with:`) and in
// the OpenAPI document (components `action.ID` / `source.ID`).
import { z } from 'zod';
import type { Registry } from './registry.ts';

export interface UseSchema {
  id: string;
  kind: 'action' | 'source';
  description?: string;
  /** Actions: the declared risk level. */
  risk?: string;
  /** Sources: the declared trust. */
  trust?: string;
  params: Record<string, unknown>;
}

const toJson = (schema: unknown): Record<string, unknown> => {
  try {
    const { $schema: _drop, ...rest } = z.toJSONSchema(schema as z.ZodType, {
      target: 'draft-2020-12',
      io: 'input',
      unrepresentable: 'any',
    });
    return rest;
  } catch {
    return {}; // a schema zod cannot express (a custom check): any value
  }
};

export function useSchemas(registry: Registry): UseSchema[] {
  const out: UseSchema[] = [];
  for (const id of registry.actionIds()) {
    const a = registry.action(id)!;
    out.push({
      id,
      kind: 'action',
      ...(a.description ? { description: a.description } : {}),
      risk: a.risk,
      params: toJson(a.params),
    });
  }
  for (const id of registry.sourceIds()) {
    const s = registry.source(id)!;
    out.push({
      id,
      kind: 'source',
      ...(s.description ? { description: s.description } : {}),
      trust: s.trust,
      params: toJson(s.params),
    });
  }
  return out;
}

/**
 * The schemas of a project's actions and sources: the built-ins, the project's own modules and
 * its connectors (opened to learn their tools, then closed). Without a project that loads, the
 * built-ins only.
 */
export async function projectUseSchemas(dir: string): Promise<UseSchema[]> {
  const { Registry } = await import('./registry.ts');
  const { Tables } = await import('./tables.ts');
  const { loadProject } = await import('../project/load.ts');
  const { openConnectors, closeConnectors } = await import('../connectors/configure.ts');
  const { OutboundPolicy } = await import('../outbound/policy.ts');
  const { Directory } = await import('../engine/directory.ts');
  let project;
  try {
    project = await loadProject(dir);
  } catch {
    return useSchemas(new Registry(new Tables(new Map())));
  }
  const registry = new Registry(new Tables(project.tables));
  await registry.loadProjectModules(project.actionsDir, project.dir);
  const open = await openConnectors(project.connectors, registry, {
    outbound: new OutboundPolicy(project.def.outbound),
    projectDir: project.dir,
    people: new Directory(project.def),
  });
  try {
    return useSchemas(registry);
  } finally {
    await closeConnectors(open);
  }
}
