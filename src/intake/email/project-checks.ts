// Checks across baton.yaml and the flows for mail intake, at project load: a flow's
// `trigger.email.imap` names a mailbox of `intake.imap`; no two flows claim the same recipient or
// mailbox (the listener and the poller would not know whose mail it is); mailbox names are unique.
import type { ErrorDetail } from '../../core/errors.ts';
import type { ProjectDef } from '../../core/project-schema.ts';
import type { CompiledFlow } from '../../flow/compiled.ts';
import { YamlSource } from '../../flow/yaml-source.ts';

/** A recipient as the listener compares it: lower case, without angle brackets. */
export const normalRecipient = (a: string): string => a.trim().replace(/^<|>$/g, '').toLowerCase();

export function checkEmailIntake(
  def: ProjectDef,
  projectSrc: YamlSource,
  flows: Iterable<CompiledFlow>,
): { project: ErrorDetail[]; flows: ErrorDetail[] } {
  const project: ErrorDetail[] = [];
  const flowErrors: ErrorDetail[] = [];
  const mailboxes = new Set<string>();
  def.intake.imap.forEach((m, i) => {
    if (mailboxes.has(m.name))
      project.push(projectSrc.detail(['intake', 'imap', i, 'name'], `mailbox ${m.name} is listed twice`));
    mailboxes.add(m.name);
  });
  const recipients = new Map<string, string>();
  const claimed = new Map<string, string>();
  for (const flow of flows) {
    const email = flow.def.trigger.email;
    if (!email) continue;
    let src: YamlSource | undefined;
    const at = (path: Array<string | number>, message: string): void => {
      src ??= new YamlSource(flow.source, flow.file);
      flowErrors.push(src.detail(path, message));
    };
    if (email.imap !== undefined) {
      if (!mailboxes.has(email.imap))
        at(
          ['trigger', 'email', 'imap'],
          `no mailbox ${email.imap} in baton.yaml intake.imap (have: ${[...mailboxes].join(', ') || 'none'})`,
        );
      const other = claimed.get(email.imap);
      if (other !== undefined)
        at(['trigger', 'email', 'imap'], `mailbox ${email.imap} is already the trigger of flow ${other}`);
      else claimed.set(email.imap, flow.def.id);
    }
    email.to?.forEach((raw, j) => {
      const r = normalRecipient(raw);
      if (!/^[^@\s]*@[^@\s]+$/.test(r)) {
        at(['trigger', 'email', 'to', j], `"${raw}" is not an address (name@domain) or @domain`);
        return;
      }
      const other = recipients.get(r);
      if (other !== undefined && other !== flow.def.id)
        at(['trigger', 'email', 'to', j], `recipient ${r} is already taken by flow ${other}`);
      else recipients.set(r, flow.def.id);
    });
    if (email.to && !def.intake.smtp)
      at(
        ['trigger', 'email', 'to'],
        'mail for `to:` comes through the SMTP listener: set intake.smtp in baton.yaml',
      );
  }
  return { project, flows: flowErrors };
}
