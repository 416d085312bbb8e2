// `npm run bench`: lead-to-owner end to end on fresh SQLite stores (synchronous=FULL).
//   1. the raw limit: plain node:sqlite writing the same rows, a transaction per handoff and in batches
//   2. in process, 20,000 handoffs with 200 in flight (plain store, and with the writer thread)
//   3. over HTTP against `baton serve`, 20,000 handoffs with 200 in flight
//   4. latency at 1,000 handoffs/s offered
// Prints a table, then one JSON line. Options: --total N, --in-flight N, --skip-http.
// `--connectors` runs lead-to-owner with its HubSpot lookup and Slack notice against local
// servers beside the built-in-only run (bench/connectors.ts).
// `--console` measures the web console in headless chromium with 10,000 open handoffs
// (bench/console.ts; `--total` sets how many).
// `--store postgres` runs the PostgreSQL benchmark instead (bench/postgres.ts): --pg-url URL,
// --workers 1,2,4 (worker process counts), --profile DIR (CPU profiles of the worker processes).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runRaw } from './raw.ts';
import { runInProcess } from './inprocess.ts';
import { runHttp } from './http.ts';
import { runLatency } from './latency.ts';

const { values } = parseArgs({
  options: {
    total: { type: 'string', default: '20000' },
    'in-flight': { type: 'string', default: '200' },
    'skip-http': { type: 'boolean', default: false },
    port: { type: 'string', default: '3917' },
    store: { type: 'string', default: 'sqlite' },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    profile: { type: 'string' },
    workers: { type: 'string', default: '1,2,4' },
    connectors: { type: 'boolean', default: false },
    console: { type: 'boolean', default: false },
  },
});
const positive = (name: string, v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`bench: --${name} must be a positive whole number (got "${v}")`);
    process.exit(2);
  }
  return n;
};
const total = positive('total', values.total);
const inFlight = positive('in-flight', values['in-flight']);
const examples = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'examples');
const say = (s: string) => process.stderr.write(`${s}\n`);
if (values.store !== 'sqlite' && values.store !== 'postgres') {
  console.error(`bench: --store must be sqlite or postgres (got "${values.store}")`);
  process.exit(2);
}
if (values.store === 'postgres') {
  const { runPostgresBench } = await import('./postgres.ts');
  let peak = 0;
  const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const t = performance.now();
  say(`bench: ${total} handoffs, ${inFlight} in flight, PostgreSQL`);
  const r = await runPostgresBench({
    examples,
    pgUrl: values['pg-url'],
    total,
    inFlight,
    skipHttp: values['skip-http'],
    port: positive('port', values.port),
    workers: values.workers.split(',').map((w) => positive('workers', w.trim())),
    ...(values.profile ? { profileDir: values.profile } : {}),
    say,
  }).catch((e: unknown) => {
    console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
  clearInterval(sample);
  printTable(r.rows);
  console.log(
    JSON.stringify({
      ...r.json,
      peak_rss_mb: Math.round(peak / 2 ** 20),
      total,
      in_flight: inFlight,
      seconds: Math.round((performance.now() - t) / 1000),
    }),
  );
  process.exit(0);
}
if (values.console) {
  const { printConsoleFigures, runConsoleBench } = await import('./console.ts');
  const n = process.argv.includes('--total') ? total : 10_000;
  say(`bench: the console with ${n} open handoffs`);
  const figures = await runConsoleBench({ examples, total: n, say }).catch((e: unknown) => {
    console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
  process.exit(printConsoleFigures(figures) ? 0 : 1);
}
const work = mkdtempSync(path.join(tmpdir(), 'baton-bench-'));
if (values.connectors) {
  const { runConnectorBench } = await import('./connectors.ts');
  const n = Math.min(total, 5000);
  say(`bench: ${n} handoffs, ${inFlight} in flight, connectors against local servers`);
  const r = await runConnectorBench({ examples, work, total: n, inFlight, say });
  const f = (x: number, d = 0) =>
    x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  printTable([
    [
      'lead-to-owner, built-ins only (CSV lookup, inbox)',
      f(r.builtin.perSecond),
      f(r.builtin.p50, 1),
      f(r.builtin.p99, 1),
    ],
    [
      'lead-to-owner, HubSpot lookup + Slack notice',
      f(r.connected.perSecond),
      f(r.connected.p50, 1),
      f(r.connected.p99, 1),
    ],
    [`ratio ${f(r.ratio, 2)} (limit: at least 0.67)`, '', '', ''],
  ]);
  console.log(
    JSON.stringify({
      builtin_per_s: Math.round(r.builtin.perSecond),
      connectors_per_s: Math.round(r.connected.perSecond),
      ratio: Number(r.ratio.toFixed(3)),
      calls: r.calls,
      handoffs: n,
    }),
  );
  rmSync(work, { recursive: true, force: true });
  process.exit(r.ratio >= 0.67 ? 0 : 1);
}
const db = (name: string) => `sqlite:${path.join(work, `${name}.db`)}`;

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
const started = performance.now();
const rows: Array<[string, string, string, string]> = [];
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

say(`bench: ${total} handoffs, ${inFlight} in flight, stores in ${work}`);
const rawOne = runRaw(path.join(work, 'raw1.db'), total, 1);
rows.push(['raw node:sqlite, 1 handoff per transaction', fmt(rawOne.perSecond), '', '']);
const rawBatched = runRaw(path.join(work, 'raw200.db'), total, 200);
rows.push(['raw node:sqlite, 200 handoffs per transaction', fmt(rawBatched.perSecond), '', '']);
say('bench: raw done');

const plain = await runInProcess(examples, db('inproc'), total, inFlight, false);
rows.push(['Baton in process', fmt(plain.perSecond), fmt(plain.p50, 1), fmt(plain.p99, 1)]);
const threaded = await runInProcess(examples, db('threaded'), total, inFlight, true);
rows.push([
  'Baton in process, writer thread',
  fmt(threaded.perSecond),
  fmt(threaded.p50, 1),
  fmt(threaded.p99, 1),
]);
say('bench: in process done');

let http: Awaited<ReturnType<typeof runHttp>> | undefined;
if (!values['skip-http']) {
  http = await runHttp(examples, db('http'), total, inFlight, Number(values.port));
  rows.push(['Baton over HTTP (baton serve)', fmt(http.perSecond), fmt(http.p50, 1), fmt(http.p99, 1)]);
  say('bench: http done');
}

const best = threaded.perSecond > plain.perSecond ? threaded : plain;
const latency = await runLatency(examples, db('latency'), 1000, 10, best === threaded);
rows.push([
  `latency at ${latency.offered}/s offered (${latency.handoffs} handoffs)`,
  '',
  fmt(latency.p50, 1),
  fmt(latency.p99, 1),
]);
clearInterval(sampler);

printTable(rows);
console.log(
  JSON.stringify({
    handoffs_per_s: Math.round(best.perSecond),
    http_handoffs_per_s: http ? Math.round(http.perSecond) : null,
    p50_ms: Number(latency.p50.toFixed(2)),
    p99_ms: Number(latency.p99.toFixed(2)),
    peak_rss_mb: Math.round(peakRss / 2 ** 20),
    raw_batched_per_s: Math.round(rawBatched.perSecond),
    raw_per_tx_per_s: Math.round(rawOne.perSecond),
    in_process_plain_per_s: Math.round(plain.perSecond),
    in_process_writer_thread_per_s: Math.round(threaded.perSecond),
    total,
    in_flight: inFlight,
    seconds: Math.round((performance.now() - started) / 1000),
  }),
);
rmSync(work, { recursive: true, force: true });

function printTable(table: ReadonlyArray<[string, string, string, string]>): void {
  const header: [string, string, string, string] = ['run', 'handoffs/s', 'p50 ms', 'p99 ms'];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of table) console.log(line(r));
}
