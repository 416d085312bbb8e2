// Email as a connector: mail a flow sends on purpose (tell finance an invoice is ready), beside
// the channel that delivers Baton's notices and approval links (channel.ts), over the same SMTP
// settings (`connectors.email`). A sent mail cannot be called back, so both actions say so; the
// Message-ID is derived from the idempotency key, so a receiving system can drop a repeat.
import { createTransport } from 'nodemailer';
import { z } from 'zod';
import { BatonError } from '../../core/errors.ts';
import { defineAction } from '../../actions/define.ts';
import { emailSettingsSchema, smtpTransport } from '../../channels/config.ts';
import { defineConnector, type People } from '../define.ts';

const IRREVERSIBLE = 'a sent email cannot be called back';

/** The email addresses of the people an owner stands for; who has none is reported. */
function addressesOf(people: People, owner: string): { to: string[]; missing: string[] } {
  const to: string[] = [];
  const missing: string[] = [];
  for (const id of people.usersOf(owner)) {
    const email = people.person(id)?.email;
    if (email && email.includes('@')) to.push(email);
    else missing.push(id);
  }
  return { to, missing };
}

/** SMTP answered 4xx/5xx: nothing was accepted. 4xx may pass later, 5xx will not. */
function refused(e: unknown): unknown {
  const code = (e as { responseCode?: unknown }).responseCode;
  if (typeof code !== 'number') return e;
  return new BatonError('action_failed', `SMTP refused the message (${code})`, {
    fault: code >= 500 ? 'user' : 'provider',
    retryable: code < 500,
  });
}

export const email = defineConnector({
  type: 'email',
  description:
    'Email over SMTP: messages to owners and addresses (and, as a channel, notices and approval links)',
  settings: emailSettingsSchema,
  secrets: ['smtp'],
  open(settings, ctx) {
    let transport: ReturnType<typeof createTransport> | undefined;
    const smtp = () =>
      (transport ??= createTransport(smtpTransport(settings) as Parameters<typeof createTransport>[0]));
    const domain = /@([^>\s]+)>?\s*$/.exec(settings.from)?.[1] ?? 'baton.invalid';
    const send = async (to: string[], subject: string, text: string, key: string, signal: AbortSignal) => {
      signal.throwIfAborted();
      const messageId = `<${key.replace(/[^A-Za-z0-9._:-]/g, '_')}@${domain}>`;
      try {
        const info = await smtp().sendMail({
          from: settings.from,
          to,
          subject,
          text,
          messageId,
          headers: { 'Auto-Submitted': 'auto-generated' },
        });
        return { messageId: String(info.messageId ?? messageId), to };
      } catch (e) {
        throw refused(e);
      }
    };
    const notifyOwner = defineAction({
      id: 'notify_owner',
      description: 'Mails each person of the owner (the decided owner unless `owner` is given)',
      params: z.object({
        subject: z.string().min(1).max(500),
        text: z.string().min(1).max(100_000),
        owner: z.string().optional(),
      }),
      risk: 'low',
      idempotent: false,
      // To people of baton.yaml: inside the organisation, so not gated as outbound.
      outbound: false,
      irreversible: IRREVERSIBLE,
      async run(p, c) {
        const owner = p.owner || c.owner;
        const { to, missing } = addressesOf(ctx.people, owner);
        if (to.length === 0)
          throw new BatonError(
            'action_failed',
            `nobody of ${owner} has an email in baton.yaml (people[].email)`,
            {
              context: { sent: 'no' },
            },
          );
        return {
          ...(await send(to, p.subject, p.text, c.idempotencyKey, c.signal)),
          ...(missing.length ? { unreachable: missing } : {}),
        };
      },
    });
    const sendMail = defineAction({
      id: 'send',
      description:
        'Mails an address (outside the organisation too: medium risk, gated while untrusted text is in context)',
      params: z.object({
        to: z.email(),
        subject: z.string().min(1).max(500),
        text: z.string().min(1).max(100_000),
      }),
      risk: 'medium',
      idempotent: false,
      outbound: true,
      irreversible: IRREVERSIBLE,
      run: (p, c) => send([p.to], p.subject, p.text, c.idempotencyKey, c.signal),
    });
    return {
      actions: [notifyOwner, sendMail],
      sources: [],
      async check(signal) {
        signal.throwIfAborted();
        await smtp().verify();
        return `the SMTP server accepts the connection as ${settings.from}`;
      },
      async close() {
        transport?.close();
      },
    };
  },
});
