// `${…}` inside a URL. A value interpolated into a URL is data, never structure: it is
// percent-encoded for the part it lands in, so `../../admin`, `%2e%2e/secret` or `x?injected=1`
// stay inside their path segment or query value. The scheme and host must be written literally
// (checked when the flow loads), or the template is a path below a base URL the operator
// configured (`/invoices/${…}` for an http connector): a value that could name the host could
// send the call, and the flow's headers with it, anywhere. A URL given whole by one `${…}` is taken as it is; the
// outbound guard checks its host when the call is made.
import { BatonError } from '../core/errors.ts';

export type UrlPart = 'authority' | 'path' | 'query' | 'fragment';

/** Scheme and authority, ended by the first `/`, `?` or `#` after `//`. */
const AUTHORITY = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(?=[/?#])/i;

/**
 * A path relative to a base URL the operator configured (an http connector's `path`): it starts
 * with one `/`, so no value after it can name a host (`//host` would).
 */
const RELATIVE_PATH = /^\/(?!\/)/;

/** The part of a URL that text written after `prefix` lands in. */
export function urlPartAfter(prefix: string): UrlPart {
  const m = AUTHORITY.exec(prefix) ?? (RELATIVE_PATH.test(prefix) ? [''] : null);
  if (!m) return 'authority';
  const rest = prefix.slice(m[0].length);
  if (rest.includes('#')) return 'fragment';
  if (rest.includes('?')) return 'query';
  return 'path';
}

/** Whether a template's first literal fixes the scheme and host (so no value can change them). */
export const fixesAuthority = (firstLiteral: string): boolean =>
  AUTHORITY.test(firstLiteral) || RELATIVE_PATH.test(firstLiteral);

const DOT_SEGMENT = /^\.{1,2}$/;

/**
 * Joins a URL template's literals with its values, each value encoded for its part.
 * `where` names the field for errors.
 */
export function joinUrl(lits: readonly string[], values: readonly string[], where: string): string {
  let out = lits[0]!;
  for (let i = 0; i < values.length; i++) {
    const part = urlPartAfter(out);
    if (part === 'authority') {
      throw new BatonError('validation_failed', `${where}: a value may not set the scheme or host of a URL`, {
        details: [
          { path: where, message: 'write the scheme and host literally; put ${…} in the path or query' },
        ],
      });
    }
    // Lone surrogates cannot be percent-encoded: they become U+FFFD.
    const value = values[i]!.toWellFormed();
    const next = lits[i + 1]!;
    // A whole segment of "." or ".." would climb the path (encoding cannot help: URL parsers
    // read %2e as a dot).
    if (part === 'path' && DOT_SEGMENT.test(value) && out.endsWith('/') && /^([/?#]|$)/.test(next)) {
      throw new BatonError('validation_failed', `${where}: "${value}" may not be a path segment`, {
        details: [{ path: where, message: `the value "${value}" would climb the URL's path` }],
      });
    }
    out += encodeURIComponent(value) + next;
  }
  return out;
}
