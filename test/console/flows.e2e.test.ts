// The Flows pages in a real browser against `baton serve` on a copy of the examples: the list,
// a flow's diagram, triggers, versions and eval, and the editor: edit a rule, see the draft's
// problems, the diff and the eval, save; the file keeps its comments and a new version is
// listed. A viewer sees the editor read-only, without a save, and is refused by the API.
import { readFileSync } from 'node:fs';
import path from 'node:path';
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

let c: RunningConsole;
let b: OpenBrowser;
let admin: string;
let viewer: string;
let original: string;
const flowFile = () => path.join(c.dir, 'flows/lead-to-owner.yaml');
const comments = (text: string) => text.split('\n').filter((l) => /(^|\s)#/.test(l));

beforeAll(async () => {
  if (withoutChromium()) return;
  c = await startConsole();
  b = await openBrowser();
  admin = c.token('dana', 'admin');
  viewer = c.token('kim', 'viewer');
  original = readFileSync(flowFile(), 'utf8');
  await c.send('lead-to-owner', { id: 'FL-1', company: 'Acme', email: 'jo@acme.com' });
}, 60_000);
afterAll(async () => {
  await b?.close();
  await c?.stop();
});

async function open(token: string, at: string, phone = false): Promise<Page> {
  const { page } = await b.page({ phone });
  await signIn(page, c.url, token);
  await page.goto(`${c.url}${at}`);
  return page;
}

describe.skipIf(withoutChromium())('the Flows pages', () => {
  it('list the flows with their mode, version and triggers', async () => {
    const page = await open(admin, '/flows');
    const row = page.getByRole('row').filter({ hasText: 'Qualified lead to account owner' });
    await row.waitFor();
    const live = (await c.call('GET', '/v1/flows/lead-to-owner', admin)).body.version as string;
    expect(await row.textContent()).toContain('mode auto');
    expect(await row.textContent()).toContain(live.slice(0, 12));
    expect(await row.textContent()).toMatch(/webhook/);
    expect(await page.getByRole('row').count()).toBe(4); // the header and three flows
    expect(await a11yProblems(page)).toEqual([]);
    await screenshot(page, 'flows');
    await page.getByRole('link', { name: 'Invoice to finance for payment' }).click();
    await page.getByRole('heading', { name: 'Invoice to finance for payment' }).waitFor();
    await page.context().close();
  });

  it("draw a flow's parts, with its triggers, versions and eval results", async () => {
    const page = await open(viewer, '/flows/lead-to-owner');
    const diagram = page.getByRole('list', { name: /How work moves through/ });
    await diagram.waitFor();
    const stages = await diagram.getByRole('heading').allTextContents();
    expect(stages).toEqual(['Trigger', 'Context', 'Rules', 'Actions', 'Hand-off', 'Escalation ladder']);
    const text = (await diagram.textContent()) ?? '';
    for (const part of [
      'webhook',
      'account',
      'existing account',
      'enterprise',
      'otherwise',
      'quote',
      'approval',
      'sales-manager',
      'accepted within 15m',
      'after 30m',
      "the owner's manager",
    ])
      expect(text).toContain(part);
    const versions = page.getByRole('table', { name: /Version history/ });
    await versions.getByText('live').waitFor();
    expect(await versions.getByRole('row').nth(1).textContent()).toMatch(/live.*1$/);

    await page.getByRole('button', { name: 'Run the eval cases on the live flow' }).click();
    const results = page.getByRole('table', { name: /Eval on the live flow/ });
    await results.waitFor({ timeout: 30_000 });
    expect(await results.locator('caption').textContent()).toMatch(/\d+ passed, 0 failed/);
    expect(await a11yProblems(page)).toEqual([]);
    await page.getByRole('heading', { name: 'Diagram' }).scrollIntoViewIfNeeded();
    await screenshot(page, 'flow');
    await page.context().close();
  });

  it('edit a rule with live validation, show the eval and the diff, and save it as a new version', async () => {
    const page = await open(admin, '/flows/lead-to-owner');
    const when = page.locator('#f-decide-rules-1-when');
    await when.waitFor();
    expect(await page.getByLabel('When (CEL)', { exact: true }).count()).toBe(3);

    // A broken expression: the draft names the field, beside it.
    await when.fill('has(input.amount) && input.amount >');
    await expect.poll(() => when.getAttribute('aria-invalid'), { timeout: 10_000 }).toBe('true');
    expect(await page.locator('#f-decide-rules-1-when-err').textContent()).toMatch(/\S/);
    await page.getByRole('status').filter({ hasText: 'does not load' }).waitFor();

    await when.fill('has(input.amount) && input.amount > 50000.0');
    await page.getByRole('status').filter({ hasText: 'The draft loads' }).waitFor({ timeout: 10_000 });
    expect(await when.getAttribute('aria-invalid')).toBeNull();
    const diff = (await page.getByLabel('Diff of the YAML').textContent()) ?? '';
    expect(diff).toContain("-      when: 'has(input.amount) && input.amount > 5000.0'");
    expect(diff).toContain("+      when: 'has(input.amount) && input.amount > 50000.0'");

    const save = page.getByRole('button', { name: 'Save as a new version' });
    expect(await save.isDisabled()).toBe(true); // the eval runs first
    await page.getByRole('button', { name: 'Run the eval cases on the draft' }).click();
    const results = page.getByRole('table', { name: /Eval on the draft/ });
    await results.waitFor({ timeout: 30_000 });
    expect(await results.locator('caption').textContent()).toMatch(/passed, 1 failed/);
    const failed = results.getByRole('row').filter({ hasText: 'failed' });
    expect(await failed.textContent()).toContain('enterprise deal up to 50k needs no approval');
    expect(await a11yProblems(page)).toEqual([]);
    // The edited rule with the draft beside it: its diff and the eval on it.
    await page.locator('#f-decide-rules-0-owner').scrollIntoViewIfNeeded();
    await screenshot(page, 'flow-editor');

    await save.click();
    const dialog = page.getByRole('dialog', { name: 'Save as a new version?' });
    expect(await dialog.textContent()).toContain('1 eval case fail');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved: version' }).waitFor({ timeout: 10_000 });

    const now = readFileSync(flowFile(), 'utf8');
    expect(now).toContain("when: 'has(input.amount) && input.amount > 50000.0'");
    expect(comments(now)).toEqual(comments(original));
    expect(now.split('\n').length).toBe(original.split('\n').length);
    const versions = page.getByRole('table', { name: /Version history/ });
    await expect.poll(() => versions.getByRole('row').count(), { timeout: 10_000 }).toBe(3);
    const newest = (await versions.getByRole('row').nth(1).textContent()) ?? '';
    const live = (await c.call('GET', '/v1/flows/lead-to-owner', admin)).body.version as string;
    expect(newest).toContain(live.slice(0, 12));
    expect(newest).toContain('live');
    // What changed from the version before to the live one, on demand.
    await versions.getByRole('button', { name: /Changes to live/ }).click();
    const changes = page.getByLabel(/^From \w+ to live$/);
    expect(await changes.textContent()).toContain(
      "+      when: 'has(input.amount) && input.amount > 50000.0'",
    );
    expect(await a11yProblems(page)).toEqual([]);
    await page.context().close();
  });

  it('show a viewer the editor read-only, with no save, on a phone too; the API refuses a save', async () => {
    const page = await open(viewer, '/flows/lead-to-owner', true);
    await page.getByText('Read-only: only an admin token can edit this flow.').waitFor();
    expect(await page.locator('#f-decide-rules-1-when').getAttribute('readonly')).not.toBeNull();
    expect(await page.getByRole('button', { name: 'Save as a new version' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Add a rule' }).count()).toBe(0);
    expect(await a11yProblems(page)).toEqual([]);
    const width = await page.evaluate<number>('document.documentElement.scrollWidth');
    expect(width).toBeLessThanOrEqual(375);
    const live = (await c.call('GET', '/v1/flows/lead-to-owner', viewer)).body.version as string;
    const refused = await c.call('PUT', '/v1/flows/lead-to-owner', viewer, {
      yaml: readFileSync(flowFile(), 'utf8'),
      expectedVersion: live,
    });
    expect(refused.status).toBe(403);
    await page.context().close();
  });
});
