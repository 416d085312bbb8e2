// Flows that take mail, for the mail intake tests. `mail-desk` takes help@desk.test (and any
// address @desk.test) over SMTP or the `support` mailbox over IMAP; `mail-strict` needs an
// X-Ticket-Id header, so a mail without one fails its map.
export function mailDeskFlow(
  o: { to?: string[]; imap?: string; id?: string; attachments?: string } = {},
): string {
  const where = [
    o.to ? `    to: [${o.to.map((t) => JSON.stringify(t)).join(', ')}]` : undefined,
    o.imap ? `    imap: ${o.imap}` : undefined,
  ].filter(Boolean);
  return `id: ${o.id ?? 'mail-desk'}
name: Mail desk
boundary: { from: team:support, to: team:ops }
trigger:
  email:
${where.join('\n')}
${o.attachments ? `    attachments: ${o.attachments}\n` : ''}    map:
      subject: mail.subject
      sender: mail.from.address
      body: mail.text
      recipient: recipient
      files: "mail.attachments.map(a, has(a.ref) ? a.ref : 'skipped:' + a.skipped)"
input:
  type: object
  required: [subject, sender]
  properties:
    subject: { type: string, minLength: 1 }
    sender: { type: string }
    body: { type: string }
    recipient: { type: string }
    files: { type: array, items: { type: string } }
decide:
  otherwise: { owner: "user:ops" }
actions:
  - { id: task, use: builtin.create_task, with: { title: "Mail: \${input.subject}" } }
handoff: { to: "\${decision.owner}" }
`;
}

export const mailStrictFlow = `id: mail-strict
name: Mail that names its ticket
boundary: { from: team:support, to: team:ops }
trigger:
  email:
    to: [strict@desk.test]
    map:
      ticket: mail.headers['x-ticket-id']
input: { type: object, required: [ticket], properties: { ticket: { type: string } } }
decide:
  otherwise: { owner: team:ops }
handoff: { to: "\${decision.owner}" }
`;
