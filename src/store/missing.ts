// A command that works on an existing store names a store that is not there: say where it looked, never create it.
import { BatonError } from '../core/errors.ts';
import { redactUrl } from '../core/redact-url.ts';

/** The error for a store that is not there: names where it was looked for (password hidden). */
export function missingStore(where: string): BatonError {
  return new BatonError(
    'validation_failed',
    `no Baton store at ${redactUrl(where)}: check --storage, BATON_DATABASE_URL or baton.yaml's storage ` +
      '(this command works on an existing store and creates none; `baton serve`, `baton send` or `baton migrate` creates one)',
    { context: { storage: redactUrl(where) } },
  );
}
