import { describe, expect, it } from 'vitest';
import { parseMail } from './parse-mail.ts';
import { mailPayload } from './raw-mail.ts';
import type { ParseContext } from '../port.ts';
import type { IntakeAttachment } from '../../store/intake-store.ts';

const people = {
  person: () => undefined,
  personByEmail: () => undefined,
  hasUser: () => false,
  personBySlack: () => undefined,
} as unknown as ParseContext['people'];

function ctx(limits = { maxBytes: 1000, maxCount: 2 }) {
  const kept: IntakeAttachment[] = [];
  const c: ParseContext = {
    people,
    trigger: { email: { to: ['a@b.c'], map: {}, replies: 'comment', attachments: limits } } as never,
    files: { put: async (f) => void kept.push(f) },
  };
  return { c, kept };
}

const raw = (text: string | Buffer, recipient = 'help@desk.test') =>
  mailPayload(Buffer.isBuffer(text) ? text : Buffer.from(text), { recipient });

const MAIL = [
  'From: "Jo Smith" <Jo@Acme.com>',
  'To: help@desk.test, Other <other@desk.test>',
  'Cc: cc@acme.com',
  'Subject: =?utf-8?Q?Printer_=C3=A9tage_3?=',
  'Message-ID: <m1@acme.com>',
  'Date: Mon, 07 Dec 2026 10:00:00 +0000',
  'X-Priority: 1',
  'X-Note: =?utf-8?Q?caf=C3=A9?=',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  '--b1',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'It is broken.',
  '--b1',
  'Content-Type: application/pdf; name="small.pdf"',
  'Content-Disposition: attachment; filename="small.pdf"',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from('%PDF-1.4 small').toString('base64'),
  '--b1',
  'Content-Type: application/octet-stream; name="big.bin"',
  'Content-Disposition: attachment; filename="big.bin"',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.alloc(2000, 1).toString('base64'),
  '--b1',
  'Content-Type: text/csv; name="a.csv"',
  'Content-Disposition: attachment; filename="a.csv"',
  '',
  'a,b',
  '--b1',
  'Content-Type: text/csv; name="b.csv"',
  'Content-Disposition: attachment; filename="b.csv"',
  '',
  'c,d',
  '--b1--',
  '',
].join('\r\n');

describe('the email parser', () => {
  it('gives the mail and recipient the map reads; keeps attachments within the limits by reference', async () => {
    const { c, kept } = ctx();
    const p = await parseMail(raw(MAIL), c);
    const mail = p.vars.mail as Record<string, unknown>;
    expect(p.vars.recipient).toBe('help@desk.test');
    expect(mail).toMatchObject({
      messageId: '<m1@acme.com>',
      inReplyTo: null,
      references: [],
      from: { address: 'jo@acme.com', name: 'Jo Smith' },
      to: [
        { address: 'help@desk.test', name: '' },
        { address: 'other@desk.test', name: 'Other' },
      ],
      cc: [{ address: 'cc@acme.com', name: '' }],
      subject: 'Printer étage 3',
      text: 'It is broken.',
      headers: expect.objectContaining({
        'x-priority': '1',
        'x-note': 'café',
        'message-id': '<m1@acme.com>',
      }),
      date: '2026-12-07T10:00:00.000Z',
    });
    const atts = mail.attachments as Array<Record<string, unknown>>;
    expect(atts.map((a) => [a.filename, a.skipped ?? 'kept'])).toEqual([
      ['small.pdf', 'kept'],
      ['big.bin', 'too_large'],
      ['a.csv', 'kept'],
      ['b.csv', 'too_many'],
    ]);
    expect(atts[0]!.ref).toMatch(/^att_[0-9a-f]{64}$/);
    expect(kept.map((k) => [k.filename, Buffer.from(k.bytes).toString()])).toEqual([
      ['small.pdf', '%PDF-1.4 small'],
      ['a.csv', 'a,b'],
    ]);
    expect(p.thread).toBeUndefined();
  });

  it('a reply names its thread (In-Reply-To first) and carries its new text as the comment', async () => {
    const reply = [
      'From: kim@example.com',
      'To: help@desk.test',
      'Subject: Re: Printer',
      'Message-ID: <r1@example.com>',
      'In-Reply-To: <m1@acme.com>',
      'References: <m0@acme.com> <m1@acme.com>',
      '',
      'Fixed it.',
      '',
      'On Mon, 7 Dec 2026, Jo <jo@acme.com> wrote:',
      '> It is broken.',
    ].join('\r\n');
    const p = await parseMail(raw(reply), ctx().c);
    expect(p.thread).toEqual(['<m1@acme.com>', '<m0@acme.com>']);
    expect(p.comment).toEqual({ text: 'Fixed it.', from: 'kim@example.com' });
  });

  it('refuses what a lenient parser would paper over, each with its reason', async () => {
    const cases: Array<[string | Buffer, RegExp]> = [
      ['just text, no headers', /no header block/],
      ['Subject: x\r\n\r\nbody', /no From address/],
      [
        'From: a@b.c\r\nContent-Type: multipart/mixed; boundary="zz"\r\n\r\n--z\r\nbody',
        /boundary "zz" never appears/,
      ],
      [
        'From: a@b.c\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\ncut',
        /closing boundary/,
      ],
      [
        Buffer.concat([
          Buffer.from('From: a@b.c\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nbad '),
          Buffer.from([0xff, 0xc3, 0x28]),
        ]),
        /not valid in their charset/,
      ],
    ];
    for (const [text, reason] of cases) await expect(parseMail(raw(text), ctx().c)).rejects.toThrow(reason);
  });

  it('takes Latin-1 text declared as such, and a U+FFFD that was really sent', async () => {
    const latin = Buffer.concat([
      Buffer.from('From: a@b.c\r\nSubject: x\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n'),
      Buffer.from([0x63, 0x61, 0x66, 0xe9]),
    ]);
    expect(((await parseMail(raw(latin), ctx().c)).vars.mail as { text: string }).text.trim()).toBe('café');
    const fffd = Buffer.from(
      'From: a@b.c\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsent \uFFFD as is',
    );
    expect(((await parseMail(raw(fffd), ctx().c)).vars.mail as { text: string }).text).toContain('\uFFFD');
  });

  it('keys a mail without a Message-ID by the sha256 of its bytes', async () => {
    const p = await parseMail(raw('From: a@b.c\r\n\r\nhello'), ctx().c);
    expect((p.vars.mail as { messageId: string }).messageId).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
