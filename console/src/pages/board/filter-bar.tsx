// The filter bar: flow, boundary, state and owner, each written to the URL query at once.
import { useEffect, useId, useState } from 'react';
import { isOwnerRef, OPEN_STATES, type BoardFilters } from './filters.ts';

export interface FlowOption {
  id: string;
  name: string;
  boundary: string;
}

interface FiltersProps {
  filters: BoardFilters;
  flows: FlowOption[];
  owners: string[];
  onChange: (next: BoardFilters) => void;
}

/** The id `/` focuses. */
export const FILTER_ID = 'board-filter-flow';

const without = (f: BoardFilters, key: keyof BoardFilters, value: string): BoardFilters => {
  const next = { ...f };
  if (value) (next as Record<string, string>)[key] = value;
  else delete next[key];
  return next;
};

export function Filters({ filters, flows, owners, onChange }: FiltersProps) {
  const id = useId();
  const [owner, setOwner] = useState(filters.owner ?? '');
  const [ownerError, setOwnerError] = useState<string | undefined>();
  useEffect(() => setOwner(filters.owner ?? ''), [filters.owner]);
  const boundaries = [...new Set(flows.map((f) => f.boundary))].sort();

  const applyOwner = () => {
    const text = owner.trim();
    if (text && !isOwnerRef(text)) {
      setOwnerError('An owner looks like user:kim, team:sales, role:cfo or agent:lead-to-owner');
      return;
    }
    setOwnerError(undefined);
    if (text !== (filters.owner ?? '')) onChange(without(filters, 'owner', text));
  };
  const any = Boolean(filters.flow || filters.boundary || filters.state || filters.owner);

  return (
    <form
      className="board-filters"
      role="search"
      aria-label="Board filters"
      onSubmit={(e) => {
        e.preventDefault();
        applyOwner();
      }}
    >
      <div className="board-field">
        <label htmlFor={FILTER_ID}>Flow</label>
        <select
          id={FILTER_ID}
          value={filters.flow ?? ''}
          onChange={(e) => onChange(without(filters, 'flow', e.target.value))}
        >
          <option value="">All flows</option>
          {flows.map((f) => (
            <option key={f.id} value={f.id}>
              {f.name} ({f.id})
            </option>
          ))}
          {filters.flow && !flows.some((f) => f.id === filters.flow) ? (
            <option value={filters.flow}>{filters.flow}</option>
          ) : null}
        </select>
      </div>
      <div className="board-field">
        <label htmlFor={`${id}-boundary`}>Boundary</label>
        <select
          id={`${id}-boundary`}
          value={filters.boundary ?? ''}
          onChange={(e) => onChange(without(filters, 'boundary', e.target.value))}
        >
          <option value="">All boundaries</option>
          {boundaries.map((b) => (
            <option key={b} value={b}>
              {b.replace('->', ' → ')}
            </option>
          ))}
          {filters.boundary && !boundaries.includes(filters.boundary) ? (
            <option value={filters.boundary}>{filters.boundary.replace('->', ' → ')}</option>
          ) : null}
        </select>
      </div>
      <div className="board-field">
        <label htmlFor={`${id}-state`}>State</label>
        <select
          id={`${id}-state`}
          value={filters.state ?? ''}
          onChange={(e) => onChange(without(filters, 'state', e.target.value))}
        >
          <option value="">All open states</option>
          {OPEN_STATES.map((s) => (
            <option key={s} value={s}>
              {s.replace(/_/g, ' ')}
            </option>
          ))}
        </select>
      </div>
      <div className="board-field">
        <label htmlFor={`${id}-owner`}>Owner</label>
        <input
          id={`${id}-owner`}
          type="text"
          name="owner"
          list={`${id}-owners`}
          value={owner}
          placeholder="user:kim, team:sales…"
          autoComplete="off"
          spellCheck={false}
          aria-invalid={ownerError ? true : undefined}
          aria-describedby={ownerError ? `${id}-owner-error` : undefined}
          onChange={(e) => setOwner(e.target.value)}
          onBlur={applyOwner}
        />
        <datalist id={`${id}-owners`}>
          {owners.map((o) => (
            <option key={o} value={o} />
          ))}
        </datalist>
      </div>
      <button type="submit" className="board-filter-apply">
        Apply
      </button>
      {any ? (
        <button
          type="button"
          onClick={() => onChange(filters.queue ? { queue: filters.queue } : {})}
          className="board-filter-clear"
        >
          Clear filters
        </button>
      ) : null}
      {ownerError ? (
        <p id={`${id}-owner-error`} className="board-filter-error" role="alert">
          <span aria-hidden="true">⚠ </span>
          {ownerError}
        </p>
      ) : null}
    </form>
  );
}
