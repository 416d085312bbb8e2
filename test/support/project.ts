// Shared fixtures: a temporary copy of the example project, opened on a fresh SQLite store.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Baton, type OpenOptions } from '../../src/service/baton.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const EXAMPLES = path.join(ROOT, 'examples');

/** The tests' receivers listen on loopback, which outbound calls may reach only when allowed. */
export const ALLOW_LOOPBACK = '\noutbound: { allowHosts: [127.0.0.1] }\n';

/** The example project file with loopback allowed, as a `baton.yaml` entry for tempProject/openTemp. */
export const loopbackAllowed = (): Record<string, string> => ({
  'baton.yaml': readFileSync(path.join(EXAMPLES, 'baton.yaml'), 'utf8') + ALLOW_LOOPBACK,
});

/** A throwaway copy of examples/ (minus data), with optional extra or replaced files. */
export function tempProject(files: Record<string, string> = {}): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-test-'));
  cpSync(EXAMPLES, dir, {
    recursive: true,
    filter: (src) => path.relative(EXAMPLES, src).split(path.sep)[0] !== 'data',
  });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function openTemp(files: Record<string, string> = {}, options: Partial<OpenOptions> = {}) {
  const p = tempProject(files);
  const baton = await Baton.open({
    dir: p.dir,
    storage: `sqlite:${path.join(p.dir, 'data', 'baton.db')}`,
    ...options,
  });
  return {
    baton,
    dir: p.dir,
    async close() {
      await baton.close();
      p.cleanup();
    },
  };
}

export const intakeActor = { kind: 'system' as const, id: 'test', via: 'test' };
export const asUser = (user: string, access: 'admin' | 'operator' | 'viewer' | 'intake' = 'viewer') => ({
  user,
  access,
  via: 'test',
});

/** A lead-to-owner input large enough (90,000) to need the sales manager's approval. */
export const bigLead = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  company: 'Big',
  email: 'x@big.io',
  amount: 90000,
  ...extra,
});

/** An invoice-approval input (the example flow): 42,000 USD requested by olga unless told. */
export const invoice = (id: string, amount = 42000, requestedBy = 'olga') => ({
  id,
  vendor: 'northwind',
  amount,
  currency: 'USD',
  dueDate: '2026-12-31',
  requestedBy,
});

/** Runs due work in process until no handoff is mid-pipeline, or `ms` passes. */
export async function settleAll(baton: Baton, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await baton.engine.drain();
    const busy = await baton.store.query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM handoffs WHERE state IN ('received','building_context','deciding','acting')",
    );
    if (busy[0]!.n === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}
