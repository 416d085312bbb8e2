// One figure of the dashboard: a bar chart (recharts) with its numbers on hover, the same numbers
// in a table below it (readable without hover, and what a screen reader reads: the chart itself
// is one labelled image), and links to the handoffs behind it.
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { short } from './format.ts';

/** Bar colours: each at least 3:1 against white; the legend and table name every series too. */
export const COLORS = ['#0b5cad', '#8250df', '#a40e26', '#116329', '#8a3b00', '#57606a'];

export interface Series<R> {
  key: keyof R & string;
  name: string;
  /** Series with the same stack id are drawn end to end. */
  stack?: string;
}

export interface Column<R> {
  label: string;
  value: (r: R) => ReactNode;
}

interface Props<R extends { name: string }> {
  id: string;
  title: string;
  note?: ReactNode;
  rows: R[];
  series: Array<Series<R>>;
  /** How a value reads (axis, tooltip). */
  format: (v: number) => string;
  nameLabel: string;
  columns: Array<Column<R>>;
  /** The board with this row's handoffs. */
  rowLink?: (r: R) => string;
  rowLinkLabel?: string;
  link?: { to: string; label: string };
  empty: string;
  reference?: { value: number; label: string };
  max?: number;
  /** Counts: whole numbers on the axis. */
  whole?: boolean;
}

export function FigureChart<R extends { name: string }>(p: Props<R>) {
  const titleId = `${p.id}-title`;
  const height = Math.max(
    140,
    p.rows.length * (p.series.some((s) => s.stack) ? 30 : 22 * p.series.length + 12) + 70,
  );
  return (
    <section className="figure card" aria-labelledby={titleId} id={p.id}>
      <h2 id={titleId}>{p.title}</h2>
      {p.note && <p className="muted figure-note">{p.note}</p>}
      {p.rows.length === 0 ? (
        <p className="muted">{p.empty}</p>
      ) : (
        <>
          <div
            className="chart"
            role="img"
            aria-label={`Bar chart of ${p.title.toLowerCase()}; the table below gives the same numbers`}
          >
            <ResponsiveContainer width="100%" height={height}>
              <BarChart
                data={p.rows}
                layout="vertical"
                margin={{ top: 4, right: 16, bottom: 4, left: 4 }}
                accessibilityLayer={false}
              >
                <CartesianGrid strokeDasharray="3 3" horizontal={false} />
                <XAxis
                  type="number"
                  tickFormatter={(v: number) => p.format(v)}
                  domain={p.max !== undefined ? [0, p.max] : [0, 'auto']}
                  allowDecimals={!p.whole}
                  fontSize={12}
                />
                <YAxis
                  type="category"
                  dataKey="name"
                  width={132}
                  tickFormatter={(v: string) => {
                    const s = short(v);
                    return s.length > 21 ? `${s.slice(0, 20)}…` : s;
                  }}
                  fontSize={12}
                />
                <Tooltip
                  formatter={(v: unknown, name: unknown) => [
                    typeof v === 'number' ? p.format(v) : '–',
                    String(name),
                  ]}
                  cursor={{ fill: 'rgba(11, 92, 173, 0.08)' }}
                />
                {p.series.length > 1 && <Legend verticalAlign="top" height={24} />}
                {p.reference && (
                  <ReferenceLine
                    x={p.reference.value}
                    stroke="#1b1f24"
                    strokeDasharray="4 3"
                    label={{ value: p.reference.label, position: 'insideTopRight', fontSize: 11 }}
                  />
                )}
                {p.series.map((s, i) => (
                  <Bar
                    key={s.key}
                    dataKey={(r: R) => r[s.key] as number | null}
                    name={s.name}
                    fill={COLORS[i % COLORS.length]}
                    {...(s.stack ? { stackId: s.stack } : {})}
                    isAnimationActive={false}
                    maxBarSize={18}
                  />
                ))}
              </BarChart>
            </ResponsiveContainer>
          </div>
          <div className="table-scroll" role="region" aria-label={`${p.title}: numbers`} tabIndex={0}>
            <table className="figures">
              <thead>
                <tr>
                  <th scope="col">{p.nameLabel}</th>
                  {p.columns.map((c) => (
                    <th scope="col" key={c.label}>
                      {c.label}
                    </th>
                  ))}
                  {p.rowLink && (
                    <th scope="col">
                      <span className="sr-only">Handoffs</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {p.rows.map((r) => (
                  <tr key={r.name}>
                    <th scope="row">{r.name}</th>
                    {p.columns.map((c) => (
                      <td key={c.label}>{c.value(r)}</td>
                    ))}
                    {p.rowLink && (
                      <td>
                        <Link to={p.rowLink(r)} aria-label={`${p.rowLinkLabel ?? 'Handoffs'}: ${r.name}`}>
                          {p.rowLinkLabel ?? 'Handoffs'}
                        </Link>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {p.link && (
        <p className="figure-link">
          <Link to={p.link.to}>{p.link.label} →</Link>
        </p>
      )}
    </section>
  );
}
