// The period and scope pickers. Every choice goes into the URL (the page reads it back), so the
// browser's back button and a shared link show the same view.
import type { FlowList } from '../../api/types.ts';
import { PRESETS, type Period, type Scope } from './period.ts';

interface Props {
  period: Period;
  scope: Scope;
  flows: FlowList['items'];
  onPeriod: (p: Period) => void;
  onScope: (s: Scope) => void;
}

const scopeValue = (s: Scope) => (s.flow ? `flow:${s.flow}` : s.boundary ? `boundary:${s.boundary}` : '');

function parseScope(v: string): Scope {
  if (v.startsWith('flow:')) return { flow: v.slice(5) };
  if (v.startsWith('boundary:')) return { boundary: v.slice(9) };
  return {};
}

export function Controls({ period, scope, flows, onPeriod, onScope }: Props) {
  const boundaries = [...new Set(flows.map((f) => f.boundary))].sort();
  // A scope from the URL that the flow list does not (yet) hold still shows as chosen.
  const known = new Set([...flows.map((f) => `flow:${f.id}`), ...boundaries.map((b) => `boundary:${b}`)]);
  const current = scopeValue(scope);
  return (
    <form
      className="dash-controls row"
      onSubmit={(e) => e.preventDefault()}
      aria-label="What the figures cover"
    >
      <label>
        Period{' '}
        <select
          value={period.preset}
          onChange={(e) => {
            const v = e.target.value;
            onPeriod(v === 'custom' ? { preset: 'custom' } : { preset: v });
          }}
        >
          {PRESETS.map((x) => (
            <option key={x.value} value={x.value}>
              {x.label}
            </option>
          ))}
          <option value="custom">Chosen days…</option>
        </select>
      </label>
      {period.preset === 'custom' && (
        <>
          <label>
            From (UTC){' '}
            <input
              type="date"
              value={period.from ?? ''}
              max={period.to}
              onChange={(e) => onPeriod({ ...period, from: e.target.value || undefined })}
            />
          </label>
          <label>
            To (UTC, inclusive){' '}
            <input
              type="date"
              value={period.to ?? ''}
              min={period.from}
              onChange={(e) => onPeriod({ ...period, to: e.target.value || undefined })}
            />
          </label>
        </>
      )}
      <label>
        Flow or boundary{' '}
        <select value={current} onChange={(e) => onScope(parseScope(e.target.value))}>
          <option value="">All flows and boundaries</option>
          {current && !known.has(current) && <option value={current}>{current.replace(':', ' ')}</option>}
          <optgroup label="Flows">
            {flows.map((f) => (
              <option key={f.id} value={`flow:${f.id}`}>
                {f.name} ({f.id})
              </option>
            ))}
          </optgroup>
          <optgroup label="Boundaries">
            {boundaries.map((b) => (
              <option key={b} value={`boundary:${b}`}>
                {b.replace('->', ' → ')}
              </option>
            ))}
          </optgroup>
        </select>
      </label>
    </form>
  );
}
