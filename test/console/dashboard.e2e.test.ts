// The dashboard against a real `baton serve`: its figures move as handoffs are sent and handled
// (live, no reload), each chart shows its numbers on hover and in a table, its links open the
// board filtered to the handoffs behind a figure, period and scope live in the URL; axe finds no
// serious problem, on a laptop and on a phone.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Page } from 'playwright-core';
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
let lee: string;
/** The handoffs the first test sends. */
const ids: string[] = [];

beforeAll(async () => {
  if (withoutChromium()) return;
  c = await startConsole();
  b = await openBrowser();
  admin = c.token('dana', 'admin');
  lee = c.token('lee', 'viewer');
}, 60_000);
afterAll(async () => {
  await b?.close();
  await c?.stop();
});

/** A lead the example flow routes to team:smb-sales (it has an amount, no known account). */
const lead = (id: string) => ({
  id,
  company: `Co ${id}`,
  email: `x@${id.toLowerCase()}.example`,
  amount: 100,
});

const tile = (page: Page, figure: string) => page.locator(`[data-figure="${figure}"] .tile-value`);
const escapeRe = (text: string) => text.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');
const exactly = (text: string) => new RegExp(`^${escapeRe(text)}$`);
/** A row of a figure's table, by its first cell. */
const row = (page: Page, figure: string, name: string) =>
  page.locator(`#${figure} table tbody tr`).filter({ has: page.locator('th', { hasText: exactly(name) }) });

async function settled(id: string): Promise<void> {
  await expect
    .poll(async () => (await c.call('GET', `/v1/handoffs/${id}`, admin)).body.state)
    .toBe('handed_off');
}

describe.skipIf(withoutChromium())('the dashboard', () => {
  it('moves as handoffs are sent and handled, without a reload', async () => {
    const { context, page } = await b.page();
    await signIn(page, c.url, admin);
    await page.goto(`${c.url}/dashboard`);
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    await expect.poll(() => tile(page, 'handoffs').textContent()).toBe('0');
    expect(await page.locator('#fig-owners').textContent()).toContain('Nobody holds any work now.');

    for (const k of ['D1', 'D2', 'D3']) ids.push(await c.send('lead-to-owner', lead(k)));
    for (const id of ids) await settled(id);
    // The live stream refreshes the figures.
    await expect.poll(() => tile(page, 'handoffs').textContent()).toBe('3');
    await expect
      .poll(() => row(page, 'fig-owners', 'team:smb-sales').locator('td').first().textContent())
      .toBe('3');
    await expect
      .poll(() => row(page, 'fig-queue-age', 'under 1h').locator('td').first().textContent())
      .toBe('3');
    expect(await tile(page, 'rework-rate').textContent()).toBe('0%');

    // Lee (of team:smb-sales) sends two back: one declined, one returned after accepting.
    expect(
      (await c.call('POST', `/v1/handoffs/${ids[0]}/decline`, lee, { reason: 'wrong_owner' })).status,
    ).toBe(200);
    expect((await c.call('POST', `/v1/handoffs/${ids[1]}/accept`, lee, {})).status).toBe(200);
    expect(
      (await c.call('POST', `/v1/handoffs/${ids[1]}/return`, lee, { reason: 'missing_info' })).status,
    ).toBe(200);
    await expect.poll(() => tile(page, 'rework-rate').textContent()).toBe('67%');
    await expect
      .poll(() => row(page, 'fig-rework-reason', 'missing_info').locator('td').allTextContents())
      .toEqual(['1', '0', '33%']);
    expect(await row(page, 'fig-rework-reason', 'wrong_owner').locator('td').allTextContents()).toEqual([
      '0',
      '1',
      '33%',
    ]);
    // The team was given three, accepted one and sent two back.
    expect(
      (await row(page, 'fig-owner-activity', 'team:smb-sales').locator('td').allTextContents()).slice(2, 5),
    ).toEqual(['3', '1', '2 (67%)']);
    // Both were decided by a rule: the rule's rework rate is 2 of 3.
    expect(await row(page, 'fig-rework-decider', 'Rule').locator('td').allTextContents()).toEqual([
      '3',
      '2',
      '67%',
    ]);
    expect(await a11yProblems(page)).toEqual([]);
    await screenshot(page, 'dashboard');
    await context.close();
  });

  it('shows each figure on hover, and the same numbers without it', async () => {
    const { context, page } = await b.page();
    await signIn(page, c.url, admin);
    await page.goto(`${c.url}/dashboard`);
    // Zero-width segments (a state an owner holds none of) are drawn too: hover a visible one.
    const bars = page.locator('#fig-owners .recharts-bar-rectangle >> visible=true');
    await bars.first().waitFor();
    const tooltip = page.locator('#fig-owners .recharts-tooltip-wrapper');
    // Hover the owners' chart on its first category: the tooltip names it with its numbers.
    await bars.first().hover({ force: true });
    await expect.poll(() => tooltip.textContent()).toMatch(/Handed off\s*:\s*\d/);
    // The latency chart's tooltip gives p50 and p95 with their units.
    await page.locator('#fig-latency .recharts-bar-rectangle').first().hover({ force: true });
    await expect
      .poll(() => page.locator('#fig-latency .recharts-tooltip-wrapper').textContent())
      .toMatch(/p50\s*:\s*[\d.]+ (ms|s|min|h|d)p95\s*:\s*[\d.]+ (ms|s|min|h|d)/);
    // The chart is one labelled image; its numbers are in the table beside it.
    expect(await page.locator('#fig-latency [role="img"]').getAttribute('aria-label')).toMatch(/table below/);
    expect(await page.locator('#fig-latency table th[scope="row"]').allTextContents()).toEqual([
      'Received → handed off',
      'Handed off → accepted',
      'Accepted → completed',
      'Received → completed',
    ]);
    await context.close();
  });

  it('links each figure to the handoffs behind it, and keeps period and scope in the URL', async () => {
    const { context, page } = await b.page();
    await signIn(page, c.url, admin);
    await page.goto(`${c.url}/dashboard?since=30d`);
    await page.locator('#fig-owners').getByRole('link', { name: 'Handoffs: team:smb-sales' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    const u = new URL(page.url());
    expect(u.searchParams.get('owner')).toBe('team:smb-sales');
    const held = (await c.call('GET', '/v1/handoffs?owner=team:smb-sales', admin)).body.items as Array<{
      id: string;
    }>;
    expect(held.length).toBeGreaterThan(0);
    for (const h of held) await page.getByRole('link', { name: h.id }).waitFor();

    await page.goto(`${c.url}/dashboard`);
    await page.getByRole('link', { name: 'See the returned handoffs →' }).click();
    await page.waitForURL((x) => x.pathname === '/');
    expect(new URL(page.url()).searchParams.get('state')).toBe('returned');

    // Scope and period pickers write the URL; the figures follow.
    await page.goto(`${c.url}/dashboard`);
    await page.getByLabel('Flow or boundary').selectOption('flow:invoice-approval');
    await page.waitForURL((x) => x.searchParams.get('flow') === 'invoice-approval');
    await expect.poll(() => tile(page, 'handoffs').textContent()).toBe('0');
    await page.getByLabel('Flow or boundary').selectOption('boundary:team:marketing->team:sales-ops');
    await page.waitForURL((x) => x.searchParams.get('boundary') === 'team:marketing->team:sales-ops');
    await expect.poll(() => tile(page, 'handoffs').textContent()).toBe('3');
    await page.getByLabel('Period').selectOption('custom');
    const today = new Date().toISOString().slice(0, 10);
    await page.getByLabel('From (UTC)').fill('2020-01-01');
    await page.waitForURL((x) => x.searchParams.get('since') === '2020-01-01');
    await page.getByLabel('To (UTC, inclusive)').fill('2020-01-31');
    await page.waitForURL((x) => x.searchParams.get('until') === '2020-01-31');
    await expect.poll(() => tile(page, 'handoffs').textContent()).toBe('0');
    await page.getByLabel('To (UTC, inclusive)').fill(today);
    await expect.poll(() => tile(page, 'handoffs').textContent()).toBe('3');

    // Closed work is not on the board: completions link to the audit search of the period.
    expect((await c.call('POST', `/v1/handoffs/${ids[2]}/accept`, lee, {})).status).toBe(200);
    expect((await c.call('POST', `/v1/handoffs/${ids[2]}/complete`, lee, {})).status).toBe(200);
    await page.goto(`${c.url}/dashboard?flow=lead-to-owner`);
    await expect.poll(() => tile(page, 'completed').textContent()).toBe('1');
    await page.locator('#fig-cost').getByRole('link', { name: 'Completions: lead-to-owner' }).click();
    await page.waitForURL((x) => x.pathname === '/audit');
    const a = new URL(page.url()).searchParams;
    expect([a.get('type'), a.get('flow')]).toEqual(['completed', 'lead-to-owner']);
    expect(Date.now() - Date.parse(a.get('since')!)).toBeGreaterThan(6 * 86_400_000);
    await expect.poll(() => page.locator('table.events tbody tr').count()).toBe(1);
    expect(await page.locator('table.events tbody tr td:nth-child(2) a').getAttribute('title')).toBe(ids[2]);
    await context.close();
  });

  it('fits a phone and passes axe there', async () => {
    const { context, page } = await b.page({ phone: true });
    await signIn(page, c.url, admin);
    await page.goto(`${c.url}/dashboard`);
    await page.locator('#fig-owners .recharts-bar-rectangle').first().waitFor();
    // Every card of the dashboard fits the screen's width (wide tables scroll inside their card).
    const right = await page.evaluate<number>(
      "Math.max(...[...document.querySelectorAll('.dashboard .card, .dashboard form, .dashboard select')].map((e) => e.getBoundingClientRect().right))",
    );
    expect(right).toBeLessThanOrEqual(375 + 1);
    expect(await a11yProblems(page)).toEqual([]);
    await context.close();
  });

  it('loads recharts only with the dashboard, not with the first page', async () => {
    const { context, page } = await b.page();
    const scripts: string[] = [];
    page.on('response', (r) => {
      if (r.url().endsWith('.js')) scripts.push(r.url());
    });
    await signIn(page, c.url, admin);
    await page.getByRole('heading', { level: 1 }).waitFor();
    const first = [...scripts];
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.locator('#fig-latency').waitFor();
    expect(scripts.length).toBeGreaterThan(first.length);
    const bodies = await Promise.all(first.map((u) => fetch(u).then((r) => r.text())));
    expect(bodies.some((t) => t.includes('recharts-bar-rectangle'))).toBe(false);
    await context.close();
  });
});
