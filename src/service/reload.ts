// Reloading flow files while the server runs: each file that loads publishes its flow's new
// version (by content hash) and makes it live for new handoffs; running handoffs keep the
// version they pinned. A file that fails to load keeps the flow it held live and is reported
// with its file, line and field; nothing about a bad edit stops the server.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ErrorDetail } from '../core/errors.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import { checkFlowsDir } from '../flow/load.ts';
import { intakeTriggerProblems } from '../intake/triggers-check.ts';
import type { Project } from '../project/load.ts';
import { checkFlowOwners, checkLookupTables, knownOwners } from '../project/references.ts';
import type { Registry } from '../actions/registry.ts';
import type { Store } from '../store/port.ts';
import { isInternal, urlParamsOf } from '../actions/define.ts';
import { fixesAuthority } from '../flow/url-template.ts';
import { YamlSource, type Path } from '../flow/yaml-source.ts';

export type FlowChange = 'added' | 'updated' | 'unchanged' | 'removed' | 'kept';

export interface FlowReloadItem {
  id: string;
  /** The live version after the reload (for `removed`: the version that was live). */
  version: string;
  /** The version live before, when it changed. */
  previous?: string;
  /** The file relative to the project. */
  file: string;
  /** `kept`: its file did not load, the version before stays live. */
  change: FlowChange;
}

export interface FlowReload {
  flows: FlowReloadItem[];
  /** What kept a file from loading, each with file, line and field. */
  errors: ErrorDetail[];
}

/**
 * Every `use:` of a flow must name an action or context source the registry has, no `${…}` may
 * set the scheme or host of an action's URL parameter, and only calls out of Baton may be priced.
 */
export function flowUseProblems(f: CompiledFlow, registry: Registry): Array<ErrorDetail & { file: string }> {
  const problems: Array<ErrorDetail & { file: string }> = [];
  const at = (p: Path, message: string) => ({
    ...new YamlSource(f.source, f.file).detail(p, message),
    file: f.file,
  });
  f.actions.forEach((compiled, i) => {
    for (const key of urlParamsOf(registry.action(compiled.def.use))) {
      const lits = compiled.with.literals(key);
      if (lits && !fixesAuthority(lits[0]!))
        problems.push(
          at(
            ['actions', i, 'with', key],
            'a ${…} may not set the scheme or host of a URL: write them literally (https://api.example.com/…) and put ${…} in the path or query, or give the whole URL as one ${…}',
          ),
        );
    }
  });
  f.def.actions.forEach((a, i) => {
    const def = registry.action(a.use);
    if (a.cost !== undefined && def && isInternal(def))
      problems.push(
        at(
          ['actions', i, 'cost'],
          `${a.use} only writes Baton's own records and costs nothing: \`cost\` prices calls of paid APIs`,
        ),
      );
    if (!def && a.fallback) {
      if (!registry.action(a.fallback.use))
        problems.push(
          at(['actions', i, 'fallback', 'use'], unknown('action', a.fallback.use, registry.actionIds())),
        );
      return; // the fallback runs: the rollback of the missing connector's action does not apply
    }
    if (!def)
      problems.push({
        file: f.file,
        path: `actions[${i}].use`,
        message: unknown('action', a.use, registry.actionIds()),
      });
    const rb = typeof a.rollback === 'string' ? a.rollback : a.rollback?.use;
    if (rb && !registry.action(rb))
      problems.push({ file: f.file, path: `actions[${i}].rollback`, message: `unknown action ${rb}` });
  });
  f.def.context.forEach((c, i) => {
    if (registry.source(c.use)) return;
    if (c.fallback) {
      if (!registry.source(c.fallback.use))
        problems.push(
          at(
            ['context', i, 'fallback', 'use'],
            unknown('context source', c.fallback.use, registry.sourceIds()),
          ),
        );
      return;
    }
    problems.push({
      file: f.file,
      path: `context[${i}].use`,
      message: unknown('context source', c.use, registry.sourceIds()),
    });
  });
  // A schedule's sweep reads a context source too.
  const query = f.def.trigger.schedule?.query;
  if (query && !registry.source(query.use))
    problems.push(
      at(
        ['trigger', 'schedule', 'query', 'use'],
        // A sweep has no fallback: without its source there is nothing to sweep.
        unknown('context source', query.use, registry.sourceIds()).replace(
          ', or give this entry a `fallback:` such as a built-in',
          '',
        ),
      ),
    );
  return problems;
}

/**
 * Why a `use` is unknown: a connector that is not configured says how to configure it (or to
 * give a fallback); otherwise the names that exist.
 */
function unknown(kind: string, use: string, have: string[]): string {
  const connector = use.slice(0, use.indexOf('.'));
  const configured = new Set(have.map((id) => id.slice(0, id.indexOf('.'))));
  if (!configured.has(connector))
    return `${kind} ${use}: no connector ${connector} is configured (add connectors.${connector} to baton.yaml, or give this entry a \`fallback:\` such as a built-in)`;
  return `unknown ${kind} ${use} (have: ${have.join(', ')})`;
}

/** The file relative to the project, not a path on the server's disk. */
const relative = (project: Project, file: string): string => path.relative(project.dir, file);

/** Stores a flow's version by its content hash, so a handoff can pin it (at start and at reload). */
/**
 * What keeps flows that compile from going live in this project: owners it does not declare,
 * tables it lacks, triggers its connectors cannot serve, actions and sources it does not have.
 * A reload checks every file with it; a draft from the editor is checked with it too.
 */
export function projectProblems(
  flows: readonly CompiledFlow[],
  project: Project,
  registry: Registry,
): ErrorDetail[] {
  const people = { people: [...project.people.values()], teams: [...project.teams.values()] };
  return [
    ...checkFlowOwners(flows, knownOwners(people)),
    // Tables are read at start: a flow that looks up one the project lacks does not go live.
    ...checkLookupTables(flows, new Set(project.tables.keys())),
    ...intakeTriggerProblems(flows, project.connectors),
    ...flows.flatMap((f) => flowUseProblems(f, registry)),
  ];
}

export function publishVersion(store: Store, f: CompiledFlow): Promise<void> {
  return store.publishFlow({
    version: f.version,
    flowId: f.def.id,
    name: f.def.name,
    def: f.def,
    source: f.source,
    publishedAt: Date.now(),
  });
}

/**
 * Reads the project's flow files again and swaps the good ones into `project.flows` (the map the
 * engine reads), after publishing their versions; `versions` (the engine's compiled versions)
 * learns the new ones.
 */
export async function reloadFlows(
  project: Project,
  registry: Registry,
  store: Store,
  versions: Map<string, CompiledFlow>,
): Promise<FlowReload> {
  const { flows: fresh, errors } = await checkFlowsDir(project.flowsDir);
  errors.push(...projectProblems([...fresh.values()], project, registry));
  const badFiles = new Set(errors.map((e) => e.file).filter((f) => f !== undefined));

  const before = new Map(project.flows);
  const next = new Map<string, CompiledFlow>();
  const items: FlowReloadItem[] = [];
  // A file that does not load keeps what it held, as long as the file is still there.
  for (const old of before.values()) {
    if (badFiles.has(old.file) && existsSync(old.file)) next.set(old.def.id, old);
  }
  for (const f of fresh.values()) {
    if (badFiles.has(f.file) || next.has(f.def.id)) continue;
    next.set(f.def.id, f);
  }
  for (const f of next.values()) {
    const old = before.get(f.def.id);
    if (old === f) {
      items.push({ id: f.def.id, version: f.version, file: relative(project, f.file), change: 'kept' });
      continue;
    }
    if (old?.version !== f.version) {
      // Published before it is live: an intake never pins a version the store lacks.
      await publishVersion(store, f);
    }
    versions.set(f.version, versions.get(f.version) ?? f);
    const change: FlowChange = !old ? 'added' : old.version === f.version ? 'unchanged' : 'updated';
    items.push({
      id: f.def.id,
      version: f.version,
      ...(change === 'updated' ? { previous: old!.version } : {}),
      file: relative(project, f.file),
      change,
    });
  }
  for (const old of before.values()) {
    if (!next.has(old.def.id))
      items.push({
        id: old.def.id,
        version: old.version,
        file: relative(project, old.file),
        change: 'removed',
      });
  }
  // In place: the engine and the service hold this map.
  project.flows.clear();
  for (const [id, f] of next) project.flows.set(id, f);
  items.sort((a, b) => a.id.localeCompare(b.id));
  return {
    flows: items,
    errors: errors.map((e) => (e.file ? { ...e, file: relative(project, e.file) } : e)),
  };
}
