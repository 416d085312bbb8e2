// A project's own modules (actions/*.ts, flows/*.flow.ts) may live in any folder, with no
// node_modules of their own. Node resolves `import … from 'baton'` (or 'zod') from the importing
// file's folder upward; when that finds nothing, these hooks resolve it again from Baton's own
// folder, so the project gets the Baton (and the zod) that is running it. A project that installs
// its own copy keeps it: the normal resolution always goes first.
import module from 'node:module';

/** The packages a project may import without installing them. */
const PROVIDED = /^(baton|zod)(\/.*)?$/;

/** A file inside Baton's package: bare names resolved from here find Baton itself (self-reference). */
const BATON_PACKAGE_URL = new URL('../../package.json', import.meta.url).href;

interface ResolveContext {
  parentURL?: string | undefined;
  conditions?: readonly string[];
  importAttributes?: Record<string, string>;
}
type Resolved = { url: string; format?: string | null; shortCircuit?: boolean };
type NextResolve = (specifier: string, context?: ResolveContext) => Resolved;

function notFound(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED';
}

export function resolve(specifier: string, context: ResolveContext, nextResolve: NextResolve): Resolved {
  if (!PROVIDED.test(specifier)) return nextResolve(specifier, context);
  try {
    return nextResolve(specifier, context);
  } catch (e) {
    if (!notFound(e)) throw e;
    return nextResolve(specifier, { ...context, parentURL: BATON_PACKAGE_URL });
  }
}

let registered = false;

/** Installs the fallback once per process, before the first project module is imported. */
export function allowPackageImports(): void {
  if (registered) return;
  registered = true;
  // Node before 22.15 has no in-thread hooks: there the project installs Baton itself.
  if (typeof module.registerHooks !== 'function') return;
  module.registerHooks({ resolve: resolve as Parameters<typeof module.registerHooks>[0]['resolve'] });
}
