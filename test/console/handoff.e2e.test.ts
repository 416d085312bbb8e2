// The handoff page in a browser against a real `baton serve`: its timeline and waterfall, the
// commands the caller may use (accept, return with a reason, reassign), confirmation before a
// step that cannot be undone, and a viewer who sees no buttons and is refused when calling anyway.
import type { Page } from 'playwright-core';
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
import { plainLead, WORK_FILES } from './support/work-flows.ts';

let c: RunningConsole;
let b: OpenBrowser;
let ops: string;
let viewer: string;

beforeAll(async () => {
  if (withoutChromium()) return;
  c = await startConsole(WORK_FILES);
  b = await openBrowser();
  ops = c.token('ops', 'operator');
  // A reader with no part in lead-to-owner's work: neither its owner nor an approver.
  viewer = c.token('omar', 'viewer');
}, 60_000);
afterAll(async () => {
  await b?.close();
  await c?.stop();
});

const handedOff = async (id: string) => {
  const hid = await c.send('lead-to-owner', plainLead(id));
  await expect
    .poll(async () => (await c.call('GET', `/v1/handoffs/${hid}`, ops)).body.state, { timeout: 10_000 })
    .toBe('handed_off');
  return hid;
};
const state = async (id: string) => (await c.call('GET', `/v1/handoffs/${id}`, ops)).body;
const commands = (page: Page) => page.getByRole('group', { name: 'Commands' });

describe.skipIf(withoutChromium())('the handoff page', () => {
  it('shows the timeline and the waterfall, and accepting moves the work from waiting to worked', async () => {
    const id = await handedOff('H-1');
    const { context, page } = await b.page();
    await signIn(page, c.url, ops);
    await page.goto(`${c.url}/handoffs/${id}`);
    await page.getByRole('heading', { name: id }).waitFor();
    const wf = page.locator('table.waterfall');
    await expect.poll(() => wf.locator('tbody tr').count()).toBe(2);
    expect(await wf.locator('tr[data-owner="agent:lead-to-owner"] th').textContent()).toMatch(
      /agent\s*lead-to-owner/,
    );
    expect(await wf.locator('tr[data-owner="team:sales-ops"] .wf-wait').textContent()).toMatch(
      /\d+ s \(not accepted yet\)/,
    );
    const timeline = page.getByRole('list', { name: 'Events' });
    for (const type of ['received', 'decided', 'handed off'])
      expect(await timeline.getByText(type, { exact: true }).count()).toBeGreaterThan(0);
    // The decision with the rule that made it, and the fields it read with their source and trust.
    expect(await page.getByText('otherwise').count()).toBeGreaterThan(0);
    expect(
      await page.getByRole('table', { name: 'Context sources' }).getByText('context.account').count(),
    ).toBe(1);

    // ops is in sales-ops: Accept is offered; retry (nothing failed) is not.
    await commands(page).getByRole('button', { name: 'Accept' }).click();
    await page.getByText('accepted', { exact: true }).first().waitFor();
    expect((await state(id)).state).toBe('accepted');
    await expect
      .poll(() => wf.locator('tr[data-owner="team:sales-ops"] .wf-work').textContent())
      .toMatch(/\d+ s/);
    expect(await commands(page).getByRole('button', { name: 'Retry failed actions' }).count()).toBe(0);
    expect(await commands(page).getByRole('button', { name: 'Accept' }).count()).toBe(0);
    expect(await a11yProblems(page)).toEqual([]);
    await context.close();
  });

  it('shows the rule that decided, the fields it read with source and trust, and what can be undone, on a phone', async () => {
    const id = await c.send('lead-to-owner', { ...plainLead('H-5'), amount: 1000 });
    await expect.poll(async () => (await state(id)).state, { timeout: 10_000 }).toBe('handed_off');
    const { context, page } = await b.page({ phone: true });
    await signIn(page, c.url, ops);
    await page.goto(`${c.url}/handoffs/${id}`);
    await page.getByRole('heading', { name: id }).waitFor();
    expect(await page.locator('.decision').textContent()).toMatch(/rule “smb”: has\(input\.amount\)/);
    const read = page.getByRole('table', { name: 'Fields the decision read' });
    const amount = read.getByRole('row', { name: /input\.amount/ });
    expect(await amount.textContent()).toMatch(/1000.*the intake input/);
    // The context it was given, each source with its trust level.
    const account = page
      .getByRole('table', { name: 'Context sources' })
      .getByRole('row', { name: /context\.account/ });
    expect(await account.textContent()).toMatch(/builtin\.lookup\s*trusted\s*no/);
    const actions = page.getByRole('table', { name: 'Actions' });
    expect(await actions.locator('tr[data-action="task"]').textContent()).toMatch(
      /succeeded.*can be rolled back/,
    );
    // Nothing is wider than the phone: wide tables scroll inside their own box.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    expect(await a11yProblems(page)).toEqual([]);
    await context.close();
  });

  it('returns the work with a typed reason, then reassigns it', async () => {
    const id = await handedOff('H-2');
    await c.call('POST', `/v1/handoffs/${id}/accept`, ops, {});
    const { context, page } = await b.page();
    await signIn(page, c.url, ops);
    await page.goto(`${c.url}/handoffs/${id}`);
    await commands(page).getByRole('button', { name: 'Return…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Return the work' });
    await dialog.getByLabel('Reason').selectOption('missing_info');
    await dialog.getByLabel(/Comment/).fill('no phone number');
    expect(await a11yProblems(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Return', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    const returned = await state(id);
    expect(returned).toMatchObject({ state: 'returned', rework: 1 });
    expect(returned.events.at(-1)).toMatchObject({
      type: 'returned',
      data: { reason: 'missing_info', comment: 'no phone number' },
    });
    await page.getByRole('list', { name: 'Events' }).getByText('returned', { exact: true }).waitFor();
    expect(
      await page.getByRole('table', { name: 'Ownership ledger' }).getByText('returned:missing info').count(),
    ).toBe(1);

    await commands(page).getByRole('button', { name: 'Reassign…' }).click();
    const r = page.getByRole('dialog', { name: 'Reassign the work' });
    // An owner the project does not know is refused with the server's message, in the dialog.
    await r.getByLabel('New owner').fill('user:nobody');
    await r.getByRole('button', { name: 'Reassign', exact: true }).click();
    await r.getByRole('alert').waitFor();
    expect(await r.getByRole('alert').textContent()).toMatch(/422.*nobody/s);
    await r.getByLabel('New owner').fill('user:lee');
    await r.getByRole('button', { name: 'Reassign', exact: true }).click();
    await r.waitFor({ state: 'detached' });
    expect(await state(id)).toMatchObject({ state: 'handed_off', owner: 'user:lee', rework: 2 });
    await page.locator('table.waterfall tr[data-owner="user:lee"]').waitFor();
    // Four owners so far: Baton, sales ops (accepted, then returned), the fallback owner, lee.
    expect(await page.locator('table.waterfall tbody tr').count()).toBe(4);
    expect(await page.locator('table.waterfall').getByText('longest wait').count()).toBe(1);
    expect(await a11yProblems(page)).toEqual([]);
    await screenshot(page, 'handoff');
    await context.close();
  });

  it('settles a failed action after asking: "it happened" moves the handoff on', async () => {
    const id = await c.send('broken', { id: 'B-1' });
    await expect.poll(async () => (await state(id)).state, { timeout: 10_000 }).toBe('failed');
    const { context, page } = await b.page();
    await signIn(page, c.url, ops);
    await page.goto(`${c.url}/handoffs/${id}`);
    await commands(page).getByRole('button', { name: 'Retry failed actions' }).waitFor();
    const resolve = page.getByRole('group', { name: 'Resolve action call' });
    expect(await resolve.textContent()).toMatch(/call.*is failed/);
    expect(await page.getByRole('table', { name: 'Actions' }).textContent()).toContain(
      'the remote system said no',
    );
    await resolve.getByRole('button', { name: 'It happened…' }).click();
    const dialog = page.getByRole('dialog', { name: 'It happened: resolve call?' });
    await dialog.getByLabel(/Comment/).fill('checked: the call went through');
    expect(await a11yProblems(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'It happened' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(async () => (await state(id)).state, { timeout: 10_000 }).toBe('handed_off');
    const h = await state(id);
    expect(h.actions[0]).toMatchObject({ id: 'call', state: 'succeeded' });
    expect(h.events.find((e: { type: string }) => e.type === 'resolved')).toMatchObject({
      actor: { id: 'ops' },
      data: { action: 'call', outcome: 'succeeded', comment: 'checked: the call went through' },
    });
    await resolve.waitFor({ state: 'detached' });
    await context.close();
  });

  it('asks before cancelling, and a dismissed dialog changes nothing', async () => {
    const id = await handedOff('H-3');
    const { context, page } = await b.page();
    await signIn(page, c.url, ops);
    await page.goto(`${c.url}/handoffs/${id}`);
    await commands(page).getByRole('button', { name: 'Cancel handoff…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this handoff?' });
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect((await state(id)).state).toBe('handed_off');
    await commands(page).getByRole('button', { name: 'Cancel handoff…' }).click();
    await dialog.getByRole('button', { name: 'Cancel handoff' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await state(id)).state).toBe('cancelled');
    await context.close();
  });

  it('shows a viewer no buttons, refuses the viewer who calls anyway (403), and follows changes live', async () => {
    const id = await handedOff('H-4');
    const { context, page } = await b.page();
    await signIn(page, c.url, viewer);
    await page.goto(`${c.url}/handoffs/${id}`);
    await page.getByRole('heading', { name: id }).waitFor();
    await page.locator('table.waterfall').waitFor();
    expect(await page.getByRole('heading', { name: 'What you can do' }).count()).toBe(0);
    expect(await page.getByRole('main').getByRole('button').count()).toBe(0);
    // The same call from the page, with the session's own CSRF token: the server refuses it.
    const answer = await page.evaluate(async (hid) => {
      const me = (await (await fetch('/v1/session')).json()) as { csrf: string };
      const r = await fetch(`/v1/handoffs/${hid}/cancel`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrf },
        body: '{}',
      });
      return { status: r.status, body: (await r.json()) as { error: { code: string; message: string } } };
    }, id);
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('forbidden');
    expect(answer.body.error.message).not.toMatch(/csrf/i);
    expect((await state(id)).state).toBe('handed_off');
    expect(await a11yProblems(page)).toEqual([]);
    // Someone else acts: the open page follows the live stream, without a reload.
    expect((await c.call('POST', `/v1/handoffs/${id}/accept`, ops, {})).status).toBe(200);
    await page.getByRole('heading', { name: id }).getByText('accepted').waitFor({ timeout: 10_000 });
    await page.getByRole('list', { name: 'Events' }).getByText('accepted', { exact: true }).waitFor();
    await context.close();
  });
});
