// Every action and context source a project can `use`: the built-ins, the connectors' actions,
// and the project's own (TypeScript files in its actions/ folder that export defineAction or
// defineContextSource results).
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { BatonError } from '../core/errors.ts';
import { BUILTIN_ACTIONS, lookupSource, valueSource } from './builtins.ts';
import { httpPost, httpPut } from '../connectors/http/actions.ts';
import type { AnyAction, ContextSource } from './define.ts';
import type { Tables } from './tables.ts';
import { importProjectModule } from '../project/modules.ts';

export class Registry {
  private readonly actions = new Map<string, AnyAction>();
  private readonly sources = new Map<string, ContextSource<never>>();

  constructor(tables: Tables) {
    for (const a of [...BUILTIN_ACTIONS, httpPost, httpPut] as AnyAction[]) this.addAction(a);
    this.addSource(lookupSource(tables) as ContextSource<never>);
    this.addSource(valueSource as ContextSource<never>);
  }

  addAction(a: AnyAction): void {
    if (this.actions.has(a.id)) throw new BatonError('project_invalid', `action ${a.id} is defined twice`);
    this.actions.set(a.id, a);
  }

  addSource(s: ContextSource<never>): void {
    if (this.sources.has(s.id))
      throw new BatonError('project_invalid', `context source ${s.id} is defined twice`);
    this.sources.set(s.id, s);
  }

  /** Replaces an existing action or source (eval swaps real ones for recorders). */
  replaceAction(a: AnyAction): void {
    this.actions.set(a.id, a);
  }

  replaceSource(s: ContextSource<never>): void {
    this.sources.set(s.id, s);
  }

  action(id: string): AnyAction | undefined {
    return this.actions.get(id);
  }

  source(id: string): ContextSource<never> | undefined {
    return this.sources.get(id);
  }

  actionIds(): string[] {
    return [...this.actions.keys()].sort();
  }

  sourceIds(): string[] {
    return [...this.sources.keys()].sort();
  }

  /** Imports every .ts/.js/.mjs file of a project's actions folder (`projectDir`: for messages). */
  async loadProjectModules(dir: string, projectDir = path.dirname(dir)): Promise<void> {
    if (!existsSync(dir)) return;
    for (const file of readdirSync(dir).sort()) {
      if (!/\.(ts|js|mjs)$/.test(file) || /\.test\.|\.d\.ts$/.test(file)) continue;
      const full = path.join(dir, file);
      const mod = await importProjectModule(full, projectDir);
      let found = 0;
      for (const value of Object.values(mod)) {
        if (!value || typeof value !== 'object') continue;
        const v = value as Record<string, unknown>;
        if (typeof v.id !== 'string' || !v.params) continue;
        if (typeof v.run === 'function') {
          this.addAction(value as AnyAction);
          found++;
        } else if (typeof v.fetch === 'function') {
          this.addSource(value as ContextSource<never>);
          found++;
        }
      }
      if (found === 0) {
        const message = 'exports no action or context source (use defineAction or defineContextSource)';
        throw new BatonError('project_invalid', `${full} ${message}`, {
          details: [{ file: full, path: '', message }],
        });
      }
    }
  }
}
