// The console as a newcomer meets it: served by `baton serve` at `/`, read-only on loopback
// without a token, sign-in with a token kept in an httpOnly SameSite=Strict cookie, CSRF on
// every state-changing call made with that cookie, live updates without a reload.
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

beforeAll(async () => {
  if (withoutChromium()) return;
  c = await startConsole();
  b = await openBrowser();
  admin = c.token('dana', 'admin');
}, 60_000);
afterAll(async () => {
  await b?.close();
  await c?.stop();
});

describe.skipIf(withoutChromium())('the console', () => {
  it('is served at / with a strict content security policy, and a reload of a page route opens it', async () => {
    const root = await fetch(`${c.url}/`, { headers: { accept: 'text/html' } });
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toMatch(/text\/html/);
    expect(root.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(root.headers.get('x-frame-options')).toBe('DENY');
    const html = await root.text();
    expect(html).toContain('<div id="root">');
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const js = await fetch(`${c.url}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
    // A page route reloaded in the browser gets the console; an unknown API path keeps its 404.
    const deep = await fetch(`${c.url}/handoffs/H-1`, { headers: { accept: 'text/html' } });
    expect(deep.status).toBe(200);
    const api = await fetch(`${c.url}/v1/nothing-here`, { headers: { accept: 'text/html' } });
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('shows a read-only board on loopback without a token, and it fills as intakes arrive', async () => {
    const { context, page } = await b.page();
    await page.goto(c.url);
    await expect.poll(() => page.getByText('Read-only').isVisible()).toBe(true);
    // The stream is open before the intake is sent (what arrives before it is in the first read).
    await page
      .getByRole('status')
      .filter({ hasText: /^\W*Live$/ })
      .waitFor({ timeout: 15_000 });
    const id = await c.send('lead-to-owner', { id: 'L-live-1', company: 'Acme', email: 'jo@acme.com' });
    // No reload: the stream brings it.
    await page.locator(`a[href="/handoffs/${id}"]`).first().waitFor({ timeout: 15_000 });
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    expect(await a11yProblems(page)).toEqual([]);
    await context.close();
  });

  it('signs in with a token kept in an httpOnly, SameSite=Strict cookie and nowhere else', async () => {
    const { context, page } = await b.page();
    await page.goto(`${c.url}/sign-in`);
    expect(await a11yProblems(page)).toEqual([]);
    await screenshot(page, 'sign-in');
    // A wrong token is refused with the server's message.
    await page.getByLabel('API token').fill('bt_not_a_real_token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/401/);

    await signIn(page, c.url, admin);
    await page.getByText('dana').first().waitFor();
    const cookies = await context.cookies();
    const session = cookies.find((k) => k.name === 'baton_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    // The token is in no URL, no storage and no script-readable cookie.
    expect(page.url()).not.toContain(admin);
    const stored = await page.evaluate<string>(
      'JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie',
    );
    expect(stored).not.toContain(admin);
    expect(stored).not.toContain('baton_session');
    await context.close();
  });

  it('refuses a state-changing call made with the cookie but without the CSRF token (a forged form post)', async () => {
    const id = await c.send('lead-to-owner', { id: 'L-csrf-1', company: 'Acme', email: 'jo@acme.com' });
    const cookie = `baton_session=${admin}`;
    const forged = await fetch(`${c.url}/v1/handoffs/${id}/cancel`, {
      method: 'POST',
      headers: {
        cookie,
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://evil.example',
      },
      body: 'comment=gone',
    });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe('csrf_failed');
    const noHeader = await fetch(`${c.url}/v1/handoffs/${id}/cancel`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(noHeader.status).toBe(403);
    // The session's own CSRF token lets the same call through.
    const me = (await (await fetch(`${c.url}/v1/session`, { headers: { cookie } })).json()) as {
      csrf: string;
    };
    const ok = await fetch(`${c.url}/v1/handoffs/${id}/cancel`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': me.csrf },
      body: '{}',
    });
    expect(ok.status).toBe(200);
    const after = await c.call('GET', `/v1/handoffs/${id}`, admin);
    expect(after.body.state).toBe('cancelled');
  });

  it('signs out: the cookie is cleared and the console is read-only again', async () => {
    const { context, page } = await b.page();
    await signIn(page, c.url, admin);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('Read-only').waitFor();
    expect((await context.cookies()).find((k) => k.name === 'baton_session')).toBeUndefined();
    await context.close();
  });
});

describe('serve --demo', () => {
  it("fills an empty store with the eval cases' inputs, once", async () => {
    const demo = await startConsole({}, { args: ['--demo'] });
    try {
      const token = demo.token('dana', 'admin');
      const first = await demo.call('GET', '/v1/handoffs?limit=1000', token);
      expect(demo.server.output()).toMatch(/demo: sent \d+ example handoffs/);
      const sent = Number(/demo: sent (\d+)/.exec(demo.server.output())![1]);
      expect(first.body.items.length).toBe(sent);
      expect(new Set(first.body.items.map((h: { flow: string }) => h.flow))).toEqual(
        new Set(['lead-to-owner', 'support-escalation', 'invoice-approval']),
      );
    } finally {
      await demo.stop();
    }
  });
});
