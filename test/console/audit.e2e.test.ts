// The audit page against a real `baton serve`: search the log by handoff, actor, type and time
// (kept in the URL); verify the chain, then tamper with the store file behind Baton's back and
// see the page say what failed where, with a link to the handoff. axe on the page, both ways.
import { DatabaseSync } from 'node:sqlite';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Page } from 'playwright-core';
import { editEvent } from '../support/tamper.ts';
import {
  a11yProblems,
  openBrowser,
  screenshot,
  signIn,
  withoutChromium,
  type OpenBrowser,
} from './support/browser.ts';
import { startConsole, type RunningConsole } from './support/console.ts';

// The machine may be busy: give live updates and the browser time before calling it a failure.
vi.setConfig({ testTimeout: 90_000, expect: { poll: { timeout: 15_000, interval: 100 } } });

let c: RunningConsole;
let b: OpenBrowser;
let admin: string;
const ids: string[] = [];

beforeAll(async () => {
  if (withoutChromium()) return;
  c = await startConsole();
  b = await openBrowser();
  admin = c.token('dana', 'admin');
  const ops = c.token('ops', 'operator');
  ids.push(await c.send('lead-to-owner', { id: 'A1', company: 'Acme', email: 'jo@a1.example', amount: 100 }));
  ids.push(
    await c.send('lead-to-owner', { id: 'A2', company: 'Globex', email: 'al@a2.example', amount: 100 }),
  );
  for (const id of ids) await settled(id);
  const r = await c.call('POST', `/v1/handoffs/${ids[1]}/cancel`, ops, {});
  if (r.status !== 200) throw new Error(`cancel answered ${r.status}`);
}, 60_000);
/** Waits until the worker has handed the handoff to its owner. */
async function settled(id: string): Promise<void> {
  for (const until = Date.now() + 10_000; Date.now() < until;) {
    if ((await c.call('GET', `/v1/handoffs/${id}`, admin)).body.state === 'handed_off') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${id} was not handed off in time`);
}

afterAll(async () => {
  await b?.close();
  await c?.stop();
});

/** The events table's rows as [handoff id, type, actor], read at once (the table may change). */
interface Cell {
  getAttribute(name: string): string | null;
  textContent: string | null;
}
/** The little of the DOM read here (the tests' type-check has no DOM library). */
interface Tr {
  querySelector(selector: string): Cell | null;
}
function rows(page: Page): Promise<string[][]> {
  return page
    .locator('table.events tbody tr')
    .evaluateAll((trs) =>
      (trs as unknown as Tr[]).map((tr) => [
        tr.querySelector('td:nth-child(2) a')?.getAttribute('title') ?? '',
        tr.querySelector('th')?.textContent ?? '',
        tr.querySelector('td:nth-child(5)')?.textContent ?? '',
      ]),
    );
}

/** Opens the audit page, fills the search form and submits it; waits for the answer. */
async function search(page: Page, fields: Record<string, string>): Promise<void> {
  await page.goto(`${c.url}/audit`);
  await waitForAnswer(page);
  for (const [label, value] of Object.entries(fields))
    await page.getByLabel(label, { exact: true }).fill(value);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL((u) => u.search.length > 1);
  await waitForAnswer(page);
}

async function waitForAnswer(page: Page): Promise<void> {
  await expect.poll(() => page.locator('.search-status').textContent()).toMatch(/\d+\+? events?/);
}

/** A datetime-local value, `minutes` from now (the browser's time zone is this machine's). */
function local(minutes: number): string {
  const d = new Date(Date.now() + minutes * 60_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

describe.skipIf(withoutChromium())('the audit page', () => {
  it('searches events by handoff, actor, type and time', async () => {
    const { context, page } = await b.page();
    await signIn(page, c.url, admin);
    await page.goto(`${c.url}/audit`);
    await page.locator('table.events tbody tr').first().waitFor();
    const all = await rows(page);
    expect(new Set(all.map((r) => r[0]))).toEqual(new Set(ids));

    await search(page, { 'Handoff id': ids[0]! });
    expect(new URL(page.url()).searchParams.get('handoff')).toBe(ids[0]);
    const one = await rows(page);
    expect(one.length).toBeGreaterThan(2);
    expect(one.every((r) => r[0] === ids[0])).toBe(true);
    expect(one.at(-1)![1]).toBe('received');

    await search(page, { Actor: 'user:ops' });
    expect(await rows(page)).toEqual([[ids[1], 'cancelled', 'user:ops via api']]);

    await search(page, { 'Event type': 'received' });
    expect(new Set((await rows(page)).map((r) => r[0]))).toEqual(new Set(ids));
    expect(await rows(page)).toHaveLength(2);

    await search(page, { From: local(60) });
    expect(new URL(page.url()).searchParams.get('since')).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await page.locator('table.events').count()).toBe(0);
    await page.getByText('0 events found').waitFor();
    await search(page, { From: local(-60), Until: local(60) });
    expect((await rows(page)).length).toBe(all.length);

    // A search is a URL: opening it again shows the same events, the form filled in.
    await page.goto(`${c.url}/audit?actor=user:ops`);
    await waitForAnswer(page);
    expect(await page.getByLabel('Actor', { exact: true }).inputValue()).toBe('user:ops');
    expect((await rows(page)).map((r) => r[1])).toEqual(['cancelled']);
    // The handoff link opens the handoff.
    await page.locator('table.events tbody tr td:nth-child(2) a').first().click();
    await page.waitForURL((u) => u.pathname === `/handoffs/${ids[1]}`);
    await context.close();
  });

  it('verifies the chain, then shows what failed where once the store is tampered with', async () => {
    const { context, page } = await b.page();
    await signIn(page, c.url, admin);
    await page.goto(`${c.url}/audit`);
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.getByText('The audit log is intact').waitFor();
    expect(await page.locator('.chain-ok').textContent()).toMatch(/events in 2 handoffs/);
    expect(await a11yProblems(page)).toEqual([]);

    // Someone with write access to the database changes who received the first handoff.
    const db = new DatabaseSync(path.join(c.dir, 'data/baton.db'));
    db.exec('PRAGMA busy_timeout = 5000');
    await editEvent(
      { rows: (sql) => db.prepare(sql).all(), exec: (sql) => db.exec(sql) },
      ids[0]!,
      1,
      () => ({
        actorId: 'mallory',
      }),
    );
    db.close();

    await page.getByRole('button', { name: 'Verify again' }).click();
    await page.getByRole('alert').filter({ hasText: 'The audit log was altered' }).waitFor();
    const edited = page.locator('table.problems tbody tr[data-kind="edited"]');
    expect(await edited.count()).toBe(1);
    expect(await edited.locator('th').textContent()).toBe('Event edited');
    expect(await edited.locator('td').nth(1).textContent()).toBe('1 (received)');
    expect(await edited.locator('td').nth(3).textContent()).toMatch(/the received event was edited/);
    expect(await edited.getByRole('link', { name: ids[0], exact: true }).getAttribute('href')).toBe(
      `/handoffs/${ids[0]}`,
    );
    expect(await a11yProblems(page)).toEqual([]);
    await screenshot(page, 'audit');

    // Its "events" link searches that handoff's events.
    await edited.getByRole('link', { name: `Events of ${ids[0]}` }).click();
    await page.waitForURL((u) => u.searchParams.get('handoff') === ids[0]);
    await expect
      .poll(async () => {
        const found = await rows(page);
        return found.length > 0 && found.every((r) => r[0] === ids[0]);
      })
      .toBe(true);
    expect((await rows(page)).some((r) => (r[2] ?? '').includes('mallory'))).toBe(true);
    await context.close();
  });

  it('fits a phone, passes axe there, and shows new events live', async () => {
    const { context, page } = await b.page({ phone: true });
    await signIn(page, c.url, admin);
    await page.goto(`${c.url}/audit`);
    await page.locator('table.events tbody tr').first().waitFor();
    const right = await page.evaluate<number>(
      "Math.max(...[...document.querySelectorAll('.audit .card, .audit input, .audit button')].map((e) => e.getBoundingClientRect().right))",
    );
    expect(right).toBeLessThanOrEqual(375 + 1);
    expect(await a11yProblems(page)).toEqual([]);
    // A new handoff's events show up without a reload.
    const id = await c.send('lead-to-owner', { id: 'A3', company: 'Initech', email: 'bo@a3.example' });
    await expect.poll(async () => (await rows(page)).some((r) => r[0] === id)).toBe(true);
    await context.close();
  });
});
