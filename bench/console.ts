// `npm run bench -- --console`: the console's speed, in headless Debian chromium against a real
// `baton serve` holding 10,000 open handoffs (lead-to-owner intakes over HTTP, all handed off).
//   a. first load: the JS and CSS the board's first visit fetches, gzipped (limit 250 KB)
//   b. the board interactive: navigation start → first cards shown and a key press handled
//      (j focuses a card) (limit 1 s; the median of 5 fresh loads)
//   c. an intake shown on an open board: POST → its card in the page (limit 500 ms; median of 10)
// Each figure is printed against its limit as a ratio (under 1 passes), then one JSON line.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Agent, request } from 'undici';
import { leadInput } from './common.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const CHROMIUM = process.env.BATON_CHROMIUM ?? '/usr/bin/chromium';
const LIMITS = { firstLoadKb: 250, interactiveMs: 1000, intakeShownMs: 500 };

export interface ConsoleFigures {
  firstLoadKb: number;
  firstLoadFiles: number;
  interactiveMs: number;
  intakeShownMs: number;
  open: number;
  seedSeconds: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
    s.on('error', reject);
  });
}

export async function serve(dir: string, say: (s: string) => void) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin/baton.js'),
      'serve',
      '--project',
      dir,
      '--storage',
      `sqlite:${path.join(dir, 'data', 'baton.db')}`,
      '--port',
      String(port),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`baton serve exited:\n${output}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 400) throw new Error(`baton serve did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  say(`bench: baton serve on ${url}`);
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

export async function seed(url: string, total: number): Promise<void> {
  const agent = new Agent({ connections: 50, keepAliveTimeout: 30_000 });
  let next = 0;
  const lane = async () => {
    while (next < total) {
      const i = next++;
      const res = await request(`${url}/v1/flows/lead-to-owner/handoffs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(leadInput(i)),
        dispatcher: agent,
      });
      const text = await res.body.text();
      if (res.statusCode !== 202) throw new Error(`intake answered ${res.statusCode}: ${text}`);
    }
  };
  await Promise.all(Array.from({ length: 50 }, lane));
  await agent.close();
  // Every one handed off: open and held by a person or team, none still with the engine.
  for (let i = 0; ; i++) {
    const b = (await (await fetch(`${url}/v1/board`)).json()) as {
      open: number;
      queues: { unassigned: number };
    };
    if (b.open >= total && b.queues.unassigned === 0) return;
    if (i > 1200) throw new Error(`seeding did not settle: ${JSON.stringify(b)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function firstLoad(browser: Browser, url: string): Promise<{ kb: number; files: number }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const bodies: Array<Promise<number>> = [];
  page.on('response', (res) => {
    const type = res.request().resourceType();
    if (type !== 'script' && type !== 'stylesheet') return;
    bodies.push(res.body().then((b) => gzipSync(b, { level: 9 }).length));
  });
  await page.goto(`${url}/`, { waitUntil: 'networkidle' });
  await page.waitForSelector('[data-card]');
  const sizes = await Promise.all(bodies);
  await context.close();
  return { kb: sizes.reduce((a, b) => a + b, 0) / 1024, files: sizes.length };
}

async function interactive(browser: Browser, url: string): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${url}/`, { waitUntil: 'commit' });
  await page.waitForSelector('[data-card]', { state: 'visible' });
  await page.keyboard.press('j');
  // A string: this file is type-checked without the DOM's types.
  await page.waitForFunction("document.activeElement?.hasAttribute('data-card') === true", null, {
    polling: 'raf',
  });
  // Milliseconds since this page's navigation started, read in the page.
  const ms = await page.evaluate(() => performance.now());
  await context.close();
  return ms;
}

async function intakeShown(page: Page, url: string, i: number): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/flows/lead-to-owner/handoffs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // acme.com: Kim's account, so the card lands at the top of user:kim's column.
    body: JSON.stringify({ id: `speed-${i}`, company: `Speed ${i}`, email: `speed${i}@acme.com` }),
  });
  const { id } = (await res.json()) as { id: string };
  await page.waitForSelector(`[data-id="${id}"]`, { state: 'attached', timeout: 10_000 });
  return performance.now() - t0;
}

export async function runConsoleBench(o: {
  examples: string;
  total: number;
  say: (s: string) => void;
}): Promise<ConsoleFigures> {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-console-bench-'));
  cpSync(o.examples, dir, {
    recursive: true,
    filter: (src) => path.relative(o.examples, src).split(path.sep)[0] !== 'data',
  });
  const server = await serve(dir, o.say);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  try {
    const t = performance.now();
    await seed(server.url, o.total);
    const seedSeconds = (performance.now() - t) / 1000;
    o.say(`bench: ${o.total} open handoffs seeded in ${seedSeconds.toFixed(1)} s`);
    const load = await firstLoad(browser, server.url);
    // One warm-up load (the server's and chromium's first), then five measured.
    await interactive(browser, server.url);
    const loads: number[] = [];
    for (let i = 0; i < 5; i++) loads.push(await interactive(browser, server.url));
    o.say(`bench: board interactive ${loads.map((x) => x.toFixed(0)).join(', ')} ms`);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${server.url}/`, { waitUntil: 'networkidle' });
    await page.waitForSelector('[data-card]');
    const shown: number[] = [];
    for (let i = 0; i < 10; i++) {
      shown.push(await intakeShown(page, server.url, i));
      await new Promise((r) => setTimeout(r, 300));
    }
    o.say(`bench: intake shown ${shown.map((x) => x.toFixed(0)).join(', ')} ms`);
    await context.close();
    const board = (await (await fetch(`${server.url}/v1/board`)).json()) as { open: number };
    return {
      firstLoadKb: load.kb,
      firstLoadFiles: load.files,
      interactiveMs: median(loads),
      intakeShownMs: median(shown),
      open: board.open,
      seedSeconds,
    };
  } finally {
    await browser.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The figures against their limits, one line each; true when every one is within its limit. */
export function printConsoleFigures(f: ConsoleFigures): boolean {
  const rows: Array<[string, number, number, string]> = [
    [`first load, JS + CSS gzipped (${f.firstLoadFiles} files)`, f.firstLoadKb, LIMITS.firstLoadKb, 'KB'],
    [
      `board interactive with ${f.open.toLocaleString('en-US')} open`,
      f.interactiveMs,
      LIMITS.interactiveMs,
      'ms',
    ],
    ['intake shown on an open board', f.intakeShownMs, LIMITS.intakeShownMs, 'ms'],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`${'figure'.padEnd(width)}  ${'value'.padStart(10)}  ${'limit'.padStart(8)}  ratio`);
  for (const [name, value, limit, unit] of rows) {
    const v = `${value.toFixed(1)} ${unit}`;
    console.log(
      `${name.padEnd(width)}  ${v.padStart(10)}  ${`${limit} ${unit}`.padStart(8)}  ${(value / limit).toFixed(2)}`,
    );
  }
  console.log(
    JSON.stringify({
      first_load_kb: Number(f.firstLoadKb.toFixed(1)),
      first_load_ratio: Number((f.firstLoadKb / LIMITS.firstLoadKb).toFixed(3)),
      interactive_ms: Math.round(f.interactiveMs),
      interactive_ratio: Number((f.interactiveMs / LIMITS.interactiveMs).toFixed(3)),
      intake_shown_ms: Math.round(f.intakeShownMs),
      intake_shown_ratio: Number((f.intakeShownMs / LIMITS.intakeShownMs).toFixed(3)),
      open_handoffs: f.open,
      seed_seconds: Number(f.seedSeconds.toFixed(1)),
    }),
  );
  return rows.every(([, value, limit]) => value <= limit);
}
