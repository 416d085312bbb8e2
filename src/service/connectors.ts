// What `baton connectors` shows and checks: each configured connector with its settings (secrets
// as ***), its actions (risk, how a repeat is safe, how it is undone) and context sources (trust),
// the flow entries that fall back because their connector is not configured, and a check that
// makes one read call per connector with a time limit.
import { errorText } from '../core/errors.ts';
import type { Registry } from '../actions/registry.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import type { OpenConnector } from '../connectors/configure.ts';
import { CONNECTOR_TYPES } from '../connectors/catalog.ts';

export interface ConnectorActionView {
  id: string;
  description: string | null;
  risk: string;
  idempotent: boolean;
  idempotency: string | null;
  /** `rollback`, or why it cannot be undone. */
  undo: string;
}

export interface ConnectorView {
  name: string;
  type: string;
  description: string;
  settings: Record<string, unknown>;
  actions: ConnectorActionView[];
  sources: Array<{ id: string; description: string | null; trust: string; untrustedFields: string[] }>;
}

export interface FallbackView {
  flow: string;
  /** `context.account` or `actions.tell`. */
  entry: string;
  use: string;
  fallback: string;
}

export interface ConnectorsView {
  items: ConnectorView[];
  /** Flow entries whose connector is not configured here: they run their fallback. */
  fallbacks: FallbackView[];
  /** The connector types Baton ships. */
  types: string[];
}

export function connectorsView(
  open: readonly OpenConnector[],
  flows: Iterable<CompiledFlow>,
  registry: Registry,
): ConnectorsView {
  const items = open.map(({ configured, instance }): ConnectorView => ({
    name: configured.name,
    type: configured.type,
    description: configured.definition.description,
    settings: configured.display,
    actions: instance.actions.map((a) => ({
      id: a.id,
      description: a.description ?? null,
      risk: a.risk,
      idempotent: a.idempotent,
      idempotency: a.idempotency ?? null,
      undo: a.rollback ? 'rollback' : (a.irreversible ?? 'none declared'),
    })),
    sources: instance.sources.map((s) => ({
      id: s.id,
      description: s.description ?? null,
      trust: s.trust,
      untrustedFields: [...(s.untrustedFields ?? [])],
    })),
  }));
  return {
    items,
    fallbacks: fallbacksOf(flows, registry),
    types: [...CONNECTOR_TYPES.keys()].sort(),
  };
}

/** The entries of the flows that use a fallback, because the registry lacks their `use`. */
export function fallbacksOf(flows: Iterable<CompiledFlow>, registry: Registry): FallbackView[] {
  const out: FallbackView[] = [];
  for (const f of flows) {
    for (const c of f.context)
      if (c.fallback && !registry.source(c.use))
        out.push({ flow: f.def.id, entry: `context.${c.name}`, use: c.use, fallback: c.fallback.use });
    for (const a of f.actions)
      if (a.fallback && !registry.action(a.def.use))
        out.push({ flow: f.def.id, entry: `actions.${a.def.id}`, use: a.def.use, fallback: a.fallback.use });
  }
  return out;
}

export interface ConnectorCheck {
  name: string;
  type: string;
  ok: boolean;
  /** What the read found, or what to fix. */
  message: string;
  ms: number;
}

/** One read call per connector (or the one named), each within `timeoutMs`. */
export async function checkConnectors(
  open: readonly OpenConnector[],
  name: string | undefined,
  timeoutMs = 15_000,
): Promise<ConnectorCheck[]> {
  const chosen = name === undefined ? open : open.filter((o) => o.configured.name === name);
  return Promise.all(
    chosen.map(async ({ configured, instance }) => {
      const started = Date.now();
      try {
        const message = await instance.check(AbortSignal.timeout(timeoutMs));
        return { name: configured.name, type: configured.type, ok: true, message, ms: Date.now() - started };
      } catch (e) {
        const message =
          e instanceof DOMException && e.name === 'TimeoutError'
            ? `no answer in ${timeoutMs} ms`
            : errorText(e);
        return { name: configured.name, type: configured.type, ok: false, message, ms: Date.now() - started };
      }
    }),
  );
}
