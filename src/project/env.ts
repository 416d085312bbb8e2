// `${ENV_VAR}` references in the project file (connector secrets), resolved at load time.
// `${NAME:-default}` gives a default when the variable is unset; `$${` is a literal `${`.
import type { PathSeg } from '../flow/yaml-source.ts';

const REF = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Returns a copy of `value` with every reference in its strings replaced. Each unset variable
 * without a default is reported with the path of the string that names it.
 */
export function resolveEnvRefs(
  value: unknown,
  env: Env,
  report: (path: PathSeg[], name: string) => void,
  path: PathSeg[] = [],
): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    return value.replace(REF, (whole: string, name: string | undefined, fallback: string | undefined) => {
      if (name === undefined) return '${';
      const v = env[name];
      if (v !== undefined) return v;
      if (fallback !== undefined) return fallback;
      report(path, name);
      return whole;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveEnvRefs(v, env, report, [...path, i]));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveEnvRefs(v, env, report, [...path, k]);
    return out;
  }
  return value;
}
