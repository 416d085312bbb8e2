// Errors that provably happened before a call left Baton: a URL `fetch` refuses to build (one
// with a user and password, one it cannot parse) or a connection that never stood (refused,
// unreachable, a host name that does not resolve). Such a call did not happen, so it is a
// plain failure (retried where a retry can help), never an unknown outcome for a person.
import { BatonError, isBatonError } from '../core/errors.ts';
import { redactUrl } from '../core/redact-url.ts';
import { NO_CONNECTION_CODES } from '../outbound/request.ts';

/** `fetch` refuses these URLs before it connects. */
const BAD_URL =
  /^(Request cannot be constructed from a URL that includes credentials|Failed to parse URL|Invalid URL)/;

const codeOf = (e: unknown): string | undefined => {
  const code: unknown = e && typeof e === 'object' ? Reflect.get(e, 'code') : undefined;
  return typeof code === 'string' ? code : undefined;
};

/**
 * The error as a BatonError when it provably happened before anything was sent (the message
 * without the URL's credentials); undefined when the call may have reached the other side.
 */
export function unsentFailure(e: unknown): BatonError | undefined {
  if (isBatonError(e)) return e.context.sent === 'no' ? e : undefined;
  if (!(e instanceof Error)) return undefined;
  if (BAD_URL.test(e.message) || codeOf(e) === 'ERR_INVALID_URL') {
    const what = e.message.startsWith('Request cannot')
      ? 'the URL carries a user name or password (send credentials in a header)'
      : 'the URL is not valid';
    return new BatonError('action_failed', `not sent: ${what}`, {
      fault: 'user',
      context: { sent: 'no' },
    });
  }
  const cause: unknown = e.cause;
  const code = codeOf(e) ?? codeOf(cause);
  if (code && NO_CONNECTION_CODES.has(code)) {
    return new BatonError('action_failed', `not sent: could not connect (${code})`, {
      fault: 'provider',
      retryable: true,
      context: { sent: 'no' },
    });
  }
  return undefined;
}

/** An error's text for the record, with any password in a URL replaced. */
export const safeErrorText = (e: unknown): string => redactUrl(e instanceof Error ? e.message : String(e));
