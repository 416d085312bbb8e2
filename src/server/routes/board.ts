// The board: who holds open work and for how long, and the queues that cut across owners. The
// counts come from the store in one query; the cards of a column or a queue page through
// GET /v1/handoffs with the same filters (owner + open=true, or queue).
import type { Directory } from '../../engine/directory.ts';
import type { HandoffListView } from '../../service/views.ts';
import type { BoardOwnerCounts } from '../../store/port.ts';
import { reachList } from '../auth.ts';
import { defineRoute, type Route } from '../route.ts';
import { boardQuery, boardResponse } from '../schemas.ts';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function nameOf(directory: Directory, owner: string): string | undefined {
  const [kind, id = ''] = owner.split(':', 2);
  if (kind === 'user') return directory.person(id)?.name;
  if (kind === 'team') return directory.team(id)?.name;
  return undefined;
}

type Cards = Record<string, { items: HandoffListView[]; nextCursor: string | null }>;

export function boardView(
  rows: readonly BoardOwnerCounts[],
  cards: Cards | undefined,
  directory: Directory,
  now: number,
) {
  const queues = { unassigned: 0, escalated: 0, failed: 0, outcome_unknown: 0 };
  let open = 0;
  let breached = 0;
  const columns = rows.map((r) => {
    queues.unassigned += r.unassigned;
    queues.escalated += r.escalated;
    queues.failed += r.failed;
    queues.outcome_unknown += r.outcomeUnknown;
    open += r.open;
    breached += r.breached;
    const name = nameOf(directory, r.owner);
    const c = cards ? (cards[r.owner] ?? { items: [], nextCursor: null }) : undefined;
    return {
      owner: r.owner,
      ...(name ? { name } : {}),
      open: r.open,
      breached: r.breached,
      oldestSince: iso(r.oldestSince),
      ...(c ? { cards: c.items, nextCursor: c.nextCursor } : {}),
    };
  });
  return { columns, queues, open, breached, at: new Date(now).toISOString() };
}

export function boardRoutes(): Route[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/board',
      access: 'read',
      scoped: 'checked',
      tag: 'handoffs',
      summary: 'Open work by owner, with breaches and the oldest wait, and the cross-owner queues',
      description:
        'One column per owner (user:, team:, role:, agent:) holding open handoffs that match the filters, ' +
        'and the queue counts: unassigned, escalated, failed and outcome_unknown. A column lists through ' +
        'GET /v1/handoffs?owner=O&open=true, a queue through GET /v1/handoffs?queue=Q, with the same filters. ' +
        'With `cards=N`, each column also carries its first N cards and the cursor to page on, so a board ' +
        'shows after one call. A scoped token counts its flows only.',
      query: boardQuery,
      response: { description: 'The counts', schema: boardResponse },
      async handler({ query, caller, baton }) {
        const { cards = 0, ...filter } = query;
        const flows = reachList(caller);
        const b = await baton.board(flows ? { ...filter, flows } : filter, cards);
        return boardView(b.owners, cards > 0 ? b.columns : undefined, baton.directory, Date.now());
      },
    }),
  ];
}
