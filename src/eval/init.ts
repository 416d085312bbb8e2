// `baton init DIR`: writes a starter project (templates/init) that `baton serve` and `baton eval`
// run unchanged. Nothing is overwritten: when any file it would write exists, it writes none.
import { constants, copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BatonError } from '../core/errors.ts';
import { errnoCode, errorMessage } from '../flow/io.ts';

export const TEMPLATE_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../templates/init',
);

/** Template files stored under another name, because package managers drop dot-files like .gitignore. */
const RENAMES: Record<string, string> = { gitignore: '.gitignore' };

/** Files a folder often has already (a repository's own): kept as they are, not a conflict. */
const OPTIONAL = new Set(['.gitignore', 'README.md']);

/** The template's files as paths relative to its root, sorted. */
function templateFiles(dir = TEMPLATE_DIR, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    if (statSync(path.join(dir, name)).isDirectory()) out.push(...templateFiles(path.join(dir, name), rel));
    else out.push(rel);
  }
  return out;
}

function target(rel: string): string {
  const base = path.posix.basename(rel);
  const renamed = RENAMES[base];
  return renamed ? path.posix.join(path.posix.dirname(rel), renamed) : rel;
}

/**
 * Copies the starter project into `dir` (created when missing) and returns the absolute paths
 * it wrote. Throws BatonError('conflict') naming the files that already exist, before writing any
 * (an existing .gitignore or README.md is kept and not counted as a conflict).
 */
export function initProject(dir: string): string[] {
  const root = path.resolve(dir);
  if (existsSync(root) && !statSync(root).isDirectory()) {
    throw new BatonError(
      'conflict',
      `${root} exists and is not a folder: choose a folder for the new project`,
    );
  }
  const files = templateFiles()
    .map((rel) => ({
      from: path.join(TEMPLATE_DIR, rel),
      to: path.join(root, target(rel)),
      rel: target(rel),
    }))
    .filter((f) => !(OPTIONAL.has(f.rel) && existsSync(f.to)));
  const existing = files.filter((f) => existsSync(f.to)).map((f) => f.rel);
  if (existing.length > 0) {
    throw new BatonError(
      'conflict',
      `${root} already has ${existing.join(', ')}: baton init overwrites nothing; move ${existing.length === 1 ? 'it' : 'them'} away or choose an empty folder`,
      { details: existing.map((f) => ({ path: f, message: 'already exists' })) },
    );
  }
  const written: string[] = [];
  try {
    for (const f of files) {
      mkdirSync(path.dirname(f.to), { recursive: true });
      // COPYFILE_EXCL: a file that appeared since the check is still not overwritten.
      copyFileSync(f.from, f.to, constants.COPYFILE_EXCL);
      written.push(f.to);
    }
  } catch (e) {
    const code = errnoCode(e) === 'EEXIST' ? 'conflict' : 'validation_failed';
    throw new BatonError(code, `cannot write the project into ${root}: ${errorMessage(e)}`, {
      cause: e,
      context: { written: written.length },
    });
  }
  return written;
}
