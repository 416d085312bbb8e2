// The outbox: notices are committed with their step and delivered after it, once per person and
// channel; a crash after a delivery does not repeat it, a crash during one re-sends it (never
// lost); reminders and each escalation-ladder step reach the owner's people on every channel.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ParsedMail } from 'mailparser';
import { channelsYaml } from '../support/channels.ts';
import { openTemp, tempProject } from '../support/project.ts';
import { startSmtp, type TestSmtp } from '../support/smtp.ts';
import { startFakeSlack, type FakeSlack } from '../support/slack-api.ts';
import { loadProject } from '../../src/project/load.ts';
import { dropSchema, freshSchema, schemaUrl } from '../../src/store/postgres/testing.ts';
import { BatonError } from '../../src/core/errors.ts';

let smtp: TestSmtp;
let slack: FakeSlack;
const cleanups: Array<() => Promise<void>> = [];
beforeEach(async () => {
  smtp = await startSmtp();
  slack = await startFakeSlack();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await smtp.close();
  await slack.close();
});

const to = (m: ParsedMail): string => (Array.isArray(m.to) ? m.to[0]!.text : (m.to?.text ?? ''));
const system = { kind: 'system' as const, id: 'test' };

async function open(files: Record<string, string> = {}, storage?: string, extra?: string) {
  const env = await openTemp(
    {
      'baton.yaml': channelsYaml({
        slackApiUrl: slack.url,
        smtpUrl: smtp.url,
        publicUrl: 'https://baton.example.com',
        ...(extra ? { extra } : {}),
      }),
      ...files,
    },
    { deliveryBackoffMs: 10, ...(storage ? { storage } : {}) },
  );
  cleanups.push(() => env.close());
  return env;
}

const LADDER_FLOW = `id: ladder
name: Ladder test
boundary: { from: team:ops, to: team:enterprise-sales }
input: { type: object, required: [id], properties: { id: { type: string } } }
idempotencyKey: input.id
decide:
  otherwise: { owner: user:kim }
actions: []
handoff:
  to: "\${decision.owner}"
  escalate:
    - { after: 50ms, remind: owner }
    - { after: 100ms, to: team:enterprise-sales }
`;

const REMIND_FLOW = `id: remind
name: Reminder test
boundary: { from: team:ops, to: team:finance }
input: { type: object, required: [id], properties: { id: { type: string } } }
idempotencyKey: input.id
decide:
  otherwise: { owner: team:finance }
actions:
  - id: task
    use: builtin.create_task
    with: { title: "Pay \${input.id}" }
    approval: { levels: [{ approvers: [role:sales-manager] }], timeout: 1h, remindBefore: [59m59.8s] }
handoff: { to: "\${decision.owner}" }
`;

describe('outbox', () => {
  it.each(['SQLite', 'PostgreSQL'])(
    '%s: delivers each notice once per person and channel; a crash after sending does not repeat it, one during sending re-sends it',
    async (kind) => {
      let storage: string | undefined;
      if (kind === 'PostgreSQL') {
        const schema = freshSchema();
        storage = schemaUrl(schema);
        cleanups.unshift(() => dropSchema(schema));
      }
      const env = await open({}, storage);
      const r = await env.baton.send(
        'lead-to-owner',
        { id: 'O1', company: 'Big', email: 'x@big.io', amount: 90000 },
        system,
      );
      await env.baton.engine.drain();
      await env.baton.dispatcher!.drain();
      const [notice] = await env.baton.store.outbox({ handoffId: r.id });
      expect(notice).toMatchObject({
        kind: 'approval',
        owner: 'role:sales-manager',
        state: 'done',
        attempts: 1,
      });
      const deliveries = await env.baton.store.deliveries({ outboxId: notice!.id });
      expect(deliveries.map((d) => `${d.channel}:${d.recipient}:${d.state}`).sort()).toEqual([
        'email:sam:sent',
        'slack:sam:sent',
      ]);
      expect(smtp.messages).toHaveLength(1);
      expect(slack.of('chat.postMessage')).toHaveLength(1);
      const messageId = smtp.messages[0]!.messageId;
      expect(messageId).toBe(`<${notice!.id}.email.sam@example.com>`);

      // Crash after both sends, before the notice was settled: the lease ends, another round
      // takes it, and the recorded deliveries are not repeated.
      const raw = env.baton.store as unknown as { unsafeExec(sql: string): unknown };
      await raw.unsafeExec(
        `UPDATE outbox SET state = 'pending', next_at = 0, lease_owner = NULL WHERE id = '${notice!.id}'`,
      );
      await env.baton.dispatcher!.drain();
      expect(smtp.messages).toHaveLength(1);
      expect(slack.of('chat.postMessage')).toHaveLength(1);

      // Crash between the SMTP server's acceptance and the `sent` record: the mail goes again
      // (never lost), with the same Message-ID so mail systems can fold the two.
      await raw.unsafeExec(
        `UPDATE deliveries SET state = 'sending' WHERE outbox_id = '${notice!.id}' AND channel = 'email'`,
      );
      await raw.unsafeExec(`UPDATE outbox SET state = 'pending', next_at = 0 WHERE id = '${notice!.id}'`);
      await env.baton.dispatcher!.drain();
      expect(smtp.messages).toHaveLength(2);
      expect(smtp.messages[1]!.messageId).toBe(messageId);
      expect(slack.of('chat.postMessage')).toHaveLength(1);
    },
  );

  it('reminders and each ladder step reach the owner on Slack and by email, and stay in the inbox', async () => {
    const env = await open({ 'flows/ladder.yaml': LADDER_FLOW });
    const r = await env.baton.send('ladder', { id: 'L1' }, system);
    await env.baton.engine.drain();
    await new Promise((res) => setTimeout(res, 150));
    await env.baton.engine.drain();
    await env.baton.dispatcher!.drain();
    const snap = await env.baton.snapshot(r.id);
    expect(snap.handoff).toMatchObject({ state: 'escalated', owner: 'team:enterprise-sales', ladderStep: 2 });
    // The reminder and the escalation fired in one step here: they are delivered side by side.
    const kinds = (await env.baton.store.outbox({ handoffId: r.id }))
      .map((n) => `${n.kind}:${n.owner}:${n.state}`)
      .sort();
    expect(kinds).toEqual([
      'escalation:team:enterprise-sales:done',
      'handoff:user:kim:done',
      'reminder:user:kim:done',
    ]);
    const subjects = (who: string) =>
      smtp.messages
        .filter((m) => to(m) === who)
        .map((m) => (m.subject ?? '').split(':')[0]!)
        .sort();
    expect(subjects('kim@example.com')).toEqual(['Escalated to you', 'New work for you', 'Reminder']);
    // The team's manager hears of the escalation too, with a link to accept it.
    expect(subjects('sam@example.com')).toEqual(['Escalated to you']);
    expect(smtp.messages.find((m) => to(m) === 'sam@example.com')!.text).toContain(
      'https://baton.example.com/v1/email/links/bl_',
    );
    const dms = slack
      .of('chat.postMessage')
      .map((c) => `${String(c.args.channel)}:${String(c.args.text).split(':')[0]}`)
      .sort();
    expect(dms).toEqual([
      'U0KIM:Escalated to you',
      'U0KIM:New work for you',
      'U0KIM:Reminder',
      'U0SAM:Escalated to you',
    ]);
    const inbox = await env.baton.inbox('kim');
    expect(inbox.map((m) => m.kind).sort()).toEqual(['escalation', 'reminder']);
  });

  it('approval reminders and a stand-in reach Slack; the stand-in approves from there, for the absent approver', async () => {
    const env = await open(
      { 'flows/remind.yaml': REMIND_FLOW },
      undefined,
      'delegations:\n  - { from: sam, to: dana, until: 2099-12-31 }\n',
    );
    const r = await env.baton.send('remind', { id: 'R1' }, system);
    await env.baton.engine.drain();
    await env.baton.dispatcher!.drain();
    // sam, and dana standing in for sam, are asked.
    const asked = () =>
      slack
        .of('chat.postMessage')
        .map((c) => `${String(c.args.channel)}:${String(c.args.text).split(':')[0]}`);
    expect(asked().sort()).toEqual(['U0DANA:Approval needed', 'U0SAM:Approval needed']);
    await new Promise((res) => setTimeout(res, 250));
    await env.baton.engine.drain();
    await env.baton.dispatcher!.drain();
    expect(
      asked()
        .filter((a) => a.includes('Reminder'))
        .sort(),
    ).toEqual(['U0DANA:Reminder, approval needed', 'U0SAM:Reminder, approval needed']);
    const reminder = slack.of('chat.postMessage').find((c) => String(c.args.text).startsWith('Reminder'))!;
    expect(JSON.stringify(reminder.args.blocks)).toContain('baton_approve');
    const [approval] = await env.baton.approvals('pending', r.id);
    await env.baton.decide(approval!.id, { user: 'dana', access: 'viewer', via: 'slack' }, 'approve');
    await env.baton.dispatcher!.drain();
    expect(await env.baton.store.approval(approval!.id)).toMatchObject({
      state: 'approved',
      decidedBy: { label: 'human', user: 'dana', for: 'sam', via: 'slack' },
    });
    // Every message that asked now says who decided.
    const updates = slack.of('chat.update').map((c) => String(c.args.text));
    expect(updates).toHaveLength(4);
    for (const u of updates) expect(u).toMatch(/Approved by dana for sam via slack$/);
  });

  it('writes no notice when no channel is configured', async () => {
    const env = await openTemp({});
    cleanups.push(() => env.close());
    const r = await env.baton.send(
      'lead-to-owner',
      { id: 'O2', company: 'Big', email: 'x@big.io', amount: 90000 },
      system,
    );
    await env.baton.engine.drain();
    expect((await env.baton.snapshot(r.id)).handoff.state).toBe('awaiting_approval');
    expect(await env.baton.store.outbox({})).toEqual([]);
    expect(env.baton.dispatcher).toBeUndefined();
  });

  it('checks the channel settings when the project loads, naming file, line and field', async () => {
    const bad = `${channelsYaml({ publicUrl: 'https://baton.example.com' })}  email: { smtp: 42, from: "Baton <b@example.com>", linkMinutes: 0 }\n  slack: { token: xoxb-1 }\n`;
    const p = tempProject({ 'baton.yaml': bad });
    cleanups.push(async () => p.cleanup());
    const e = await loadProject(p.dir).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BatonError);
    const details = (e as BatonError).details.map((d) => `${d.path}@${d.line}: ${d.message}`);
    const line = bad.split('\n').findIndex((l) => l.includes('email: { smtp: 42')) + 1;
    expect(details).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^connectors\\.email\\.smtp@${line}: `)),
        expect.stringMatching(new RegExp(`^connectors\\.email\\.linkMinutes@${line}: `)),
        expect.stringMatching(
          new RegExp(`^connectors\\.slack\\.signingSecret@${line + 1}: missing required field`),
        ),
      ]),
    );
    expect((e as BatonError).details.every((d) => d.file?.endsWith('baton.yaml'))).toBe(true);

    const noUrl = channelsYaml({ smtpUrl: 'smtp://127.0.0.1:2525', publicUrl: 'x' }).replace(
      / *publicUrl: .*\n/,
      '',
    );
    const q = tempProject({ 'baton.yaml': noUrl });
    cleanups.push(async () => q.cleanup());
    const e2 = (await loadProject(q.dir).catch((x: unknown) => x)) as BatonError;
    expect(e2.details.map((d) => d.path)).toContain('server.publicUrl');
  });

  it('turns Slack on from SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET alone', async () => {
    const p = tempProject();
    cleanups.push(async () => p.cleanup());
    const project = await loadProject(p.dir, {
      env: { SLACK_BOT_TOKEN: 'xoxb-env', SLACK_SIGNING_SECRET: 'sec' },
    });
    expect(project.channels.slack).toEqual({ token: 'xoxb-env', signingSecret: 'sec' });
    expect((await loadProject(p.dir, { env: {} })).channels).toEqual({});
  });
});
