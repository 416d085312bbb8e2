// The board: who holds open work and for how long. Owners and teams are columns; the four
// queues (unassigned, escalated, failed, outcome unknown) cut across them. Filters live in the
// URL; counts and cards follow the live stream without a reload.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api } from '../../api/client.ts';
import { useLive } from '../../live.ts';
import { createBus } from './bus.ts';
import { Column, type Source } from './column.tsx';
import { prefetchBoard, useBoardCounts } from './counts.ts';
import { Filters, FILTER_ID, type FlowOption } from './filter-bar.tsx';
import { QUEUE_LABELS, QUEUES, readFilters, serverQuery, toParams, type BoardFilters } from './filters.ts';
import { useBoardKeys } from './keyboard.ts';
import { SavedViews } from './saved-views.tsx';
import { Age, NowProvider } from './time.tsx';
import type { BoardColumn, BoardCounts, FlowList, HandoffPage } from '../../api/types.ts';
import './board.css';

const KIND_ORDER = ['team', 'role', 'user', 'agent'];
const KIND_LABEL: Record<string, string> = {
  team: 'Team',
  role: 'Role',
  user: 'Person',
  agent: 'Baton is working on it',
};

/**
 * A column's first cards as the first board read brought them (undefined: fetch them). Only while
 * that read is the latest: a column that mounts after a live update reads its own.
 */
function initialOf(first: BoardCounts | undefined, owner: string): HandoffPage | undefined {
  const c = first?.columns.find((x) => x.owner === owner);
  return c?.cards ? { items: c.cards, nextCursor: c.nextCursor ?? null } : undefined;
}

const kindOf = (owner: string) => owner.slice(0, owner.indexOf(':'));

/** Owners with breached work first (what needs attention), then teams, roles, people, Baton. */
function byKind(a: BoardColumn, b: BoardColumn): number {
  const breach = Number(b.breached > 0) - Number(a.breached > 0);
  if (breach) return breach;
  const k = KIND_ORDER.indexOf(kindOf(a.owner)) - KIND_ORDER.indexOf(kindOf(b.owner));
  return k || a.owner.localeCompare(b.owner);
}

function ColumnTitle({ c }: { c: BoardColumn }) {
  return (
    <>
      <h2 className="board-column-title">
        {c.name ?? c.owner}
        <span className="board-column-ref">
          {KIND_LABEL[kindOf(c.owner)] ?? ''} · {c.owner}
        </span>
      </h2>
      <p className="board-column-counts">
        <span>{c.open} open</span>
        {c.breached > 0 ? (
          <span className="board-breached">
            <span aria-hidden="true">⚠ </span>
            {c.breached} breached
          </span>
        ) : null}
        {c.oldestSince ? (
          <span>
            oldest <Age since={c.oldestSince} />
          </span>
        ) : null}
      </p>
    </>
  );
}

if (typeof location !== 'undefined' && location.pathname === '/') {
  prefetchBoard(serverQuery(readFilters(new URLSearchParams(location.search))));
}

export function Board() {
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => readFilters(params), [params]);
  const query = useMemo(() => serverQuery(filters), [filters]);
  const [bus] = useState(createBus);
  useLive((e) => bus.emit(e));
  const { counts, first, error } = useBoardCounts(query, bus);
  const [flows, setFlows] = useState<FlowOption[]>([]);
  // On a phone the filters start folded, so the columns are on the first screen.
  const [toolsOpen, setToolsOpen] = useState(() => !window.matchMedia('(max-width: 40rem)').matches);
  const { register, onFocusCard } = useBoardKeys(FILTER_ID, () => setToolsOpen(true));

  useEffect(() => {
    api
      .get<FlowList>('/v1/flows')
      .then((r) => setFlows(r.items))
      .catch(() => setFlows([]));
  }, []);

  const setFilters = useCallback(
    (next: BoardFilters) => setParams(toParams(next), { replace: false }),
    [setParams],
  );
  const columns = useMemo(() => [...(counts?.columns ?? [])].sort(byKind), [counts]);
  const owners = useMemo(() => columns.map((c) => c.owner), [columns]);
  // Stable objects per column so memoized columns keep their lists.
  const sources = useMemo(() => new Map<string, Source>(), []);
  const sourceOf = (key: string, make: () => Source): Source => {
    let s = sources.get(key);
    if (!s) sources.set(key, (s = make()));
    return s;
  };
  const filterCount = [filters.flow, filters.boundary, filters.state, filters.owner].filter(Boolean).length;
  const filtered = filterCount > 0;

  return (
    <NowProvider>
      <div className="board">
        <div className="board-head">
          <h1>Board</h1>
          <p className="board-summary">
            {counts ? (
              <>
                <span>{counts.open} open</span>
                <span className={counts.breached ? 'board-breached' : undefined}>
                  {counts.breached ? <span aria-hidden="true">⚠ </span> : null}
                  {counts.breached} breached
                </span>
              </>
            ) : error ? null : (
              'Loading…'
            )}
          </p>
        </div>
        {error ? (
          <p className="board-error" role="alert">
            <span aria-hidden="true">⚠ </span>The board could not load: {error}
          </p>
        ) : null}
        <details
          className="board-tools"
          open={toolsOpen}
          onToggle={(e) => setToolsOpen(e.currentTarget.open)}
        >
          <summary>Filters and saved views{filterCount ? ` (${filterCount} on)` : ''}</summary>
          <div className="board-tools-body">
            <Filters filters={filters} flows={flows} owners={owners} onChange={setFilters} />
            <SavedViews filters={filters} onApply={setFilters} />
          </div>
        </details>
        <nav className="board-queues" aria-label="Queues">
          <button
            type="button"
            aria-pressed={!filters.queue}
            onClick={() => setFilters({ ...filters, queue: undefined })}
          >
            Owners <span className="board-queue-count">{columns.length}</span>
          </button>
          {QUEUES.map((q) => (
            <button
              key={q}
              type="button"
              aria-pressed={filters.queue === q}
              className={counts && counts.queues[q] > 0 ? 'board-queue-busy' : undefined}
              onClick={() => setFilters({ ...filters, queue: q })}
            >
              {QUEUE_LABELS[q]} <span className="board-queue-count">{counts?.queues[q] ?? '…'}</span>
            </button>
          ))}
        </nav>
        <p className="board-keys">
          Keys: <kbd>j</kbd>/<kbd>k</kbd> or arrows move, <kbd>Enter</kbd> opens, <kbd>/</kbd> filters
        </p>
        {filters.queue ? (
          <div className="board-columns board-columns-queue">
            <Column
              key={filters.queue}
              source={sourceOf(`queue:${filters.queue}`, () => ({ queue: filters.queue! }))}
              filters={query}
              title={
                <h2 className="board-column-title">
                  {QUEUE_LABELS[filters.queue]}
                  <span className="board-column-ref">{counts?.queues[filters.queue] ?? 0} open</span>
                </h2>
              }
              label={`${QUEUE_LABELS[filters.queue]} queue`}
              total={counts?.queues[filters.queue] ?? 0}
              column={0}
              bus={bus}
              onFocusCard={onFocusCard}
              register={register}
              wide
            />
          </div>
        ) : counts && columns.length === 0 ? (
          <div className="board-empty">
            <p>{filtered ? 'No open handoffs match these filters.' : 'No open handoffs yet.'}</p>
            {filtered ? null : (
              <p>
                Send one and watch it arrive here:{' '}
                <code>
                  baton send lead-to-owner {`'{"id":"L-1","company":"Acme","email":"jo@acme.com"}'`}
                </code>
              </p>
            )}
          </div>
        ) : (
          <div className="board-columns">
            {columns.map((c, i) => (
              <Column
                key={c.owner}
                source={sourceOf(`owner:${c.owner}`, () => ({ owner: c.owner }))}
                filters={query}
                title={<ColumnTitle c={c} />}
                initial={first === counts ? initialOf(first, c.owner) : undefined}
                label={`${c.name ?? c.owner}: ${c.open} open`}
                total={c.open}
                column={i}
                bus={bus}
                onFocusCard={onFocusCard}
                register={register}
              />
            ))}
          </div>
        )}
      </div>
    </NowProvider>
  );
}
