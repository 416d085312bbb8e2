// Saved views: named filter sets kept in this browser's localStorage (filters only).
import { useId, useState } from 'react';
import { loadViews, sameFilters, saveViews, type BoardFilters, type SavedView } from './filters.ts';

interface SavedViewsProps {
  filters: BoardFilters;
  onApply: (f: BoardFilters) => void;
}

export function SavedViews({ filters, onApply }: SavedViewsProps) {
  const id = useId();
  const [views, setViews] = useState<SavedView[]>(loadViews);
  const [name, setName] = useState('');
  const [message, setMessage] = useState<string | undefined>();
  const current = views.find((v) => sameFilters(v.filters, filters));

  const store = (next: SavedView[]) => {
    setViews(next);
    saveViews(next);
  };

  return (
    <div className="board-views">
      <div className="board-field">
        <label htmlFor={`${id}-saved-view`}>Saved view</label>
        <select
          id={`${id}-saved-view`}
          value={current?.name ?? ''}
          onChange={(e) => {
            const v = views.find((x) => x.name === e.target.value);
            if (v) onApply(v.filters);
          }}
        >
          <option value="">{views.length ? 'Choose a view…' : 'No saved views yet'}</option>
          {views.map((v) => (
            <option key={v.name} value={v.name}>
              {v.name}
            </option>
          ))}
        </select>
      </div>
      <form
        className="board-views-save"
        onSubmit={(e) => {
          e.preventDefault();
          const n = name.trim();
          if (!n) {
            setMessage('Name the view first');
            return;
          }
          store([...views.filter((v) => v.name !== n), { name: n, filters }]);
          setName('');
          setMessage(`Saved “${n}”`);
        }}
      >
        <div className="board-field">
          <label htmlFor={`${id}-view-name`}>View name</label>
          <input
            id={`${id}-view-name`}
            type="text"
            value={name}
            maxLength={60}
            placeholder="e.g. Sales, breached"
            aria-describedby={`${id}-msg`}
            onChange={(e) => setName(e.target.value)}
          />
        </div>
        <button type="submit">Save view</button>
        {current ? (
          <button
            type="button"
            onClick={() => {
              store(views.filter((v) => v.name !== current.name));
              setMessage(`Deleted “${current.name}”`);
            }}
          >
            Delete “{current.name}”
          </button>
        ) : null}
      </form>
      <p id={`${id}-msg`} className="board-views-msg" role="status">
        {message ?? ''}
      </p>
    </div>
  );
}
