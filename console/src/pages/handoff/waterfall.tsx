// The waterfall: one row per owner the handoff had, on one time axis, so the delay at each
// boundary shows at a glance. Every bar's length is also written out (waited / worked), and the
// bars themselves are hidden from screen readers, which read the same figures as a table.
import { Owner } from '../../ui/badges.tsx';
import { formatDuration, when } from '../../ui/time.ts';
import type { HandoffDetail } from '../../api/types.ts';
import { waterfall } from './spans.ts';

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

export function WaterfallView({ h, now }: { h: HandoffDetail; now: number }) {
  const w = waterfall(h, now);
  const total = w.end - w.start;
  // The stretch that waited longest is named in words, so the slowest boundary stands out.
  const longest = w.spans.reduce<(typeof w.spans)[number] | undefined>(
    (best, s) => (!s.owner.startsWith('agent:') && s.waitMs > (best?.waitMs ?? 0) ? s : best),
    undefined,
  );
  if (w.spans.length === 0) return <p className="muted">No owner yet.</p>;
  return (
    <table className="waterfall">
      <caption>
        {formatDuration(total)} from receipt to {w.spans.some((s) => s.open) ? 'now' : 'the end'}:{' '}
        <span className="legend-wait">▨ waiting in the owner's queue</span>{' '}
        <span className="legend-work">■ being worked</span>
      </caption>
      <thead>
        <tr>
          <th scope="col">Owner</th>
          <th scope="col">Waited</th>
          <th scope="col">Worked</th>
          <th scope="col" className="wf-bar-col">
            <span className="sr-only">Bar</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {w.spans.map((s) => {
          const agent = s.owner.startsWith('agent:');
          return (
            <tr key={s.seq} data-owner={s.owner}>
              <th scope="row">
                <Owner owner={s.owner} />
                <div className="muted small">
                  {s.reason.replaceAll('_', ' ')} · {s.open ? 'now' : s.status}
                  {s.by ? ` by ${s.by}` : ''}
                </div>
              </th>
              <td className="wf-wait">
                {agent ? '—' : formatDuration(s.waitMs)}
                {!agent &&
                  s.acceptedAt === undefined &&
                  (s.open ? ' (not accepted yet)' : ' (never accepted)')}
                {s === longest && w.spans.length > 2 && (
                  <>
                    {' '}
                    <span className="badge badge-warn">longest wait</span>
                  </>
                )}
              </td>
              <td className="wf-work">
                {agent || s.acceptedAt !== undefined ? formatDuration(s.workMs) : '—'}
              </td>
              <td className="wf-bar-col" aria-hidden="true" title={when(new Date(s.from).toISOString())}>
                <div className="wf-track">
                  <span
                    className="wf-bar wf-bar-wait"
                    style={{ left: pct((s.from - w.start) / total), width: pct(s.waitMs / total) }}
                  />
                  <span
                    className="wf-bar wf-bar-work"
                    style={{
                      left: pct((s.from + s.waitMs - w.start) / total),
                      width: pct(s.workMs / total),
                    }}
                  />
                </div>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
