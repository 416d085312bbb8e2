// The email connector through nodemailer against a real SMTP server (smtp-server): mail to an
// owner's people and to an address, refusals classified, no undo pretended.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from '../../actions/registry.ts';
import { Tables } from '../../actions/tables.ts';
import type { ActionContext, ActionDefinition } from '../../actions/define.ts';
import { OutboundPolicy } from '../../outbound/policy.ts';
import { openConnectors, readConnectors, type OpenConnector } from '../configure.ts';
import { email } from './connector.ts';
import { startSmtp, type TestSmtp } from '../../../test/support/smtp.ts';
import { connectorContract } from '../../../test/support/connector-contract.ts';
import { ROOT } from '../../../test/support/project.ts';

const people = {
  usersOf: (owner: string) => (owner === 'team:finance' ? ['ari', 'tom'] : []),
  person: (id: string) =>
    id === 'ari' ? { id, name: 'Ari', roles: [], email: 'ari@example.com' } : { id, name: id, roles: [] },
} as never;

let smtp: TestSmtp;
let open: OpenConnector;
let registry: Registry;
beforeAll(async () => {
  smtp = await startSmtp();
  const { configured, problems } = readConnectors({
    mail: { type: 'email', smtp: { host: '127.0.0.1', port: smtp.port }, from: 'Baton <baton@example.com>' },
  });
  if (problems.length) throw new Error(JSON.stringify(problems));
  registry = new Registry(new Tables(new Map()));
  [open] = (await openConnectors(configured, registry, {
    outbound: new OutboundPolicy({ allowHosts: [] }),
    projectDir: ROOT,
    people,
  })) as [OpenConnector];
});
afterAll(async () => {
  await open?.instance.close?.();
  await smtp?.close();
});

const ctx = (key: string): ActionContext => ({
  handoffId: 'h_1',
  flow: 'invoice-approval',
  actionId: 'mail',
  idempotencyKey: key,
  owner: 'team:finance',
  signal: AbortSignal.timeout(10_000),
  outbound: new OutboundPolicy({ allowHosts: [] }),
});
const action = (id: string) => registry.action(id) as ActionDefinition<Record<string, unknown>>;

describe('email connector', () => {
  it("mails the owner's people, names who has no address, and keys the Message-ID", async () => {
    const r = (await action('mail.notify_owner').run(
      { subject: 'Invoice INV-7 is ready', text: 'Pay it by Friday' },
      ctx('h_1:mail'),
    )) as { to: string[]; unreachable?: string[]; messageId: string };
    expect(r.to).toEqual(['ari@example.com']);
    expect(r.unreachable).toEqual(['tom']);
    const m = smtp.messages.at(-1)!;
    expect(m.subject).toBe('Invoice INV-7 is ready');
    expect(m.text?.trim()).toBe('Pay it by Friday');
    expect(m.messageId).toBe('<h_1:mail@example.com>');
    expect(m.headers.get('auto-submitted')).toBe('auto-generated');
  });

  it('send mails one address; a 5xx refusal is not retried, a 4xx is', async () => {
    await action('mail.send').run(
      { to: 'ap@vendor.example', subject: 'Remittance', text: 'Paid' },
      ctx('k2'),
    );
    expect(smtp.messages.at(-1)!.to).toMatchObject({ text: 'ap@vendor.example' });
    smtp.refuseNext(550);
    await expect(
      action('mail.send').run({ to: 'x@example.com', subject: 's', text: 't' }, ctx('k3')),
    ).rejects.toMatchObject({
      code: 'action_failed',
      retryable: false,
    });
    smtp.refuseNext(451);
    await expect(
      action('mail.send').run({ to: 'x@example.com', subject: 's', text: 't' }, ctx('k4')),
    ).rejects.toMatchObject({
      retryable: true,
    });
  });

  it('says a sent mail cannot be undone, and check reaches the server', async () => {
    expect(action('mail.send').irreversible).toMatch(/cannot be called back/);
    expect('rollback' in action('mail.send')).toBe(false);
    expect(await open.instance.check(AbortSignal.timeout(5000))).toMatch(/accepts the connection/);
  });

  it('an owner without addresses fails before sending', async () => {
    const before = smtp.messages.length;
    await expect(
      action('mail.notify_owner').run({ subject: 's', text: 't', owner: 'user:nobody' }, ctx('k5')),
    ).rejects.toThrow(/nobody of user:nobody has an email/);
    expect(smtp.messages.length).toBe(before);
  });
});

connectorContract({
  definition: email as never,
  settings: { smtp: 'smtp://user:contract-smtp-secret@127.0.0.1:9', from: 'Baton <b@example.com>' },
});
