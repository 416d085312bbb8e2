// The board in a real browser against a real `baton serve` on the example project: it fills as
// intakes arrive, keeps its filters in the URL, saves views, moves by keyboard, passes axe.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { checkA11y, openBrowser, screenshot, startConsole, type ConsoleServer } from './support/index.ts';

let server: ConsoleServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;

const lead = (id: string, company: string, email: string, amount?: number) => ({
  id,
  company,
  email,
  ...(amount === undefined ? {} : { amount }),
});

async function signIn(p: Page, token: string): Promise<void> {
  await p.goto(`${server.url}/sign-in`);
  await p.getByLabel(/token/i).fill(token);
  await p.getByRole('button', { name: /sign in/i }).click();
  await p.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
}

const card = (id: string) => page.locator(`[data-id="${id}"]`);

beforeAll(async () => {
  server = await startConsole();
  browser = await openBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  await signIn(page, await server.token('viewer'));
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
});

describe('the board', () => {
  const ids: Record<string, string> = {};

  it('fills as intakes arrive, without a reload', async () => {
    await page.goto(`${server.url}/`);
    await page.getByRole('heading', { name: 'Board' }).waitFor();
    let navigations = 0;
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations++;
    });
    ids.acme = (await server.send('lead-to-owner', lead('L-1', 'Acme', 'jo@acme.com'))).id;
    await card(ids.acme).waitFor();
    await expect.poll(() => card(ids.acme).textContent()).toContain('Acme');
    ids.big = (await server.send('lead-to-owner', lead('L-2', 'Big Co', 'x@big.io', 9000))).id;
    ids.globex = (await server.send('lead-to-owner', lead('L-3', 'Globex', 'b@globex.com'))).id;
    // Without what engineering needs, a ticket escalates back to support: the escalated queue.
    ids.ticket = (await server.send('support-escalation', { id: 'T-1', severity: 'sev2' })).id;
    for (const id of [ids.big, ids.globex, ids.ticket]) await card(id!).waitFor();
    const kim = page.getByRole('region', { name: /Kim Park/ });
    await expect.poll(() => kim.locator('[data-card]').count()).toBe(1);
    await expect.poll(() => page.locator('.board-summary').textContent()).toContain('4 open');
    const escalated = page.getByRole('navigation', { name: 'Queues' }).getByRole('button', { name: /Escalated/ });
    await expect.poll(() => escalated.textContent()).toContain('1');
    // The card says how long it has waited, and its SLA (lead-to-owner accepts within 15m).
    expect(await card(ids.acme).textContent()).toMatch(/waited \d+s/);
    expect(await card(ids.acme).textContent()).toMatch(/SLA 1[45]m \d\ds left/);
    expect(navigations).toBe(0);
  });

  it('shows a queue, and moves a card when its owner changes', async () => {
    await page
      .getByRole('navigation', { name: 'Queues' })
      .getByRole('button', { name: /Escalated/ })
      .click();
    await expect.poll(() => new URL(page.url()).searchParams.get('queue')).toBe('escalated');
    await card(ids.ticket!).waitFor();
    expect(await page.locator('[data-card]').count()).toBe(1);
    await page.getByRole('button', { name: /^Owners/ }).click();
    // Reassigned (by an operator, over HTTP): the card leaves Kim's column for Lee's.
    const op = await server.token('operator');
    const r = await fetch(`${server.url}/v1/handoffs/${ids.acme}/reassign`, {
      method: 'POST',
      headers: { authorization: `Bearer ${op}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: 'user:lee' }),
    });
    expect(r.status).toBe(200);
    const lee = page.getByRole('region', { name: /Lee Chen/ });
    await lee.locator(`[data-id="${ids.acme}"]`).waitFor();
    await expect.poll(() => page.getByRole('region', { name: /Kim Park/ }).count()).toBe(0);
  });

  it('keeps its filters in the URL across a reload', async () => {
    await page.getByLabel('Flow').selectOption('lead-to-owner');
    await expect.poll(() => new URL(page.url()).searchParams.get('flow')).toBe('lead-to-owner');
    await expect.poll(() => card(ids.ticket!).count()).toBe(0);
    await page.getByLabel('Owner').fill('team:enterprise-sales');
    await page.getByLabel('Owner').press('Enter');
    await expect.poll(() => new URL(page.url()).searchParams.get('owner')).toBe('team:enterprise-sales');
    await page.reload();
    await card(ids.big!).waitFor();
    expect(await page.getByLabel('Flow').inputValue()).toBe('lead-to-owner');
    expect(await page.getByLabel('Owner').inputValue()).toBe('team:enterprise-sales');
    expect(await page.locator('[data-card]').count()).toBe(1);
    // A bad owner is refused in the form, naming the form it must take.
    await page.getByLabel('Owner').fill('kim');
    await page.getByLabel('Owner').press('Enter');
    await page.getByRole('alert').filter({ hasText: 'user:kim' }).waitFor();
    expect(new URL(page.url()).searchParams.get('owner')).toBe('team:enterprise-sales');
  });

  it('saves a view (filters only) and brings it back', async () => {
    await page.getByLabel('View name').fill('Enterprise leads');
    await page.getByRole('button', { name: 'Save view' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => new URL(page.url()).search).toBe('');
    await card(ids.ticket!).waitFor();
    await page.getByLabel('Saved view').selectOption('Enterprise leads');
    await expect.poll(() => new URL(page.url()).searchParams.get('owner')).toBe('team:enterprise-sales');
    await page.reload();
    expect(await page.getByLabel('Saved view').inputValue()).toBe('Enterprise leads');
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }));
    expect(JSON.parse(stored)).toHaveProperty(['baton.board.views']);
    expect(stored).toContain('team:enterprise-sales');
    expect(stored).not.toMatch(/bt_|token/i);
    await page.getByRole('button', { name: 'Clear filters' }).click();
  });

  it('moves between cards with j/k and arrows, opens one with Enter, focuses the filter with /', async () => {
    await page.goto(`${server.url}/`);
    await page.locator('[data-card]').first().waitFor();
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-card') ?? null);
    await page.keyboard.press('j');
    await expect.poll(focused).toBe('0:0');
    await page.keyboard.press('ArrowRight');
    await expect.poll(focused).toBe('1:0');
    await page.keyboard.press('h');
    await expect.poll(focused).toBe('0:0');
    await page.keyboard.press('/');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('board-filter-flow');
    await page.locator('[data-card="0:0"]').focus();
    const id = await page.locator('[data-card="0:0"]').getAttribute('data-id');
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/handoffs/${id}`);
    await page.goBack();
    await page.locator('[data-card]').first().waitFor();
  });

  it('passes axe on a laptop and on a phone, and takes its screenshots', async () => {
    await page.goto(`${server.url}/`);
    await page.locator('[data-card]').first().waitFor();
    await checkA11y(page);
    await screenshot(page, 'board');
    await page.setViewportSize({ width: 375, height: 740 });
    await page.locator('[data-card]').first().waitFor();
    await checkA11y(page);
    await screenshot(page, 'board-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});
