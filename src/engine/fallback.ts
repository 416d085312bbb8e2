// A flow written for a connector still runs where that connector is not configured: a context
// entry or action may name a `fallback` (usually a built-in), used when the registry has no
// `use`. Resolved when the step runs, from the registry of this process; the action record and
// the context provenance keep what was actually used.
import type { Registry } from '../actions/registry.ts';
import type { ParamsTemplate } from '../flow/compiled.ts';

export interface Resolved {
  use: string;
  with: ParamsTemplate;
  /** The connector's `use` was not available: this is the fallback. */
  fellBack: boolean;
}

interface Entry {
  use: string;
  with: ParamsTemplate;
  fallback?: { use: string; with: ParamsTemplate };
}

export function resolveSource(c: Entry, registry: Registry): Resolved {
  if (c.fallback && !registry.source(c.use)) return { ...c.fallback, fellBack: true };
  return { use: c.use, with: c.with, fellBack: false };
}

export function resolveAction(
  a: { def: { use: string }; with: ParamsTemplate; fallback?: Entry['fallback'] },
  registry: Registry,
): Resolved {
  if (a.fallback && !registry.action(a.def.use)) return { ...a.fallback, fellBack: true };
  return { use: a.def.use, with: a.with, fellBack: false };
}
