// A handoff pins the flow version it started under: finding that version's compiled flow is the
// live one when it is still live, else the store's published text parsed once (concurrent asks
// for the same version share one parse). The engine's runtime and the HTTP thread of a threaded
// server both look flows up this way.
import { BatonError } from '../core/errors.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import { parseFlow } from '../flow/load.ts';
import type { Store } from '../store/port.ts';

export type FlowFor = (version: string) => Promise<CompiledFlow>;

export function flowsByVersion(
  store: Pick<Store, 'flowVersion'>,
  known: (version: string) => CompiledFlow | undefined,
): FlowFor {
  const parsed = new Map<string, Promise<CompiledFlow>>();
  return (version) => {
    const live = known(version);
    if (live) return Promise.resolve(live);
    let p = parsed.get(version);
    if (!p) {
      p = store.flowVersion(version).then((row) => {
        if (!row) throw new BatonError('not_found', `flow version ${version} is not published in this store`);
        return parseFlow(row.source, `${row.flowId}@${version.slice(0, 12)}`);
      });
      // A failed read is not remembered: the next ask tries again.
      p.catch(() => parsed.delete(version));
      parsed.set(version, p);
    }
    return p;
  };
}
