// The handoff state machine (SPEC §1). Every transition the engine or a person makes is
// checked against this table; property tests walk it at random.
import { BatonError } from './errors.ts';
import type { HandoffState } from './types.ts';

const ALLOWED: Record<HandoffState, readonly HandoffState[]> = {
  received: ['building_context', 'failed', 'cancelled'],
  building_context: ['deciding', 'escalated', 'failed', 'cancelled'],
  deciding: ['acting', 'awaiting_approval', 'escalated', 'completed', 'failed', 'cancelled'],
  acting: ['acting', 'awaiting_approval', 'handed_off', 'escalated', 'failed', 'cancelled'],
  awaiting_approval: ['acting', 'awaiting_approval', 'handed_off', 'escalated', 'failed', 'cancelled'],
  handed_off: ['accepted', 'returned', 'handed_off', 'escalated', 'completed', 'cancelled', 'rolled_back'],
  // building_context: the sender amended the input (amend.ts), Baton decides again.
  escalated: [
    'accepted',
    'returned',
    'handed_off',
    'escalated',
    'completed',
    'cancelled',
    'rolled_back',
    'building_context',
  ],
  returned: [
    'accepted',
    'handed_off',
    'escalated',
    'completed',
    'cancelled',
    'rolled_back',
    'building_context',
  ],
  accepted: ['completed', 'returned', 'handed_off', 'cancelled', 'rolled_back'],
  failed: ['acting', 'handed_off', 'escalated', 'cancelled', 'rolled_back', 'failed', 'building_context'],
  completed: ['rolled_back', 'returned'],
  rolled_back: [],
  cancelled: [],
};

export function canTransition(from: HandoffState, to: HandoffState): boolean {
  return ALLOWED[from].includes(to);
}

export function assertTransition(
  from: HandoffState,
  to: HandoffState,
  what = `move from ${from} to ${to}`,
): void {
  if (!canTransition(from, to)) {
    throw new BatonError('invalid_transition', `Cannot ${what}: the handoff is ${from}`, {
      context: { from, to },
    });
  }
}

export function nextStates(from: HandoffState): readonly HandoffState[] {
  return ALLOWED[from];
}
