// The board in a real browser against a real `baton serve` on the example project: it fills as
// intakes arrive, keeps its filters in the URL, saves views, moves by keyboard, passes axe.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import {
  a11yProblems,
  openBrowser,
  screenshot,
  signIn,
  withoutChromium,
  type OpenBrowser,
} from './support/browser.ts';
import { startConsole, type RunningConsole } from './support/console.ts';

let c: RunningConsole;
let b: OpenBrowser;
let context: BrowserContext;
let page: Page;

const lead = (id: string, company: string, email: string, amount?: number) => ({
  id,
  company,
  email,
  ...(amount === undefined ? {} : { amount }),
});

const card = (id: string) => page.locator(`[data-id="${id}"]`);
const focused = () =>
  page.evaluate<string | null>("document.activeElement?.getAttribute('data-card') ?? null");

beforeAll(async () => {
  if (withoutChromium()) return;
  c = await startConsole();
  b = await openBrowser();
  ({ context, page } = await b.page());
  // A step that cannot happen fails on its own line, well inside the test's time.
  page.setDefaultTimeout(8000);
  await signIn(page, c.url, c.token('tom', 'viewer'));
}, 60_000);

afterAll(async () => {
  await context?.close();
  await b?.close();
  await c?.stop();
});

describe.skipIf(withoutChromium())('the board', () => {
  const ids: Record<string, string> = {};
  const id = (k: string) => ids[k]!;

  it('fills as intakes arrive, without a reload', async () => {
    await page.goto(`${c.url}/`);
    await page.getByRole('heading', { name: 'Board' }).waitFor();
    let navigations = 0;
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations++;
    });
    ids.acme = await c.send('lead-to-owner', lead('L-1', 'Acme', 'jo@acme.com'));
    await card(id('acme')).waitFor();
    await expect.poll(() => card(id('acme')).textContent()).toContain('Acme');
    ids.big = await c.send('lead-to-owner', lead('L-2', 'Big Co', 'x@big.io', 9000));
    ids.globex = await c.send('lead-to-owner', lead('L-3', 'Globex', 'b@globex.com'));
    // Without what engineering needs, a ticket escalates back to support: the escalated queue.
    ids.ticket = await c.send('support-escalation', { id: 'T-1', severity: 'sev2' });
    for (const k of ['big', 'globex', 'ticket']) await card(id(k)).waitFor();
    const kim = page.getByRole('region', { name: /Kim Park/ });
    await expect.poll(() => kim.locator('[data-card]').count()).toBe(1);
    await expect.poll(() => page.locator('.board-summary').textContent()).toContain('4 open');
    const escalated = page
      .getByRole('navigation', { name: 'Queues' })
      .getByRole('button', { name: /Escalated/ });
    await expect.poll(() => escalated.textContent()).toContain('1');
    // The card says how long it has waited, and its SLA (lead-to-owner accepts within 15m).
    expect(await card(id('acme')).textContent()).toMatch(/waited \d+s/);
    expect(await card(id('acme')).textContent()).toMatch(/SLA 1[45]m \d\ds left/);
    expect(navigations).toBe(0);
  });

  it('shows a queue, and moves a card when its owner changes', async () => {
    await page
      .getByRole('navigation', { name: 'Queues' })
      .getByRole('button', { name: /Escalated/ })
      .click();
    await expect.poll(() => new URL(page.url()).searchParams.get('queue')).toBe('escalated');
    await card(id('ticket')).waitFor();
    expect(await page.locator('[data-card]').count()).toBe(1);
    await page.getByRole('button', { name: /^Owners/ }).click();
    // Reassigned (by an operator, over HTTP): the card leaves Kim's column for Lee's.
    const r = await c.call('POST', `/v1/handoffs/${id('acme')}/reassign`, c.token('ops', 'operator'), {
      to: 'user:lee',
    });
    expect(r.status).toBe(200);
    const lee = page.getByRole('region', { name: /Lee Chen/ });
    await lee.locator(`[data-id="${id('acme')}"]`).waitFor();
    await expect.poll(() => page.getByRole('region', { name: /Kim Park/ }).count()).toBe(0);
  });

  it('keeps its filters in the URL across a reload', async () => {
    await page.getByLabel('Flow', { exact: true }).selectOption('lead-to-owner');
    await expect.poll(() => new URL(page.url()).searchParams.get('flow')).toBe('lead-to-owner');
    await expect.poll(() => card(id('ticket')).count()).toBe(0);
    await page.getByLabel('Owner', { exact: true }).fill('team:enterprise-sales');
    await page.getByLabel('Owner', { exact: true }).press('Enter');
    await expect.poll(() => new URL(page.url()).searchParams.get('owner')).toBe('team:enterprise-sales');
    await page.reload();
    await card(id('big')).waitFor();
    expect(await page.getByLabel('Flow', { exact: true }).inputValue()).toBe('lead-to-owner');
    expect(await page.getByLabel('Owner', { exact: true }).inputValue()).toBe('team:enterprise-sales');
    expect(await page.locator('[data-card]').count()).toBe(1);
    // A bad owner is refused in the form, naming the form it must take.
    await page.getByLabel('Owner', { exact: true }).fill('kim');
    await page.getByLabel('Owner', { exact: true }).press('Enter');
    await page.getByRole('alert').filter({ hasText: 'user:kim' }).waitFor();
    expect(new URL(page.url()).searchParams.get('owner')).toBe('team:enterprise-sales');
  });

  it('saves a view (filters only) and brings it back', async () => {
    await page.getByLabel('View name').fill('Enterprise leads');
    await page.getByRole('button', { name: 'Save view' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => new URL(page.url()).search).toBe('');
    await card(id('ticket')).waitFor();
    await page.getByLabel('Saved view').selectOption('Enterprise leads');
    await expect.poll(() => new URL(page.url()).searchParams.get('owner')).toBe('team:enterprise-sales');
    await page.reload();
    expect(await page.getByLabel('Saved view').inputValue()).toBe('Enterprise leads');
    const stored = await page.evaluate<string>('JSON.stringify({ ...localStorage })');
    expect(JSON.parse(stored)).toHaveProperty(['baton.board.views']);
    expect(stored).toContain('team:enterprise-sales');
    expect(stored).not.toMatch(/bt_|token/i);
    await page.getByRole('button', { name: 'Clear filters' }).click();
  });

  it('renders only what a column shows, and pages on as it scrolls', async () => {
    const sent = await Promise.all(
      Array.from({ length: 70 }, (_, i) =>
        c.send('lead-to-owner', lead(`S-${i}`, `Small ${i}`, `s${i}@tiny.io`, 100)),
      ),
    );
    const oldest = sent[0]!;
    const pages: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/v1/handoffs?') && r.url().includes('cursor=')) pages.push(r.url());
    });
    await page.goto(`${c.url}/?owner=team:smb-sales`);
    const column = page.getByRole('region', { name: /SMB sales/ });
    await expect.poll(() => column.textContent()).toContain('70 open');
    const body = column.locator('.board-column-body');
    let most = 0;
    for (let i = 0; i < 40 && (await card(oldest).count()) === 0; i++) {
      most = Math.max(most, await column.locator('[data-card]').count());
      await body.evaluate((el) => {
        (el as unknown as { scrollTop: number }).scrollTop += 1500;
      });
      await page.waitForTimeout(100);
    }
    await card(oldest).waitFor();
    // Never all 70 in the page at once, and the rest came page by page from the server.
    expect(most).toBeLessThan(30);
    expect(pages.length).toBeGreaterThan(0);
  });

  it('moves between cards with j/k and arrows, opens one with Enter, focuses the filter with /', async () => {
    await page.goto(`${c.url}/`);
    await page.locator('[data-card]').first().waitFor();
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('j');
    await expect.poll(focused).toBe('0:0');
    await page.keyboard.press('ArrowRight');
    await expect.poll(focused).toBe('1:0');
    await page.keyboard.press('h');
    await expect.poll(focused).toBe('0:0');
    await page.keyboard.press('/');
    await expect
      .poll(() => page.evaluate<string | undefined>('document.activeElement?.id'))
      .toBe('board-filter-flow');
    await page.locator('[data-card="0:0"]').focus();
    const first = await page.locator('[data-card="0:0"]').getAttribute('data-id');
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/handoffs/${first}`);
    await page.goBack();
    await page.locator('[data-card]').first().waitFor();
  });
});

// What a newcomer sees: `serve --demo` on the examples, plus a flow whose SLA runs out at once.
const QUICK_SLA = `id: quick-sla
name: Callback within seconds
boundary: { from: team:support, to: team:ops }
input: { type: object, required: [id, customer], properties: { id: { type: string }, customer: { type: string } } }
idempotencyKey: input.id
decide: { otherwise: { owner: user:olga } }
actions: []
handoff: { to: '\${decision.owner}', acceptWithin: 1s }
`;

describe.skipIf(withoutChromium())('the board on the demo project', () => {
  let demo: RunningConsole;
  beforeAll(async () => {
    demo = await startConsole({ 'flows/quick-sla.yaml': QUICK_SLA }, { args: ['--demo'] });
  }, 60_000);
  afterAll(async () => {
    await demo?.stop();
  });

  it('shows routed work with breaches in text, passes axe on a laptop and a phone, and takes its screenshots', async () => {
    const late = await demo.send('quick-sla', { id: 'Q-1', customer: 'Wayne Enterprises' });
    const token = demo.token('dana', 'admin');
    await expect
      .poll(async () => (await demo.call('GET', `/v1/handoffs/${late}`, token)).body.breached, {
        timeout: 10_000,
      })
      .toBe(true);
    for (const phone of [false, true]) {
      const { context: ctx, page: p } = await b.page({ phone });
      try {
        await signIn(p, demo.url, token);
        const breached = p.locator(`[data-id="${late}"]`);
        await breached.waitFor();
        expect(await breached.textContent()).toMatch(/SLA breached \d+s ago/);
        const olga = p.getByRole('region', { name: /Olga Ivanova/ });
        expect(await olga.textContent()).toContain('1 breached');
        expect(await p.locator('[data-card]').count()).toBeGreaterThan(3);
        expect(await a11yProblems(p)).toEqual([]);
        await screenshot(p, phone ? 'board-phone' : 'board');
      } finally {
        await ctx.close();
      }
    }
  });
});
