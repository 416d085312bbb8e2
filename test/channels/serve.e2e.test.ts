// Both channels through a real `baton serve` (HTTP on the main thread, engine and outbox on the
// engine thread): a Slack click and an email link each decide an approval, exactly once.
import { afterEach, describe, expect, it } from 'vitest';
import type { ParsedMail } from 'mailparser';
import { channelsYaml } from '../support/channels.ts';
import { tempProject } from '../support/project.ts';
import { freePort, kill, startServe, type ServerProcess } from '../support/server.ts';
import { startSmtp } from '../support/smtp.ts';
import { blockAction, signedRequest, startFakeSlack } from '../support/slack-api.ts';
import { waitFor } from '../http/helpers.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const to = (m: ParsedMail): string => (Array.isArray(m.to) ? m.to[0]!.text : (m.to?.text ?? ''));

describe('channels through baton serve', () => {
  it('a Slack click and an email link decide their approvals; later clicks hear who decided', async () => {
    const smtp = await startSmtp();
    cleanups.push(() => smtp.close());
    const slack = await startFakeSlack();
    cleanups.push(() => slack.close());
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const p = tempProject({
      'baton.yaml': channelsYaml({ slackApiUrl: slack.url, smtpUrl: smtp.url, publicUrl: url }),
    });
    cleanups.push(() => p.cleanup());
    const server: ServerProcess = await startServe(p.dir, port, {}, [
      '--storage',
      `sqlite:${p.dir}/data/baton.db`,
    ]);
    cleanups.push(() => kill(server, 'SIGTERM'));

    const send = async (id: string) => {
      const r = await fetch(`${url}/v1/flows/lead-to-owner/handoffs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id, company: 'Big', email: 'x@big.io', amount: 90000 }),
      });
      expect(r.status).toBe(202);
      return ((await r.json()) as { id: string }).id;
    };
    const approvalOf = async (handoff: string) => {
      const r = await fetch(`${url}/v1/approvals?handoff=${handoff}`);
      return ((await r.json()) as { items: Array<{ id: string; state: string; decidedBy?: unknown }> })
        .items[0];
    };

    const h1 = await send('SV1');
    await waitFor(async () => (await approvalOf(h1)) !== undefined, 10_000);
    const a1 = (await approvalOf(h1))!;
    await waitFor(async () => slack.of('chat.postMessage').length >= 1 && smtp.messages.length >= 1, 10_000);
    const click = await fetch(`${url}/v1/intake/slack/interactions`, {
      method: 'POST',
      ...signedRequest(
        blockAction({ user: 'U0SAM', actionId: 'baton_approve', value: a1.id, channel: 'D0SAM', ts: '5.5' }),
      ),
    });
    expect(click.status).toBe(200);
    expect(await approvalOf(h1)).toMatchObject({
      state: 'approved',
      decidedBy: { label: 'human', user: 'sam', via: 'slack' },
    });
    await waitFor(
      async () => slack.of('chat.update').some((c) => /Approved by sam via slack/.test(String(c.args.text))),
      10_000,
    );

    // The email for the same approval came too; its link now says who decided.
    const mail1 = smtp.messages.find((m) => to(m) === 'sam@example.com' && (m.text ?? '').includes(a1.id))!;
    const link1 = /(http:\/\/127\.0\.0\.1:\d+\/v1\/email\/links\/\S+)/.exec(mail1.text ?? '')![1]!;
    expect(await (await fetch(link1)).text()).toContain('Approved by sam via slack');

    const h2 = await send('SV2');
    await waitFor(async () => smtp.messages.some((m) => (m.text ?? '').includes(h2)), 10_000);
    const mail2 = smtp.messages.find((m) => (m.text ?? '').includes(h2))!;
    const link2 = /(http:\/\/127\.0\.0\.1:\d+\/v1\/email\/links\/\S+)/.exec(mail2.text ?? '')![1]!;
    const token = link2.slice(link2.lastIndexOf('/') + 1);
    expect((await fetch(link2, { method: 'HEAD' })).status).toBe(200);
    expect((await approvalOf(h2))!.state).toBe('pending');
    const posts = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(link2, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url },
          body: new URLSearchParams({ token, decision: 'reject', comment: 'too big' }).toString(),
        }).then((r) => r.status),
      ),
    );
    expect(posts.filter((s) => s === 200)).toHaveLength(1);
    expect(await approvalOf(h2)).toMatchObject({
      state: 'rejected',
      decidedBy: { user: 'sam', via: 'email' },
    });
    // The Slack message that asked about the second approval is updated too.
    await waitFor(
      async () => slack.of('chat.update').some((c) => /Rejected by sam via email/.test(String(c.args.text))),
      10_000,
    );
  });
});
