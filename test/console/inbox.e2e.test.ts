// The inbox in a browser against a real `baton serve`: approving from a phone, edit-then-approve
// with a comment, a suggest-mode confirmation in one keystroke, work to accept, the keyboard,
// and a viewer who sees what waits but no buttons.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  a11yProblems,
  openBrowser,
  screenshot,
  signIn,
  withoutChromium,
  type OpenBrowser,
} from './support/browser.ts';
import { startConsole, type RunningConsole } from './support/console.ts';
import { bigLead, plainLead, WORK_FILES } from './support/work-flows.ts';

let c: RunningConsole;
let b: OpenBrowser;
let sam: string;
let ops: string;

beforeAll(async () => {
  if (withoutChromium()) return;
  c = await startConsole(WORK_FILES);
  b = await openBrowser();
  sam = c.token('sam', 'operator');
  ops = c.token('ops', 'operator');
}, 60_000);
afterAll(async () => {
  await b?.close();
  await c?.stop();
});

const settled = async (id: string, want: string) => {
  await expect
    .poll(async () => (await c.call('GET', `/v1/handoffs/${id}`, ops)).body.state, { timeout: 10_000 })
    .toBe(want);
};
const approvalOf = async (id: string) =>
  (await c.call('GET', `/v1/approvals?handoff=${id}`, ops)).body.items[0] as {
    id: string;
    state: string;
    votes: Array<{ user: string; comment?: string; via?: string }>;
    overrides?: Array<{ by: string; previous: Record<string, unknown>; params: Record<string, unknown> }>;
  };

describe.skipIf(withoutChromium())('the inbox', () => {
  it('approves from a phone: the exact parameters, the level, who else, the time left', async () => {
    const id = await c.send('lead-to-owner', bigLead('I-1'));
    await settled(id, 'awaiting_approval');
    const { context, page } = await b.page({ phone: true });
    await signIn(page, c.url, sam);
    await page.goto(`${c.url}/inbox`);
    const card = page.locator('li[data-item="approval"]', { hasText: id });
    await card.waitFor();
    const text = (await card.textContent()) ?? '';
    expect(text).toContain('The exact parameters you approve');
    expect(text).toContain('Your quote, Big');
    expect(text).toMatch(/Level 1 of 1.*you approve as\s*role\s*sales-manager/s);
    expect(text).toMatch(/Needs 1 more approval at this level; nobody else can give one/);
    expect(text).toMatch(/Requested .* by kim/);
    expect(text).toMatch(/[34] h( \d+ min)? left/);
    // Nothing wider than the phone.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    expect(await a11yProblems(page)).toEqual([]);
    await screenshot(page, 'inbox-phone');
    await card.getByRole('button', { name: 'Approve', exact: true }).tap();
    await card.waitFor({ state: 'detached' });
    await settled(id, 'handed_off');
    const a = await approvalOf(id);
    expect(a).toMatchObject({ state: 'approved', votes: [{ user: 'sam', via: 'api' }] });
    await context.close();
  });

  it('edits the parameters, then approves with a comment', async () => {
    const id = await c.send('lead-to-owner', bigLead('I-2'));
    await settled(id, 'awaiting_approval');
    const { context, page } = await b.page();
    await signIn(page, c.url, sam);
    await page.goto(`${c.url}/inbox`);
    const card = page.locator('li[data-item="approval"]', { hasText: id });
    await card.getByRole('button', { name: 'Edit and approve…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit, then approve' });
    await dialog.getByLabel(/^subject/).fill('Your revised quote, Big');
    await dialog.getByLabel(/Comment/).fill('clearer subject');
    expect(await a11yProblems(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Approve with edits' }).click();
    await dialog.waitFor({ state: 'detached' });
    await card.waitFor({ state: 'detached' });
    const a = await approvalOf(id);
    expect(a.state).toBe('approved');
    expect(a.votes[0]).toMatchObject({ user: 'sam', comment: 'clearer subject' });
    expect(a.overrides).toEqual([
      expect.objectContaining({
        by: 'sam',
        previous: expect.objectContaining({ subject: 'Your quote, Big' }),
        params: expect.objectContaining({ subject: 'Your revised quote, Big' }),
      }),
    ]);
    await settled(id, 'handed_off');
    const quote = (await c.call('GET', `/v1/handoffs/${id}`, ops)).body.actions.find(
      (x: { id: string }) => x.id === 'quote',
    );
    expect(quote.params.subject).toBe('Your revised quote, Big');
    // The handoff page tells who decided, through which channel, and what they changed.
    await page.goto(`${c.url}/handoffs/${id}`);
    const approval = page.getByRole('region', { name: `Approval ${a.id}` });
    expect(await approval.textContent()).toMatch(
      /Decided approved by sam \(human, via api\).*“clearer subject”.*Edited by sam.*Your quote, Big.*→.*Your revised quote, Big/s,
    );
    await context.close();
  });

  it('walks mine, my teams and my roles with the keyboard: r asks before rejecting, a confirms a routing, a accepts work, Enter opens', async () => {
    const ticket = await c.send('triage-suggest', { id: 'T-1', title: 'search is down' });
    await settled(ticket, 'awaiting_approval');
    const lead = await c.send('lead-to-owner', plainLead('I-3'));
    await settled(lead, 'handed_off');
    const other = await c.send('lead-to-owner', plainLead('I-4'));
    await settled(other, 'handed_off');
    const { context, page } = await b.page();
    await signIn(page, c.url, ops);
    await page.goto(`${c.url}/inbox`);
    const confirm = page.locator('li[data-item="approval"]', { hasText: ticket });
    await confirm.waitFor();
    expect(await confirm.textContent()).toMatch(
      /Confirm routing.*The decision you confirm.*team:eng-oncall/s,
    );
    // ops acts for teams only: everything is under "My teams", nothing under "My roles".
    await page.getByRole('button', { name: /^My roles/ }).click();
    await page.getByText('Nothing waits for you here.').waitFor();
    expect(page.url()).toContain('tab=roles');
    await page.getByRole('button', { name: /^My teams/ }).click();
    await confirm.waitFor();
    // The inbox messages too: the request to confirm reached team:support's inbox.
    await page
      .getByRole('region', { name: /^Messages/ })
      .getByText(/Confirm routing: Ticket triage/)
      .first()
      .waitFor();
    expect(await a11yProblems(page)).toEqual([]);
    await screenshot(page, 'inbox');

    // Focus the list and move with j/k; `a` on the routing confirms it in one key.
    const items = page.locator('li[data-item]');
    await items.first().focus();
    const index = async (hid: string) => {
      const texts = await items.allTextContents();
      return texts.findIndex((t) => t.includes(hid));
    };
    const focused = () => page.evaluate("document.activeElement?.textContent ?? ''");
    /** From the first item, down with j to the one of `hid`. */
    const go = async (hid: string) => {
      const want = await index(hid);
      for (let at = 0; at < want; at++) await page.keyboard.press('j');
      await expect.poll(focused).toContain(hid);
    };
    // j past the end stays on the last item; k goes back up.
    const count = await items.count();
    for (let at = 0; at < count; at++) await page.keyboard.press('j');
    expect(await focused()).toBe(await items.last().textContent());
    await page.keyboard.press('k');
    expect(await focused()).toBe(await items.nth(count - 2).textContent());
    await items.first().focus();
    await go(ticket);
    // `r` asks before rejecting; Escape leaves it pending.
    await page.keyboard.press('r');
    const reject = page.getByRole('dialog', { name: 'Reject?' });
    await reject.waitFor();
    await page.keyboard.press('Escape');
    await reject.waitFor({ state: 'detached' });
    expect((await approvalOf(ticket)).state).toBe('pending');
    await confirm.focus();
    await page.keyboard.press('a');
    await confirm.waitFor({ state: 'detached' });
    // Focus moves on to the item that took its place, so the keyboard goes on from there.
    await expect
      .poll(() => page.evaluate("document.activeElement?.getAttribute('data-item') ?? ''"))
      .toBe('handoff');
    await settled(ticket, 'handed_off');
    expect((await c.call('GET', `/v1/handoffs/${ticket}`, ops)).body.owner).toBe('team:eng-oncall');

    await items.first().focus();
    await go(lead);
    await page.keyboard.press('a');
    await page.locator('li[data-item]', { hasText: lead }).waitFor({ state: 'detached' });
    expect((await c.call('GET', `/v1/handoffs/${lead}`, ops)).body.state).toBe('accepted');

    await items.first().focus();
    await go(other);
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/handoffs/${other}`);
    await page.getByRole('heading', { name: other }).waitFor();
    await context.close();
  });

  it('a viewer approver decides as any approver; a viewer with no part sees nothing to decide', async () => {
    const id = await c.send('lead-to-owner', bigLead('I-5'));
    await settled(id, 'awaiting_approval');
    // omar reads with a viewer token and approves nothing in lead-to-owner: no item, no button.
    const outsider = await b.page({ phone: true });
    await signIn(outsider.page, c.url, c.token('omar', 'viewer'));
    await outsider.page.goto(`${c.url}/inbox`);
    await outsider.page.getByRole('heading', { name: 'Inbox' }).waitFor();
    await outsider.page.waitForTimeout(500);
    expect(await outsider.page.locator('li[data-item]', { hasText: id }).count()).toBe(0);
    // (omar may have on-call work of earlier tests to accept, but nothing to approve.)
    expect(
      await outsider.page
        .getByRole('main')
        .getByRole('button', { name: /Approve|Reject/ })
        .count(),
    ).toBe(0);
    await outsider.context.close();

    // sam's token is a viewer's too, but the flow names sam's role as approver: the right to
    // approve comes from the flow, not from the access level.
    const { context, page } = await b.page({ phone: true });
    await signIn(page, c.url, c.token('sam', 'viewer'));
    await page.goto(`${c.url}/inbox`);
    const item = page.locator('li[data-item="approval"]', { hasText: id });
    await item.waitFor();
    expect(await item.getByRole('button', { name: /Approve/ }).count()).toBeGreaterThan(0);
    // A new request shows up by itself (the live stream), without a reload.
    const next = await c.send('lead-to-owner', bigLead('I-6'));
    await page.locator('li[data-item="approval"]', { hasText: next }).waitFor({ timeout: 10_000 });
    await context.close();
  });
});
