// Email through SMTP (nodemailer). An approval or a handed-off handoff gets a link to a confirm
// page of this server (server.publicUrl); the link's token is issued for the one recipient.
import { createTransport } from 'nodemailer';
import type { Person } from '../../core/project-schema.ts';
import { smtpTransport, type EmailSettings } from '../../channels/config.ts';
import type { LinkIssuer } from '../../channels/links.ts';
import { PermanentDeliveryError, type Channel, type DeliveryRequest } from '../../channels/port.ts';
import { composeEmail } from './compose.ts';

type Transport = ReturnType<typeof createTransport>;

export class EmailChannel implements Channel {
  readonly name = 'email' as const;
  private readonly settings: EmailSettings;
  private readonly links: LinkIssuer;
  private transport: Transport | undefined;

  constructor(settings: EmailSettings, links: LinkIssuer) {
    this.settings = settings;
    this.links = links;
  }

  addressOf(person: Person): string | undefined {
    return person.email && person.email.includes('@') ? person.email : undefined;
  }

  private smtp(): Transport {
    this.transport ??= createTransport(smtpTransport(this.settings) as Parameters<typeof createTransport>[0]);
    return this.transport;
  }

  async deliver(r: DeliveryRequest): Promise<Record<string, string>> {
    const action = r.message.action;
    let link: { url: string; expiresAt: number } | undefined;
    if (action?.kind === 'approve')
      link = await this.links.issue('approve', action.approvalId, r.handoff.id, r.person.id);
    else if (action?.kind === 'accept')
      link = await this.links.issue('accept', action.handoffId, r.handoff.id, r.person.id);
    const mail = composeEmail(r.message, r.person, link);
    const domain = /@([^>\s]+)>?\s*$/.exec(this.settings.from)?.[1] ?? 'baton.invalid';
    const messageId = `<${r.key}@${domain}>`;
    try {
      const info = await this.smtp().sendMail({
        from: this.settings.from,
        to: r.address,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId,
        headers: { 'Auto-Submitted': 'auto-generated' },
      });
      return { messageId: String(info.messageId ?? messageId) };
    } catch (e) {
      // 5xx: the server refused for good (unknown mailbox, policy); anything else may pass later.
      const code = (e as { responseCode?: unknown }).responseCode;
      if (typeof code === 'number' && code >= 500 && code < 600) {
        throw new PermanentDeliveryError(`SMTP refused the message (${code})`);
      }
      throw e;
    }
  }

  close(): void {
    this.transport?.close();
  }
}
