// Cross-file checks: people, teams and roles referenced by the project file and by flows must
// be declared in baton.yaml (a role by someone holding it). Templated owners are known only at
// run time, where the engine applies the same check (core/owner.ts).
import type { ErrorDetail } from '../core/errors.ts';
import type { ProjectDef } from '../core/project-schema.ts';
import { parseOwner, unknownOwner, type KnownOwners } from '../core/owner.ts';
import { delegationWindow } from '../core/delegation.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import { YamlSource, type Path } from '../flow/yaml-source.ts';

/** The owners a project declares. */
export function knownOwners(def: Pick<ProjectDef, 'people' | 'teams'>): KnownOwners {
  return {
    people: new Set(def.people.map((p) => p.id)),
    teams: new Set(def.teams.map((t) => t.id)),
    roles: new Set(def.people.flatMap((p) => p.roles)),
  };
}

/** Why an owner literal is unknown, or undefined when it is fine (malformed ones are the flow's error). */
export function undeclaredOwner(owner: string, d: KnownOwners): string | undefined {
  // A role nobody holds yet is `baton validate`'s warning at load, not an error.
  const o = parseOwner(owner);
  return o && o.kind !== 'role' ? unknownOwner(owner, d) : undefined;
}

/** Problems in the project file's own people and teams (duplicates, undeclared members). */
export function checkDirectory(def: ProjectDef, src: YamlSource, explicitFallback: boolean): ErrorDetail[] {
  const errors: ErrorDetail[] = [];
  const people = new Set<string>();
  def.people.forEach((p, i) => {
    if (people.has(p.id)) errors.push(src.detail(['people', i, 'id'], `duplicate person "${p.id}"`));
    people.add(p.id);
  });
  const teams = new Set<string>();
  def.teams.forEach((t, i) => {
    if (teams.has(t.id)) errors.push(src.detail(['teams', i, 'id'], `duplicate team "${t.id}"`));
    teams.add(t.id);
    t.members.forEach((m, j) => {
      if (!people.has(m))
        errors.push(
          src.detail(['teams', i, 'members', j], `unknown person "${m}": declare it under people:`),
        );
    });
    if (t.manager !== undefined && !people.has(t.manager)) {
      errors.push(
        src.detail(['teams', i, 'manager'], `unknown person "${t.manager}": declare it under people:`),
      );
    }
  });
  def.delegations.forEach((d, i) => {
    for (const field of ['from', 'to'] as const)
      if (!people.has(d[field]))
        errors.push(
          src.detail(['delegations', i, field], `unknown person "${d[field]}": declare it under people:`),
        );
    if (d.from === d.to)
      errors.push(src.detail(['delegations', i, 'to'], 'a person cannot stand in for themselves'));
    const w = delegationWindow(d);
    if (d.since !== undefined && w.end <= w.start)
      errors.push(src.detail(['delegations', i, 'until'], `ends before it starts (since ${d.since})`));
  });
  if (explicitFallback) {
    const why = undeclaredOwner(def.fallbackOwner, { ...knownOwners(def), people, teams });
    if (why) errors.push(src.detail(['fallbackOwner'], why));
  }
  return errors;
}

/** Delegations limited to flows must name flows of the project. */
export function checkDelegationFlows(
  def: ProjectDef,
  src: YamlSource,
  flows: ReadonlySet<string>,
): ErrorDetail[] {
  const errors: ErrorDetail[] = [];
  def.delegations.forEach((d, i) =>
    d.flows?.forEach((f, j) => {
      if (!flows.has(f))
        errors.push(
          src.detail(
            ['delegations', i, 'flows', j],
            `unknown flow "${f}" (have: ${[...flows].join(', ') || 'none'})`,
          ),
        );
    }),
  );
  return errors;
}

/** Every literal owner of a flow, with its path. */
function ownerLiterals(flow: CompiledFlow): Array<[Path, string]> {
  const d = flow.def;
  const out: Array<[Path, string]> = [
    [['boundary', 'from'], d.boundary.from],
    [['boundary', 'to'], d.boundary.to],
  ];
  if (d.handoff.fallbackOwner) out.push([['handoff', 'fallbackOwner'], d.handoff.fallbackOwner]);
  d.handoff.escalate.forEach((s, i) => {
    if (s.to && s.to !== 'manager') out.push([['handoff', 'escalate', i, 'to'], s.to]);
    if (typeof s.decide === 'object')
      out.push([['handoff', 'escalate', i, 'decide', 'reassign'], s.decide.reassign]);
  });
  d.actions.forEach((a, i) =>
    a.approval?.levels.forEach((l, j) =>
      l.approvers.forEach((o, k) => out.push([['actions', i, 'approval', 'levels', j, 'approvers', k], o])),
    ),
  );
  d.decide.rules.forEach((r, i) => out.push([['decide', 'rules', i, 'owner'], r.owner]));
  out.push([['decide', 'otherwise', 'owner'], d.decide.otherwise.owner]);
  d.decide.llm?.owners.forEach((o, i) => out.push([['decide', 'llm', 'owners', i], o]));
  if (!d.handoff.to.includes('${')) out.push([['handoff', 'to'], d.handoff.to]);
  return out.filter(([, o]) => !o.includes('${'));
}

/** Flow owners that name people or teams the project does not declare. */
export function checkFlowOwners(flows: Iterable<CompiledFlow>, declared: KnownOwners): ErrorDetail[] {
  const errors: ErrorDetail[] = [];
  for (const flow of flows) {
    let src: YamlSource | undefined;
    for (const [path, owner] of ownerLiterals(flow)) {
      const why = undeclaredOwner(owner, declared);
      if (!why) continue;
      src ??= new YamlSource(flow.source, flow.file);
      errors.push(src.detail(path, why));
    }
  }
  return errors;
}

/** `builtin.lookup` of a table the project does not have (a literal `table:`; templated ones are known at run time). */
export function checkLookupTables(flows: Iterable<CompiledFlow>, tables: ReadonlySet<string>): ErrorDetail[] {
  const errors: ErrorDetail[] = [];
  for (const flow of flows) {
    flow.def.context.forEach((c, i) => {
      // The entry itself, or its fallback (a lookup where a connector is not configured).
      const [entry, at] =
        c.use === 'builtin.lookup' || !c.fallback
          ? [c, ['context', i]]
          : [c.fallback, ['context', i, 'fallback']];
      const table = entry.with['table'];
      if (entry.use !== 'builtin.lookup' || typeof table !== 'string' || table.includes('${')) return;
      if (tables.has(table)) return;
      errors.push(
        new YamlSource(flow.source, flow.file).detail(
          [...at, 'with', 'table'],
          `lookup table "${table}" does not exist (have: ${[...tables].join(', ') || 'none'}): add tables/${table}.csv or tables/${table}.yaml`,
        ),
      );
    });
  }
  return errors;
}
