// What every connector gets without writing it: its actions and sources named `NAME.id`, vendor
// errors turned into BatonErrors that say whether to retry, reads retried (they are safe to
// repeat) within their timeout, and the connector's secrets replaced by *** in every error it
// throws, so a token never reaches an event, a log line or an answer.
import { BatonError, isBatonError } from '../core/errors.ts';
import type { ActionContext, RollbackContext, SourceContext } from '../actions/define.ts';
import type { ConnectorAction, ConnectorInstance, ConnectorSource } from './define.ts';
import { sdkFailure } from './failure.ts';

/** Replaces every secret value (and its URL-encoded form) in a text by ***. */
export function scrubber(secrets: readonly string[]): (text: string) => string {
  const values = [
    ...new Set(secrets.filter((s) => s.length >= 4).flatMap((s) => [s, encodeURIComponent(s)])),
  ];
  values.sort((a, b) => b.length - a.length);
  if (values.length === 0) return (t) => t;
  return (text) => {
    let out = text;
    for (const v of values) out = out.split(v).join('***');
    return out;
  };
}

/** The first network error code (ECONNREFUSED, ENOTFOUND…) down an error's causes, with its host. */
function networkCode(e: unknown): { code: string; hostname?: string } | undefined {
  for (let cur: unknown = e, depth = 0; cur && typeof cur === 'object' && depth < 6; depth++) {
    const code: unknown = Reflect.get(cur, 'code');
    if (typeof code === 'string' && /^(E[A-Z_]+|UND_ERR_[A-Z_]+)$/.test(code)) {
      const host: unknown = Reflect.get(cur, 'hostname');
      return typeof host === 'string' ? { code, hostname: host } : { code };
    }
    // SDKs wrap the network error: `cause` (fetch), `original` (Slack), `error` (some clients).
    cur = Reflect.get(cur, 'cause') ?? Reflect.get(cur, 'original');
  }
  return undefined;
}

/**
 * The error with secrets scrubbed. SDK errors drag their request along (headers with the token,
 * the whole config): only the message and the network error code are kept.
 */
export function scrubError(e: unknown, scrub: (t: string) => string): unknown {
  if (isBatonError(e)) {
    const message = scrub(e.message);
    const details = e.details.map((d) => ({ ...d, message: scrub(d.message) }));
    return new BatonError(e.code, message, {
      details,
      fault: e.fault,
      retryable: e.retryable,
      ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
      context: e.context,
    });
  }
  const net = networkCode(e);
  const text = scrub(e instanceof Error ? e.message : String(e));
  // "fetch failed" says nothing: name the network error under it.
  const message =
    net && !text.includes(net.code) ? `${text} (${net.code}${net.hostname ? ` ${net.hostname}` : ''})` : text;
  const out = new Error(message, net ? { cause: net } : undefined);
  if (e instanceof Error) out.name = e.name;
  if (net) Object.assign(out, { code: net.code });
  return out;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Runs a read, again after a retryable failure (429 after its Retry-After, 5xx, a dropped
 * connection or a timeout of one try), up to `attempts` times and never past the signal.
 */
export async function withReadRetries<T>(
  read: (signal: AbortSignal) => Promise<T>,
  signal: AbortSignal,
  attempts = 3,
  baseMs = 200,
): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await read(signal);
    } catch (e) {
      if (signal.aborted || i >= attempts) throw e;
      const retryable = isBatonError(e) ? e.retryable : true;
      if (!retryable) throw e;
      const hinted = isBatonError(e) ? e.retryAfterMs : undefined;
      await sleep(hinted ?? Math.round(baseMs * 2 ** (i - 1) * (0.5 + Math.random())), signal);
    }
  }
}

/**
 * One try of a read, its failure classified first (a 401 is not retried, a 429 waits for its
 * Retry-After): the retry loop decides on the classified error.
 */
async function classified<T>(what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    throw sdkFailure(what, e);
  }
}

/** The instance's actions and sources under `name.`, with errors classified and scrubbed. */
export function wrapConnector(
  name: string,
  instance: ConnectorInstance,
  secrets: readonly string[],
): ConnectorInstance {
  const scrub = scrubber(secrets);
  const fail = (what: string, e: unknown): unknown => scrubError(sdkFailure(what, e), scrub);
  const actions = instance.actions.map((a): ConnectorAction => {
    const id = `${name}.${a.id}`;
    const def = a;
    const wrapped: ConnectorAction = {
      ...def,
      id,
      run: async (p: unknown, c: ActionContext) => {
        try {
          return await def.run(p, c);
        } catch (e) {
          throw fail(id, e);
        }
      },
      ...(def.capture
        ? {
            capture: async (p: unknown, c: ActionContext) => {
              try {
                return await withReadRetries(
                  () => classified(`${id} (reading what to undo)`, () => def.capture!(p, c)),
                  c.signal,
                );
              } catch (e) {
                throw fail(`${id} (reading what to undo)`, e);
              }
            },
          }
        : {}),
      ...(def.rollback
        ? {
            rollback: async (p: unknown, r: unknown, c: RollbackContext) => {
              try {
                return await def.rollback!(p, r, c);
              } catch (e) {
                throw fail(`${id} (rollback)`, e);
              }
            },
          }
        : {}),
    };
    return wrapped;
  });
  const sources = instance.sources.map((s): ConnectorSource => {
    const id = `${name}.${s.id}`;
    const def = s;
    return {
      ...def,
      id,
      fetch: async (p: unknown, c: SourceContext) => {
        try {
          return await withReadRetries(() => classified(id, async () => def.fetch(p, c)), c.signal);
        } catch (e) {
          throw fail(id, e);
        }
      },
    };
  });
  return {
    actions,
    sources,
    check: async (signal) => {
      try {
        return scrub(await instance.check(signal));
      } catch (e) {
        throw fail(`${name}: check`, e);
      }
    },
    ...(instance.close ? { close: () => instance.close!() } : {}),
  };
}
