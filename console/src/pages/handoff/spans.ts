// The time a handoff spent with each owner, from its ownership ledger and events: a stretch of
// waiting (handed to the owner, not yet accepted) and a stretch of being worked (accepted until
// the next change). Baton's own stretches (`agent:…`) are work, never waiting.
import type { HandoffDetail } from '../../api/types.ts';

export interface Span {
  seq: number;
  owner: string;
  reason: string;
  status: string;
  by?: string | undefined;
  from: number;
  /** When the owner accepted (undefined: never, within this stretch). */
  acceptedAt?: number | undefined;
  /** When the stretch ended; `open` when it still runs (then `to` is now). */
  to: number;
  open: boolean;
  /** Waiting in the owner's queue, ms. */
  waitMs: number;
  /** Being worked, ms. */
  workMs: number;
}

export interface Waterfall {
  start: number;
  end: number;
  spans: Span[];
}

export function waterfall(h: HandoffDetail, now: number = Date.now()): Waterfall {
  const accepts = h.events
    .filter((e) => e.type === 'accepted')
    .map((e) => ({ at: Date.parse(e.at), owner: typeof e.data.owner === 'string' ? e.data.owner : '' }));
  // An open stretch runs until now, and at least until the last thing that happened.
  const latest = Math.max(now, ...h.events.map((e) => Date.parse(e.at)));
  const spans = h.ledger.map((l): Span => {
    const from = Date.parse(l.from);
    const open = l.to === null;
    const to = open ? Math.max(latest, from) : Date.parse(l.to!);
    const agent = l.owner.startsWith('agent:');
    const accepted = agent
      ? from
      : accepts.find((a) => a.owner === l.owner && a.at >= from && a.at <= to)?.at;
    const split = accepted ?? to;
    return {
      seq: l.seq,
      owner: l.owner,
      reason: l.reason,
      status: l.status,
      by: l.by,
      from,
      acceptedAt: agent ? undefined : accepted,
      to,
      open,
      waitMs: split - from,
      workMs: to - split,
    };
  });
  const start = spans.length ? Math.min(...spans.map((s) => s.from)) : Date.parse(h.createdAt);
  const end = Math.max(start + 1, ...spans.map((s) => s.to));
  return { start, end, spans };
}
