// Email end to end: a real SMTP server receives the message; the test follows its link as a
// person would. GET and HEAD change nothing; only a POST from the page decides, once.
import { bigLead } from '../support/project.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ParsedMail } from 'mailparser';
import { startChannels } from '../support/channels.ts';
import { startSmtp, type TestSmtp } from '../support/smtp.ts';
import { waitFor } from '../http/helpers.ts';
import { hashLinkToken, LinkIssuer } from '../../src/channels/links.ts';
import { handoffView as handoffViewSchema } from '../../src/server/schemas.ts';
import { renderHandoff } from '../../src/cli/show.ts';
import type { HandoffView } from '../../src/service/views.ts';

let smtp: TestSmtp;
let env: Awaited<ReturnType<typeof startChannels>>;

beforeEach(async () => {
  smtp = await startSmtp();
  env = await startChannels({ smtpUrl: smtp.url });
});
afterEach(async () => {
  await env.close();
  await smtp.close();
});

const system = { kind: 'system' as const, id: 'test' };

const to = (m: ParsedMail): string => (Array.isArray(m.to) ? m.to[0]!.text : (m.to?.text ?? ''));

function linkIn(m: ParsedMail): string {
  const url = /(http:\/\/127\.0\.0\.1:\d+\/v1\/email\/links\/bl_[A-Za-z0-9_-]+)/.exec(m.text ?? '')?.[1];
  if (!url) throw new Error(`no link in:\n${m.text}`);
  return url;
}

async function mailFor(address: string, subject: RegExp): Promise<ParsedMail> {
  await waitFor(async () => smtp.messages.some((m) => to(m) === address && subject.test(m.subject ?? '')));
  return smtp.messages.find((m) => to(m) === address && subject.test(m.subject ?? ''))!;
}

/** Submits the confirm page's form as a browser would (same origin, form-encoded). */
async function submit(url: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(url).origin, ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, html: await res.text() };
}

const tokenOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);

describe('email', () => {
  it('mails the approver a link; GET and HEAD change nothing; 100 concurrent POSTs decide exactly once', async () => {
    const r = await env.baton.send('lead-to-owner', bigLead('E1'), system);
    const mail = await mailFor('sam@example.com', /Approval needed/);
    expect(mail.from?.value[0]).toMatchObject({ name: 'Baton', address: 'baton@example.com' });
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.html).toContain('Open to approve or reject');
    const url = linkIn(mail);
    const token = tokenOf(url);
    // 192 random bits; only the hash is stored.
    expect(Buffer.from(token.slice(3), 'base64url')).toHaveLength(24);
    const stored = await env.baton.store.link(hashLinkToken(token));
    expect(stored).toMatchObject({ kind: 'approve', userId: 'sam', handoffId: r.id });
    expect(JSON.stringify(await env.baton.store.query('SELECT * FROM links'))).not.toContain(token);
    expect(stored!.expiresAt - stored!.createdAt).toBe(60 * 60_000);

    const eventsBefore = (await env.baton.store.events(r.id)).length;
    for (let i = 0; i < 3; i++) {
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      const html = await page.text();
      expect(html).toContain('value="approve"');
      expect(html).toContain('value="reject"');
      expect(html).toContain(`name="token" value="${token}"`);
      const head = await fetch(url, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
    }
    expect((await env.baton.store.approvals({ handoffId: r.id }))[0]!.state).toBe('pending');
    expect((await env.baton.store.link(hashLinkToken(token)))!.usedAt).toBeUndefined();
    expect((await env.baton.store.events(r.id)).length).toBe(eventsBefore);

    const results = await Promise.all(
      Array.from({ length: 100 }, () => submit(url, { token, decision: 'approve', comment: 'ok by mail' })),
    );
    const won = results.filter((x) => x.status === 200);
    expect(won).toHaveLength(1);
    expect(won[0]!.html).toContain('Approved by sam via email: &quot;ok by mail&quot;');
    for (const x of results.filter((y) => y.status !== 200)) {
      expect(x.status).toBe(410);
      expect(x.html).toContain('already used');
    }
    const [approval] = await env.baton.store.approvals({ handoffId: r.id });
    expect(approval).toMatchObject({
      state: 'approved',
      votes: [{ user: 'sam', decision: 'approve', via: 'email' }],
      decidedBy: { label: 'human', user: 'sam', via: 'email' },
    });
    const events = await env.baton.store.events(r.id);
    expect(events.filter((e) => e.type === 'approval_vote')).toHaveLength(1);
    expect(events.find((e) => e.type === 'approval_vote')!.actor).toEqual({
      kind: 'user',
      id: 'sam',
      via: 'email',
    });
    // The used link now shows a page that says so, and decides nothing more.
    expect((await fetch(url)).status).toBe(410);
  });

  it('refuses altered and expired tokens, a cross-site POST, and a form without the token', async () => {
    const r = await env.baton.send('lead-to-owner', bigLead('E2'), system);
    const url = linkIn(await mailFor('sam@example.com', /Approval needed/));
    const token = tokenOf(url);
    const altered = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    const alteredUrl = url.replace(token, altered);
    expect((await fetch(alteredUrl)).status).toBe(404);
    expect((await submit(alteredUrl, { token: altered, decision: 'approve' })).status).toBe(404);
    expect((await fetch(url.replace(token, 'nonsense'))).status).toBe(404);
    expect((await submit(url, { decision: 'approve' })).status).toBe(422); // no token in the form
    const cross = await submit(url, { token, decision: 'approve' }, { origin: 'https://evil.example' });
    expect(cross.status).toBe(403);
    const fetchSite = await submit(url, { token, decision: 'approve' }, { 'sec-fetch-site': 'cross-site' });
    expect(fetchSite.status).toBe(403);
    // An opaque origin (a sandboxed frame, a data: page, a redirect across sites) is another page.
    const opaque = await submit(url, { token, decision: 'approve' }, { origin: 'null' });
    expect(opaque.status).toBe(403);
    expect(opaque.html).toContain('must be sent from its own page');
    expect((await submit(url, { token, decision: 'accept' })).status).toBe(422); // an approval link cannot accept

    // A link issued with the real issuer but already past its time.
    const approvalId = (await env.baton.store.approvals({ handoffId: r.id }))[0]!.id;
    const expired = await new LinkIssuer(env.baton.store, env.url, -1).issue(
      'approve',
      approvalId,
      r.id,
      'sam',
    );
    const page = await fetch(expired.url);
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('expired');
    const post = await submit(expired.url, { token: tokenOf(expired.url), decision: 'approve' });
    expect(post.status).toBe(410);
    expect(post.html).toContain('expired');

    expect((await env.baton.store.approvals({ handoffId: r.id }))[0]).toMatchObject({
      state: 'pending',
      votes: [],
    });
    // The genuine link still works after all that.
    expect((await submit(url, { token, decision: 'reject', comment: 'no' })).status).toBe(200);
    expect((await env.baton.store.approvals({ handoffId: r.id }))[0]).toMatchObject({
      state: 'rejected',
      decidedBy: { label: 'human', user: 'sam', via: 'email' },
    });
  });

  it('says who decided first when the link comes later; asks no requester; checks the right at the click', async () => {
    const r = await env.baton.send('lead-to-owner', bigLead('E3'), system);
    const url = linkIn(await mailFor('sam@example.com', /Approval needed/));
    await env.baton.decide(r.id, { user: 'sam', access: 'viewer', via: 'api' }, 'approve');
    const page = await fetch(url);
    expect(page.status).toBe(409);
    expect(await page.text()).toContain('Approved by sam via api');
    const late = await submit(url, { token: tokenOf(url), decision: 'reject' });
    expect(late.status).toBe(409);
    expect(late.html).toContain('Already decided: Approved by sam via api');

    // ari asked for this invoice: the other finance managers are asked, ari is not (no self-approval).
    const own = await env.baton.send(
      'invoice-approval',
      {
        id: 'E4',
        vendor: 'northwind',
        amount: 42000,
        currency: 'USD',
        dueDate: '2026-12-31',
        requestedBy: 'ari',
      },
      system,
    );
    await waitFor(
      async () => (await env.baton.store.outbox({ handoffId: own.id, state: 'done' })).length > 0,
    );
    const asked = await env.baton.store.deliveries({
      approvalId: (await env.baton.approvals('pending', own.id))[0]!.id,
    });
    expect(asked.map((d) => d.recipient).sort()).toEqual(['jules', 'noor']);
  });

  it('reaches the owner of handed-off work; the link accepts as that person only', async () => {
    const r = await env.baton.send(
      'lead-to-owner',
      { id: 'E5', company: 'Acme', email: 'jo@acme.com' },
      system,
    );
    const mail = await mailFor('kim@example.com', /New work for you/);
    const url = linkIn(mail);
    expect(await (await fetch(url)).text()).toContain('value="accept"');
    expect((await env.baton.snapshot(r.id)).handoff.state).toBe('handed_off');
    const ok = await submit(url, { token: tokenOf(url), decision: 'accept' });
    expect(ok.status).toBe(200);
    const snap = await env.baton.snapshot(r.id);
    expect(snap.handoff.state).toBe('accepted');
    expect(snap.ledger.at(-1)).toMatchObject({ owner: 'user:kim', status: 'accepted', by: 'kim' });

    // Reassigned before the click: the link's person no longer owns the work.
    const r2 = await env.baton.send(
      'lead-to-owner',
      { id: 'E6', company: 'Initech', email: 'a@initech.com' },
      system,
    );
    await waitFor(
      async () =>
        smtp.messages.filter((m) => to(m) === 'kim@example.com' && /New work/.test(m.subject ?? ''))
          .length === 2,
    );
    const second = smtp.messages.filter(
      (m) => to(m) === 'kim@example.com' && /New work/.test(m.subject ?? ''),
    )[1]!;
    await env.baton.reassign(r2.id, { user: 'dana', access: 'operator', via: 'api' }, 'user:lee');
    const refused = await submit(linkIn(second), { token: tokenOf(linkIn(second)), decision: 'accept' });
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('kim cannot accept work owned by user:lee');
    expect((await env.baton.snapshot(r2.id)).handoff.state).toBe('handed_off');
    // The refusal changed nothing, so it did not use the link up: once the work is kim's
    // again, the same link accepts it.
    const secondToken = tokenOf(linkIn(second));
    expect((await env.baton.store.link(hashLinkToken(secondToken)))!.usedAt).toBeUndefined();
    await env.baton.reassign(r2.id, { user: 'dana', access: 'operator', via: 'api' }, 'user:kim');
    const again = await submit(linkIn(second), { token: secondToken, decision: 'accept' });
    expect(again.status).toBe(200);
    expect((await env.baton.snapshot(r2.id)).handoff.state).toBe('accepted');
    expect((await env.baton.store.link(hashLinkToken(secondToken)))!.usedAt).toBeDefined();
  });

  it('an accept link opened after the work was accepted elsewhere shows its state and no button', async () => {
    const r = await env.baton.send(
      'lead-to-owner',
      { id: 'E9', company: 'Acme', email: 'jo@acme.com' },
      system,
    );
    const url = linkIn(await mailFor('kim@example.com', /New work for you/));
    const token = tokenOf(url);
    await env.baton.accept(r.id, { user: 'kim', access: 'viewer', via: 'api' });
    const page = await fetch(url);
    expect(page.status).toBe(409);
    const html = await page.text();
    expect(html).toContain('Already accepted');
    expect(html).toContain(`Handoff ${r.id} is accepted now, owner user:kim`);
    expect(html).not.toContain('<form');
    expect(html).not.toContain('value="accept"');
    // A POST anyway is refused and decides nothing; the link is not counted as used.
    const late = await submit(url, { token, decision: 'accept' });
    expect(late.status).toBe(409);
    expect(late.html).toContain('Cannot accept: the handoff is accepted');
    expect((await env.baton.store.link(hashLinkToken(token)))!.usedAt).toBeUndefined();
    expect((await env.baton.store.events(r.id)).filter((e) => e.type === 'accepted')).toHaveLength(1);
  });

  it('retries a temporary SMTP failure with backoff; gives up on a permanent one without retrying', async () => {
    smtp.refuseNext(451);
    const r = await env.baton.send('lead-to-owner', bigLead('E7'), system);
    await mailFor('sam@example.com', /Approval needed/);
    // The mail is in before its delivery and the notice are recorded as done.
    await waitFor(
      async () => (await env.baton.store.outbox({ handoffId: r.id, state: 'done' })).length === 1,
    );
    const [notice] = await env.baton.store.outbox({ handoffId: r.id });
    expect(notice).toMatchObject({ state: 'done', attempts: 2 });
    expect(smtp.messages.filter((m) => to(m) === 'sam@example.com')).toHaveLength(1);
    const [d] = await env.baton.store.deliveries({ outboxId: notice!.id });
    expect(d).toMatchObject({ state: 'sent', attempts: 2 });

    smtp.refuseNext(550);
    const r2 = await env.baton.send('lead-to-owner', bigLead('E8'), system);
    await waitFor(
      async () => (await env.baton.store.outbox({ handoffId: r2.id, state: 'done' })).length === 1,
    );
    const [n2] = await env.baton.store.outbox({ handoffId: r2.id });
    expect((await env.baton.store.deliveries({ outboxId: n2!.id }))[0]).toMatchObject({
      state: 'failed',
      attempts: 1,
      error: expect.stringMatching(/550/),
    });
    // The API and `baton show` tell what became of each notice.
    const res = await fetch(`${env.url}/v1/handoffs/${r2.id}`);
    const view = (await res.json()) as HandoffView;
    expect(handoffViewSchema.safeParse(view).error).toBeUndefined();
    expect(view.notices).toEqual([
      expect.objectContaining({
        kind: 'approval',
        owner: 'role:sales-manager',
        state: 'done',
        deliveries: [expect.objectContaining({ channel: 'email', recipient: 'sam', state: 'failed' })],
      }),
    ]);
    expect(renderHandoff(view)).toMatch(
      /Notices \(Slack, email\)\n.*\n +approval +role:sales-manager +done +email:sam failed \(SMTP refused the message \(550\)\)/,
    );
  });
});
