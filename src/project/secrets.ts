// The secrets file: `NAME=value` lines that `${NAME}` references in baton.yaml and the model
// providers' keys read as they read the environment. Named by `secrets:` in baton.yaml (relative
// to it) or BATON_SECRETS_FILE (relative to the working directory; it wins). A variable set in the
// environment wins over the file, so one run can override a secret without editing the file.
//
// Format: one `NAME=value` a line; blank lines and `#` comments are skipped; `export NAME=value`
// is accepted; a value may be quoted ('…' as it is, "…" with \n, \" and \\). No problem message
// ever contains a value: only the file, the line and the name.
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ErrorDetail } from '../core/errors.ts';
import { errnoCode, errorMessage } from '../flow/io.ts';
import type { Env } from './env.ts';

export const SECRETS_FILE_ENV = 'BATON_SECRETS_FILE';

export interface SecretsResult {
  /** The environment the project reads: the file's variables under the environment's own. */
  env: Env;
  /** The file read, if any. */
  file?: string;
  problems: ErrorDetail[];
}

/** Where the secrets file is: BATON_SECRETS_FILE, else `secrets:` of baton.yaml; undefined when neither. */
export function secretsFileOf(
  env: Env,
  declared: string | undefined,
  projectDir: string,
): string | undefined {
  const fromEnv = env[SECRETS_FILE_ENV];
  if (fromEnv) return resolve(fromEnv);
  return declared === undefined ? undefined : resolve(projectDir, declared);
}

/**
 * Reads the secrets file (when there is one) and returns the environment to use. `where` names
 * what pointed at the file, for the problem when it cannot be read.
 */
export function readSecrets(
  file: string | undefined,
  env: Env,
  where: (message: string) => ErrorDetail,
): SecretsResult {
  if (file === undefined) return { env, problems: [] };
  const problems: ErrorDetail[] = [];
  let text: string;
  try {
    const mode = statSync(file).mode;
    // Like ssh and PostgreSQL's key files: the owner (and at most its group, to read) only.
    if (process.platform !== 'win32' && (mode & 0o027) !== 0) {
      const octal = (mode & 0o777).toString(8).padStart(3, '0');
      return {
        env,
        file,
        problems: [
          {
            file,
            path: '',
            message: `the secrets file may be ${mode & 0o007 ? 'read by anyone' : 'changed by its group'} (mode ${octal}): chmod 600 ${file}`,
          },
        ],
      };
    }
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const message =
      errnoCode(e) === 'ENOENT'
        ? `the secrets file ${file} does not exist`
        : `cannot read the secrets file ${file}: ${errorMessage(e)}`;
    return { env, file, problems: [where(message)] };
  }
  const values: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    const value = m ? unquote(m[2]!) : undefined;
    if (!m || value === undefined) {
      problems.push({
        file,
        line: i + 1,
        column: 1,
        path: m ? m[1]! : '',
        message: m ? 'the quoted value does not end on its line' : 'expected NAME=value',
      });
      return;
    }
    values[m[1]!] = value;
  });
  const merged: Record<string, string | undefined> = { ...values };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) merged[k] = v;
  return { env: merged, file, problems };
}

function unquote(text: string): string | undefined {
  const q = text[0];
  if (q !== '"' && q !== "'") return text.replace(/\s+#.*$/, '').trimEnd();
  const end = q === "'" ? text.indexOf("'", 1) : closingDoubleQuote(text);
  if (end < 0) return undefined;
  const body = text.slice(1, end);
  if (q === "'") return body;
  return body.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function closingDoubleQuote(text: string): number {
  for (let i = 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}
