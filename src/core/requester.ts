// Who asked for a handoff, as a person of baton.yaml. A flow's `requester` is data from the
// payload: `ARI`, ` ari ` and `user:ari` all mean the person `ari`, and a value that names
// nobody must not quietly switch no-self-approval off. An approval lists every requester
// (the named one, and the person whose token sent the intake); none of them may vote.
import type { ApprovalRecord, LedgerEntry } from './types.ts';

/**
 * The declared person `raw` names: trimmed, a `user:` prefix dropped, case ignored when exactly
 * one person matches that way. Undefined when it names nobody (or is not text).
 */
export function personNamed(raw: unknown, people: Iterable<string>): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const text = raw
    .trim()
    .replace(/^user:/i, '')
    .trim();
  if (text === '') return undefined;
  const ids = [...people];
  if (ids.includes(text)) return text;
  const folded = ids.filter((id) => id.toLowerCase() === text.toLowerCase());
  return folded.length === 1 ? folded[0] : undefined;
}

/** Everyone an approval counts as having asked for it (older records carry only `requester`). */
export function approvalRequesters(a: Pick<ApprovalRecord, 'requester' | 'requesters'>): string[] {
  return a.requesters ?? (a.requester ? [a.requester] : []);
}

/**
 * The person whose token (or `--as`) sent the intake: the ledger's first entry (`received`)
 * records who handed the work in. A requester too, whatever the payload claims.
 */
export function submittedBy(ledger: readonly LedgerEntry[]): string | undefined {
  const first = ledger[0];
  return first?.reason === 'received' ? first.by : undefined;
}
