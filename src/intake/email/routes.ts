// Which flow takes a mail: by recipient (the SMTP listener; an exact address wins over @domain)
// or by mailbox (the IMAP poller). Built from the flows as loaded, so a reload that changes
// `trigger.email` takes effect with the next mail.
import type { CompiledFlow } from '../../flow/compiled.ts';
import { normalRecipient } from './project-checks.ts';

export interface MailRoutes {
  /** The flow taking mail for this recipient, or undefined (550). */
  flowFor(recipient: string): string | undefined;
  /** The flows polling this mailbox (at most one, checked at load). */
  flowsOf(mailbox: string): string[];
  /** Recipient → flow, for the banner. */
  recipients: ReadonlyMap<string, string>;
}

export function mailRoutes(flows: Iterable<CompiledFlow>): MailRoutes {
  const recipients = new Map<string, string>();
  const mailboxes = new Map<string, string[]>();
  for (const f of flows) {
    const email = f.def.trigger.email;
    if (!email || !f.triggers.email) continue;
    for (const r of email.to ?? [])
      if (!recipients.has(normalRecipient(r))) recipients.set(normalRecipient(r), f.def.id);
    if (email.imap !== undefined) mailboxes.set(email.imap, [...(mailboxes.get(email.imap) ?? []), f.def.id]);
  }
  return {
    recipients,
    flowFor(recipient) {
      const r = normalRecipient(recipient);
      const at = r.lastIndexOf('@');
      if (at < 0) return undefined;
      return recipients.get(r) ?? recipients.get(r.slice(at));
    },
    flowsOf: (mailbox) => mailboxes.get(mailbox) ?? [],
  };
}
