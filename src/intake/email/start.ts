// Starts mail intake for a served project: the SMTP listener when `intake.smtp` is set and the
// IMAP poller of each `intake.imap` mailbox some flow names. Started after the HTTP server, stopped
// on shutdown; `describe()` is the banner's line.
import type { Project } from '../../project/load.ts';
import type { Delivery, DeliveryResult } from '../port.ts';
import { ImapPoller } from './imap-poller.ts';
import { mailRoutes } from './routes.ts';
import { SmtpListener } from './smtp-listener.ts';

export interface MailIntake {
  smtp?: SmtpListener;
  imap: ImapPoller[];
  /** "smtp 127.0.0.1:2525 → flows a, b; imap support → flows c", or undefined when nothing runs. */
  describe(): string | undefined;
  close(): Promise<void>;
}

export interface MailIntakeDeps {
  project: Pick<Project, 'def' | 'dir' | 'flows'>;
  deliver: (d: Delivery) => Promise<DeliveryResult>;
  log: (line: string) => void;
  backoff?: { baseMs: number; capMs: number };
}

export async function startMailIntake(deps: MailIntakeDeps): Promise<MailIntake> {
  const { project } = deps;
  const routes = () => mailRoutes(project.flows.values());
  const smtpDef = project.def.intake.smtp;
  let smtp: SmtpListener | undefined;
  if (smtpDef) {
    smtp = new SmtpListener({
      settings: smtpDef,
      dir: project.dir,
      routes,
      deliver: deps.deliver,
      log: deps.log,
    });
    await smtp.listen();
  }
  const imap: ImapPoller[] = [];
  for (const mailbox of project.def.intake.imap) {
    if (routes().flowsOf(mailbox.name).length === 0) continue;
    const poller = new ImapPoller({
      mailbox,
      flows: () => routes().flowsOf(mailbox.name),
      deliver: deps.deliver,
      log: deps.log,
      maxBytes: mailbox.maxBytes,
      ...(deps.backoff ? { backoff: deps.backoff } : {}),
    });
    poller.start();
    imap.push(poller);
  }
  return {
    ...(smtp ? { smtp } : {}),
    imap,
    describe() {
      const parts: string[] = [];
      const r = routes();
      if (smtp)
        parts.push(
          `smtp ${smtp.address} → flows ${[...new Set(r.recipients.values())].join(', ') || 'none'}`,
        );
      for (const p of imap) parts.push(`imap ${p.name} → flows ${r.flowsOf(p.name).join(', ')}`);
      return parts.length ? parts.join('; ') : undefined;
    },
    async close() {
      await Promise.all([smtp?.close(), ...imap.map((p) => p.stop())]);
    },
  };
}
