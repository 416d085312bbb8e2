// What `baton validate` warns about: flows that load and run, but where the people of
// baton.yaml or the flow's own settings mean the gate cannot work as written. Warnings, not
// errors, because a person may be added later (or the flow means it); `--strict` fails on them.
//
//   - an approval level nobody can give (a role nobody holds, a team without people), or
//     whose quorum is more than the people who could vote, or (quorum 2 or more) than those
//     left once a requester is out (the approval then escalates at once: approval_unreachable);
//   - onTimeout approve / approve-all on a high-risk action: it can run with no human at all;
//   - untrusted text (a free-text input field, an untrusted context source) in the parameters
//     of an outbound or high-risk action: it will wait for approval at the trust boundary.
import type { ErrorDetail } from '../core/errors.ts';
import type { RiskLevel } from '../core/flow-schema.ts';
import { isInternal } from '../actions/define.ts';
import type { Registry } from '../actions/registry.ts';
import { schemaTrust } from '../decide/fields.ts';
import type { Directory } from '../engine/directory.ts';
import { personNamed } from '../core/requester.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import { YamlSource, type Path } from '../flow/yaml-source.ts';

export function flowWarnings(
  flows: Iterable<CompiledFlow>,
  registry: Registry,
  directory: Directory,
): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  for (const flow of flows) {
    const src = new YamlSource(flow.source, flow.file);
    const warn = (path: Path, message: string) => out.push(src.detail(path, message));
    approverWarnings(flow, directory, warn);
    timeoutWarnings(flow, registry, warn);
    trustWarnings(flow, registry, warn);
  }
  return out;
}

type Warn = (path: Path, message: string) => void;

/** The requester when the flow's expression does not depend on the handoff (a constant), if it names a person. */
function fixedRequester(flow: CompiledFlow, directory: Directory): string | undefined {
  try {
    const v = flow.requester?.eval({ input: {}, context: {}, decision: {}, handoff: { id: '', flow: '' } });
    return personNamed(v, directory.personIds());
  } catch {
    return undefined; // it reads the handoff: known only at run time
  }
}

function approverWarnings(flow: CompiledFlow, directory: Directory, warn: Warn): void {
  const asks = flow.def.requester !== undefined;
  const fixed = fixedRequester(flow, directory);
  flow.def.actions.forEach((a, i) =>
    a.approval?.levels.forEach((l, j) => {
      const path = ['actions', i, 'approval', 'levels', j];
      const who = directory.possibleVoters(l.approvers, new Set());
      const names = l.approvers.join(', ');
      const besides = fixed ? directory.possibleVoters(l.approvers, new Set([fixed])) : who;
      if (who.length === 0) {
        warn(
          [...path, 'approvers'],
          `nobody in baton.yaml can approve this level (${names}): give someone the role or add people, or it escalates every time (approval_unreachable)`,
        );
      } else if (who.length < l.quorum) {
        warn(
          [...path, 'quorum'],
          `quorum ${l.quorum} but only ${who.length} of the people in baton.yaml (${who.join(', ')}) can approve: it escalates every time (approval_unreachable)`,
        );
      } else if (besides.length < l.quorum) {
        warn(
          [...path, 'approvers'],
          `without the requester ${fixed ?? ''}, who may not approve, ${names} cannot reach the quorum of ${l.quorum}: it escalates every time (approval_unreachable)`,
        );
      } else if (asks && l.quorum > 1 && who.length === l.quorum) {
        // Four eyes among exactly that many people breaks whenever one of them asks. (A single
        // approver asking for their own is escalated at run time; that set-up is deliberate.)
        warn(
          [...path, 'approvers'],
          `quorum ${l.quorum} and only ${who.join(', ')} can approve: when one of them is the requester, the quorum cannot be met and it escalates (approval_unreachable)`,
        );
      }
    }),
  );
}

/** The `use` and `with` that run here: the fallback where the connector is not configured. */
function used<
  T extends { use: string; with: unknown; fallback?: { use: string; with: unknown } | undefined },
>(entry: T, has: (use: string) => boolean): { use: string; with: unknown } {
  return !has(entry.use) && entry.fallback ? entry.fallback : entry;
}

function riskOf(flow: CompiledFlow, i: number, registry: Registry): RiskLevel {
  const a = flow.def.actions[i]!;
  return a.risk ?? registry.action(used(a, (u) => !!registry.action(u)).use)?.risk ?? 'high';
}

function timeoutWarnings(flow: CompiledFlow, registry: Registry, warn: Warn): void {
  flow.def.actions.forEach((a, i) => {
    const how = a.approval?.onTimeout;
    if ((how !== 'approve' && how !== 'approve-all') || riskOf(flow, i, registry) !== 'high') return;
    warn(
      ['actions', i, 'approval', 'onTimeout'],
      how === 'approve-all'
        ? `a timeout approves the whole gate: ${a.id} (${a.use}, high risk) runs with no human approval if the first level does not answer in time`
        : `${a.id} (${a.use}) is high risk: if every level times out it runs with no human approval (use escalate or reject)`,
    );
  });
  const risk = flow.def.guardrails.riskApproval;
  if (risk?.onTimeout === 'approve')
    warn(
      ['guardrails', 'riskApproval', 'onTimeout'],
      `a timeout approves: actions of risk ${risk.atLeast} or higher can run with no human approval`,
    );
}

/** `input.x` / `context.y` read inside `${…}` of a template. */
function references(text: string): Array<{ root: 'input' | 'context'; name: string }> {
  const out: Array<{ root: 'input' | 'context'; name: string }> = [];
  for (const m of text.matchAll(/\$\{([^}]*)\}/g))
    for (const r of m[1]!.matchAll(/\b(input|context)\.([A-Za-z_][A-Za-z0-9_]*)/g))
      out.push({ root: r[1] as 'input' | 'context', name: r[2]! });
  return out;
}

/** Every string of a `with:` block, with its path. */
function strings(value: unknown, path: Path, out: Array<[Path, string]> = []): Array<[Path, string]> {
  if (typeof value === 'string') out.push([path, value]);
  else if (Array.isArray(value)) value.forEach((v, i) => strings(v, [...path, i], out));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) strings(v, [...path, k], out);
  return out;
}

function trustWarnings(flow: CompiledFlow, registry: Registry, warn: Warn): void {
  const props = (flow.def.input.properties ?? {}) as Record<string, unknown>;
  const untrustedContext = new Set(
    flow.def.context
      .filter(
        (c) => (c.trust ?? registry.source(used(c, (u) => !!registry.source(u)).use)?.trust) === 'untrusted',
      )
      .map((c) => c.name),
  );
  flow.def.actions.forEach((a, i) => {
    const run = used(a, (u) => !!registry.action(u));
    const def = registry.action(run.use);
    const outbound = !!def && !isInternal(def) && def.outbound === true;
    const high = riskOf(flow, i, registry) === 'high';
    if (!outbound && !high) return;
    const kind = outbound ? 'outbound' : 'high-risk';
    const seen = new Set<string>();
    const at = run === a ? ['actions', i, 'with'] : ['actions', i, 'fallback', 'with'];
    for (const [path, text] of strings(run.with, at)) {
      for (const r of references(text)) {
        const untrusted =
          r.root === 'input' ? schemaTrust(props[r.name]) === 'untrusted' : untrustedContext.has(r.name);
        const field = `${r.root}.${r.name}`;
        if (!untrusted || seen.has(field)) continue;
        seen.add(field);
        const fix =
          r.root === 'input'
            ? `constrain it in the input schema (enum, format, pattern) or mark it x-trust: trusted if it is not free text`
            : `the source is untrusted`;
        warn(
          path,
          `untrusted ${field} reaches ${kind} action ${a.id} (${run.use}): each run waits for approval at the trust boundary (${fix})`,
        );
      }
    }
  });
}
