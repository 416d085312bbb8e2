// Mail through the built-in SMTP listener, end to end: real clients (nodemailer, and swaks,
// Debian's SMTP test tool) send to the listener of a served project; handoffs, comments and
// dead letters are read back from the store and over HTTP.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransport } from 'nodemailer';
import { startChannels } from '../support/channels.ts';
import { startSmtp, type TestSmtp } from '../support/smtp.ts';
import { withoutMailTools } from '../support/dovecot.ts';
import { mailDeskFlow, mailStrictFlow } from '../support/mail-flow.ts';
import { waitFor } from '../http/helpers.ts';
import { startMailIntake, type MailIntake } from '../../src/intake/email/start.ts';

const run = promisify(execFile);
let smtp: TestSmtp;
let env: Awaited<ReturnType<typeof startChannels>>;
let mail: MailIntake;
let port: number;
const logs: string[] = [];

beforeAll(async () => {
  smtp = await startSmtp();
  env = await startChannels(
    { smtpUrl: smtp.url, extra: 'intake: { smtp: { port: 0, maxBytes: 10MB } }\n' },
    {
      'flows/mail-desk.yaml': mailDeskFlow({
        to: ['help@desk.test', '@desk.test'],
        attachments: '{ maxBytes: 4KB, maxCount: 2 }',
      }),
      'flows/mail-strict.yaml': mailStrictFlow,
    },
  );
  mail = await startMailIntake({
    project: env.baton.project,
    deliver: (d) => env.baton.deliver(d),
    log: (l) => logs.push(l),
  });
  port = Number(mail.smtp!.address.split(':').at(-1));
}, 30_000);

afterAll(async () => {
  await mail?.close();
  await env?.close();
  await smtp?.close();
});

const transport = () =>
  createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: false } as never);

async function handoffsOf(flow: string) {
  return (await env.baton.list({ flow, limit: 500 })).items;
}

async function failuresOf(flow: string) {
  return env.baton.store.intake.failures({ flow });
}

describe('the SMTP listener', () => {
  it('turns a mail sent with nodemailer into a handoff; a resend is the same handoff', async () => {
    const message = {
      from: 'Jo Smith <jo@acme.com>',
      to: 'help@desk.test',
      subject: 'Printer on floor 3',
      text: 'It prints blank pages.',
      messageId: '<n1@acme.com>',
    };
    const info = await transport().sendMail(message);
    expect(info.response).toMatch(/^250 /);
    const [h] = await handoffsOf('mail-desk');
    expect(h).toBeDefined();
    const view = await env.baton.get(h!.id);
    expect(view.input).toEqual({
      subject: 'Printer on floor 3',
      sender: 'jo@acme.com',
      body: 'It prints blank pages.\n',
      recipient: 'help@desk.test',
      files: [],
    });
    expect(view.events[0]).toMatchObject({
      type: 'received',
      actor: { kind: 'system', id: 'trigger:email' },
    });
    expect((await env.baton.getByKey('mail-desk', 'email:<n1@acme.com>')).id).toBe(h!.id);

    await transport().sendMail(message);
    expect((await handoffsOf('mail-desk')).filter((x) => x.id === h!.id)).toHaveLength(1);
    expect(await handoffsOf('mail-desk')).toHaveLength(1);
  });

  it.skipIf(withoutMailTools('swaks'))('takes mail from swaks for any address of the domain', async () => {
    if (!existsSync('/usr/bin/swaks')) throw new Error('swaks is not installed (apt-get install swaks)');
    const r = await run('swaks', [
      '--server',
      `127.0.0.1:${port}`,
      '--from',
      'pat@globex.com',
      '--to',
      'billing@desk.test',
      '--header',
      'Subject: Invoice 44 is wrong',
      '--header',
      'Message-Id: <s1@globex.com>',
      '--body',
      'Please check the VAT.',
      '--no-tls',
    ]);
    expect(r.stdout).toMatch(/<- {2}250 SIZE 10485760/);
    expect(r.stdout).toMatch(/ -> \.\n<- {2}250 2\.0\.0 Accepted/);
    const h = await env.baton.getByKey('mail-desk', 'email:<s1@globex.com>');
    expect(h.input).toMatchObject({
      subject: 'Invoice 44 is wrong',
      sender: 'pat@globex.com',
      recipient: 'billing@desk.test',
    });
  });

  it('refuses an unknown recipient with 550 and names nothing', async () => {
    const e = await transport()
      .sendMail({ from: 'a@b.c', to: 'nobody@elsewhere.test', subject: 'x', text: 'y' })
      .catch((err: unknown) => err as { responseCode: number; response: string });
    expect(e).toMatchObject({ responseCode: 550 });
    expect((e as { response: string }).response).not.toMatch(/desk|flow|mail-/);
  });

  it('a reply to the original mail comments on its handoff instead of starting one', async () => {
    const before = (await handoffsOf('mail-desk')).length;
    const original = await env.baton.getByKey('mail-desk', 'email:<n1@acme.com>');
    await transport().sendMail({
      from: 'Kim Park <kim@example.com>',
      to: 'help@desk.test',
      subject: 'Re: Printer on floor 3',
      text: 'Replaced the toner.\n\nOn Mon, 7 Dec 2026, Jo Smith <jo@acme.com> wrote:\n> It prints blank pages.\n',
      inReplyTo: '<n1@acme.com>',
      references: ['<n1@acme.com>'],
      messageId: '<reply1@example.com>',
    });
    expect(await handoffsOf('mail-desk')).toHaveLength(before);
    const view = await env.baton.get(original.id);
    const comments = view.events.filter((e) => e.type === 'commented');
    expect(comments).toHaveLength(1);
    expect(comments[0]).toMatchObject({
      actor: { kind: 'user', id: 'kim' },
      data: expect.objectContaining({ text: 'Replaced the toner.', from: 'kim@example.com' }),
    });
  });

  it("a reply to a handoff's email notice comments on that handoff", async () => {
    // The approval notice of a big lead goes to sam by email; its Message-ID is on the delivery.
    const { bigLead } = await import('../support/project.ts');
    const lead = await env.baton.send('lead-to-owner', bigLead('MAIL-1'), { kind: 'system', id: 'test' });
    await waitFor(async () => smtp.messages.some((m) => /Approval needed/.test(m.subject ?? '')), 10_000);
    const notice = smtp.messages.find((m) => /Approval needed/.test(m.subject ?? ''))!;
    expect(notice.messageId).toMatch(/^<.+@example\.com>$/);
    const before = (await handoffsOf('mail-desk')).length;
    await transport().sendMail({
      from: 'sam@example.com',
      to: 'help@desk.test',
      subject: `Re: ${notice.subject}`,
      text: 'Looks fine, approving later today.\n\n> Approval needed',
      inReplyTo: notice.messageId,
      references: [notice.messageId!],
    });
    expect(await handoffsOf('mail-desk')).toHaveLength(before);
    const view = await env.baton.get(lead.id);
    expect(view.events.filter((e) => e.type === 'commented')).toEqual([
      expect.objectContaining({
        actor: expect.objectContaining({ kind: 'user', id: 'sam' }),
        data: expect.objectContaining({ text: 'Looks fine, approving later today.' }),
      }),
    ]);
  });

  it('keeps attachments by reference and serves them as downloads; oversize and extra ones are skipped', async () => {
    await transport().sendMail({
      from: 'jo@acme.com',
      to: 'help@desk.test',
      subject: 'Scans',
      text: 'Attached.',
      messageId: '<att1@acme.com>',
      attachments: [
        { filename: 'scan.html', content: '<script>alert(1)</script>', contentType: 'text/html' },
        { filename: 'huge.bin', content: Buffer.alloc(5000, 7) },
        { filename: 'notes.txt', content: 'two' },
        { filename: 'extra.txt', content: 'three' },
      ],
    });
    const h = await env.baton.getByKey('mail-desk', 'email:<att1@acme.com>');
    const files = h.input.files as string[];
    expect(files.map((f) => f.replace(/^att_[0-9a-f]{64}$/, 'ref'))).toEqual([
      'ref',
      'skipped:too_large',
      'ref',
      'skipped:too_many',
    ]);
    const token = (await env.baton.createToken('kim', 'viewer')).token;
    const res = await fetch(`${env.url}/v1/intake/attachments/${files[0]}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="scan.html"');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toBe('<script>alert(1)</script>');
    const anonymous = await fetch(`${env.url}/v1/intake/attachments/${files[2]}`);
    expect(anonymous.status).toBe(200); // loopback callers read anonymously in the example project
    const intakeOnly = (await env.baton.createToken('kim', 'intake')).token;
    const refused = await fetch(`${env.url}/v1/intake/attachments/${files[2]}`, {
      headers: { authorization: `Bearer ${intakeOnly}` },
    });
    expect(refused.status).toBe(403);
  });
});

describe('malformed mail lands in the dead-letter list; the listener keeps serving', () => {
  const send = (raw: string | Buffer, to = 'help@desk.test') =>
    transport().sendMail({ envelope: { from: 'x@bad.test', to: [to] }, raw });

  it('broken MIME, invalid UTF-8 and a map failure are accepted and kept with their reason', async () => {
    const broken =
      'From: x@bad.test\r\nTo: help@desk.test\r\nMessage-ID: <broken1@bad.test>\r\nContent-Type: multipart/mixed; boundary="q"\r\n\r\n--q\r\nContent-Type: text/plain\r\n\r\ncut here';
    const badUtf8 = Buffer.concat([
      Buffer.from(
        'From: x@bad.test\r\nTo: help@desk.test\r\nSubject: bytes\r\nMessage-ID: <utf1@bad.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n',
      ),
      Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0x0d, 0x0a]),
    ]);
    const noTicket =
      'From: x@bad.test\r\nTo: strict@desk.test\r\nSubject: no ticket\r\nMessage-ID: <map1@bad.test>\r\n\r\nhello\r\n';
    for (const r of [await send(broken), await send(badUtf8), await send(noTicket, 'strict@desk.test')])
      expect(r.response).toMatch(/^250 /);
    const desk = await failuresOf('mail-desk');
    const byKey = (k: string) => desk.find((f) => f.key === k);
    expect(byKey('<broken1@bad.test>')).toMatchObject({
      reason: 'unparseable',
      message: expect.stringMatching(/closing boundary/),
    });
    expect(byKey('<utf1@bad.test>')).toMatchObject({
      reason: 'unparseable',
      message: expect.stringMatching(/not valid in their charset/),
    });
    const [strict] = await failuresOf('mail-strict');
    expect(strict).toMatchObject({ key: '<map1@bad.test>', reason: 'map_failed', trigger: 'email' });
    // What arrived is kept as it was.
    expect(Buffer.from(byKey('<utf1@bad.test>')!.payload.body, 'base64').equals(badUtf8)).toBe(true);
    // Still serving.
    expect(
      (await transport().sendMail({ from: 'a@b.c', to: 'help@desk.test', subject: 'after', text: 'ok' }))
        .response,
    ).toMatch(/^250 /);
  });

  it('a 20 MB mail gets 552 and its headers and first 64 KB go to the dead-letter list', async () => {
    const big = `From: x@bad.test\r\nTo: help@desk.test\r\nSubject: huge\r\nMessage-ID: <big1@bad.test>\r\n\r\n${'0123456789abcdef'.repeat((20 * 1024 * 1024) / 16)}\r\n`;
    const e = await send(big).catch((err: unknown) => err as { responseCode: number });
    expect(e).toMatchObject({ responseCode: 552 });
    const f = (await failuresOf('mail-desk')).find((x) => x.key === '<big1@bad.test>');
    expect(f).toMatchObject({ reason: 'too_large', payload: { truncated: true, bytes: expect.any(Number) } });
    expect(f!.payload.bytes).toBeGreaterThan(20 * 1024 * 1024);
    const kept = Buffer.from(f!.payload.body, 'base64');
    expect(kept.length).toBe(64 * 1024);
    expect(kept.toString('latin1')).toMatch(/^From: x@bad.test\r\n/);
    expect(
      (await transport().sendMail({ from: 'a@b.c', to: 'help@desk.test', subject: 'after big', text: 'ok' }))
        .response,
    ).toMatch(/^250 /);
  }, 60_000);

  it('answers 451 when the store cannot take the mail, so the sender retries', async () => {
    const deliver = env.baton.deliver.bind(env.baton);
    const spy = (env.baton as { deliver: typeof deliver }).deliver;
    // The store failing for a moment: the intake service throws (it never acknowledges then).
    (env.baton as { deliver: typeof deliver }).deliver = async () => {
      throw new Error('database is locked');
    };
    try {
      const e = await transport()
        .sendMail({
          from: 'a@b.c',
          to: 'help@desk.test',
          subject: 'later',
          text: 'x',
          messageId: '<retry1@b.c>',
        })
        .catch((err: unknown) => err as { responseCode: number });
      expect(e).toMatchObject({ responseCode: 451 });
    } finally {
      (env.baton as { deliver: typeof deliver }).deliver = spy;
    }
    await transport().sendMail({
      from: 'a@b.c',
      to: 'help@desk.test',
      subject: 'later',
      text: 'x',
      messageId: '<retry1@b.c>',
    });
    expect((await env.baton.getByKey('mail-desk', 'email:<retry1@b.c>')).input).toMatchObject({
      subject: 'later',
    });
    expect(logs.some((l) => /could not take the mail <retry1@b\.c>/.test(l))).toBe(true);
  });
});
