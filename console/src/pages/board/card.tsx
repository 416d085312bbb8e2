// One handoff on the board: id, flow, what it is about, how long it has waited, its SLA.
import { memo } from 'react';
import { Link } from 'react-router';
import type { HandoffItem } from '../../api/types.ts';
import { Age, SlaClock } from './time.tsx';

const STATE_LABELS: Record<string, string> = {
  received: 'received',
  building_context: 'building context',
  deciding: 'deciding',
  acting: 'acting',
  awaiting_approval: 'awaiting approval',
  handed_off: 'waiting to be accepted',
  accepted: 'accepted',
  escalated: 'escalated',
  returned: 'returned',
  failed: 'failed',
};

/** When the current wait began: the hand-off, or the intake while Baton still works on it. */
export const waitingSince = (h: HandoffItem): string => h.handedOffAt ?? h.createdAt;

interface CardProps {
  item: HandoffItem;
  /** Position in its column, for keyboard moves. */
  index: number;
  column: number;
  onFocusCard: (column: number, index: number) => void;
}

export const Card = memo(function Card({ item, index, column, onFocusCard }: CardProps) {
  const breached = item.breached;
  return (
    <Link
      to={`/handoffs/${encodeURIComponent(item.id)}`}
      className={breached ? 'board-card board-card-breached' : 'board-card'}
      data-card={`${column}:${index}`}
      data-id={item.id}
      onFocus={() => onFocusCard(column, index)}
    >
      <span className="board-card-top">
        <span className="board-card-id" title={item.id}>
          {item.id}
        </span>
        <span className="board-card-flow">{item.flow}</span>
      </span>
      <span className="board-card-subject">{item.subject ?? 'No subject in the input'}</span>
      <span className="board-card-bottom">
        <span className="board-card-state">{STATE_LABELS[item.state] ?? item.state}</span>
        {item.state === 'accepted' && item.acceptedAt ? (
          <span className="board-card-age">
            in work <Age since={item.acceptedAt} />
          </span>
        ) : (
          <span className="board-card-age">
            waited <Age since={waitingSince(item)} />
          </span>
        )}
        {item.slaDueAt ? (
          <SlaClock due={item.slaDueAt} breached={breached} />
        ) : breached ? (
          <span className="sla sla-breached">
            <span aria-hidden="true">⚠ </span>SLA breached
          </span>
        ) : null}
      </span>
    </Link>
  );
});
