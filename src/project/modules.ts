// Imports a project's own module (an action, a context source, a TypeScript flow). A module that
// fails to load is reported with its file, the line where Node knows it, and the cause — never
// with Baton's stack trace.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BatonError, type ErrorDetail } from '../core/errors.ts';
import { allowPackageImports } from './package-imports.ts';

/**
 * Imports `file`; a failure names the first place inside `projectDir` (default: the file's folder).
 * With `fresh`, a file changed since it was last imported is evaluated again (the module cache is
 * keyed by URL, so the URL carries the file's modification time): flow files reload while serving.
 */
export async function importProjectModule(
  file: string,
  projectDir = path.dirname(file),
  { fresh = false }: { fresh?: boolean } = {},
): Promise<Record<string, unknown>> {
  allowPackageImports();
  try {
    const url = pathToFileURL(file);
    if (fresh) url.search = `v=${statSync(file).mtimeMs}`;
    return (await import(url.href)) as Record<string, unknown>;
  } catch (e) {
    const detail = whereItFailed(e, file, projectDir);
    throw new BatonError('project_invalid', `cannot load ${file}: ${detail.message}`, {
      details: [detail],
      cause: e,
    });
  }
}

const asPath = (where: string): string =>
  where.startsWith('file://') ? fileURLToPath(where.replace(/\?[^/]*$/, '')) : where;

/** The file and line a load error points at: the stack's first place in the project, else `file`. */
function whereItFailed(e: unknown, file: string, dir: string): ErrorDetail {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: unknown }).code;
  const message = `${err.name === 'Error' ? '' : `${err.name}: `}${err.message.split('\n')[0]}`;
  const stack = err.stack ?? '';
  // A syntax error's stack starts with `FILE:LINE` and the offending source line.
  const syntax = /^(file:\/\/\S+|\/\S+|[A-Za-z]:\\\S+):(\d+)\n/.exec(stack);
  if (syntax) return { file: asPath(syntax[1]!), line: Number(syntax[2]), path: '', message };
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') {
    const m = /'([^']+)' imported from (\S+)/.exec(err.message);
    if (m) {
      const from = asPath(m[2]!);
      return { file: from, ...lineOf(from, m[1]!), path: '', message };
    }
  }
  // An error thrown while the module runs: the first stack frame in the project's folder.
  for (const frame of stack.matchAll(/(file:\/\/[^\s)]+|\/[^\s):]+):(\d+):(\d+)/g)) {
    const where = asPath(frame[1]!);
    if (where.startsWith(dir + path.sep) || where === file)
      return { file: where, line: Number(frame[2]), column: Number(frame[3]), path: '', message };
  }
  return { file, path: '', message };
}

/** The line of `file` that names `specifier` in quotes (for an import that cannot be found). */
function lineOf(file: string, specifier: string): { line?: number } {
  try {
    const lines = readFileSync(file, 'utf8').split('\n');
    const quoted = (name: string) => (l: string) =>
      [`'`, `"`].some((q) => l.includes(`${q}${name}${q}`) || l.includes(`/${name}${q}`));
    // A relative import is reported resolved: look for its last segment instead.
    let at = lines.findIndex(quoted(specifier));
    if (at < 0) at = lines.findIndex(quoted(path.basename(specifier)));
    return at < 0 ? {} : { line: at + 1 };
  } catch {
    return {};
  }
}
