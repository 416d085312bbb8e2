// A second intake with a key the flow already has: the same input is the same handoff (a retry
// of the send), different input is refused, never dropped without a word.
import { BatonError } from '../core/errors.ts';
import { canonicalJson } from '../flow/canonical.ts';
import type { Store } from '../store/port.ts';

/** Throws 409 idempotency_conflict when the existing handoff's input differs from `input`. */
export async function checkSameInput(
  store: Store,
  flowId: string,
  key: string,
  existingId: string,
  input: unknown,
): Promise<void> {
  const existing = await store.byKey(flowId, key);
  if (!existing || canonicalJson(existing.input) === canonicalJson(input)) return;
  const message =
    `handoff ${existingId} already has idempotency key "${key}" with different input; ` +
    `to change its input, amend it (PATCH /v1/handoffs/${existingId}/input, baton amend ${existingId})`;
  throw new BatonError('idempotency_conflict', message, {
    details: [{ path: 'input', message: `differs from the input of handoff ${existingId}` }],
    context: { handoffId: existingId, idempotencyKey: key },
  });
}
